import { type Config, ConfigError, redactDatabaseUrl } from '../config.ts';
import { openPostgresStore } from './postgres/pg-store.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

/** Opens (and migrates) the database the configuration names. */
export async function openStore(
  config: Pick<Config, 'databaseUrl' | 'sqlitePath'>,
  /** exclusive: this process is the server (a SQLite file allows one; PostgreSQL allows many) */
  options: { exclusive?: boolean } = {},
): Promise<Store> {
  if (config.sqlitePath !== null) return openSqliteStore(config.sqlitePath, options);
  if (/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    try {
      return await openPostgresStore(config.databaseUrl);
    } catch (err) {
      // an unreachable server or a refused login stops startup like a bad setting: the message
      // names the variable to fix, and never echoes the password
      throw new ConfigError(
        `VIGIL_DATABASE_URL: cannot open ${redactDatabaseUrl(config.databaseUrl)}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  throw new Error(`VIGIL_DATABASE_URL: unsupported database ${redactDatabaseUrl(config.databaseUrl)}`);
}
