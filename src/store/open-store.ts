import type { Config } from '../config.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

/** Opens (and migrates) the database the configuration names. */
export async function openStore(
  config: Pick<Config, 'databaseUrl' | 'sqlitePath'>,
  /** exclusive: this process is the server (a SQLite file allows one) */
  options: { exclusive?: boolean } = {},
): Promise<Store> {
  if (config.databaseUrl.startsWith('sqlite:')) return openSqliteStore(config.sqlitePath, options);
  throw new Error(`VIGIL_DATABASE_URL: unsupported database ${config.databaseUrl}`);
}
