import type { Config } from '../config.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

/** Opens (and migrates) the database the configuration names. */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'sqlitePath'>): Promise<Store> {
  if (config.databaseUrl.startsWith('sqlite:')) return openSqliteStore(config.sqlitePath);
  throw new Error(`VIGIL_DATABASE_URL: unsupported database ${config.databaseUrl}`);
}
