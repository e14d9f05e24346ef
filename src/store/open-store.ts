import { type Config, ConfigError, redactDatabaseUrl } from '../config.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { type Cluster, singleNode } from './cluster.ts';
import { openPgCluster } from './postgres/pg-notify.ts';
import { openPostgresStore } from './postgres/pg-store.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';
import { storageProblem } from './storage-problem.ts';
import type { Store } from './store.ts';

type DatabaseSettings = Pick<Config, 'databaseUrl' | 'sqlitePath'> & Partial<Pick<Config, 'dbPoolSize'>>;

/**
 * Opens (and migrates) the database the configuration names. With `secrets`, channel and
 * source secrets are sealed with that key, and the open proves it is the key they were sealed
 * with (a SecretKeyError otherwise) and seals what is still stored plain (Store.sealSecrets).
 */
export async function openStore(
  config: DatabaseSettings,
  /** exclusive: this process is the server (a SQLite file allows one; PostgreSQL allows many) */
  options: { exclusive?: boolean; secrets?: SecretBox } = {},
): Promise<Store> {
  const store = await openDatabase(config, options);
  if (options.secrets !== undefined) {
    try {
      await store.sealSecrets();
    } catch (err) {
      // A database that refuses writes still starts, to serve reads and say why (the storage
      // monitor reports it); what is still plain is sealed at a start that can write.
      if (storageProblem(err) === null) {
        await store.close();
        throw err;
      }
    }
  }
  return store;
}

async function openDatabase(
  config: DatabaseSettings,
  options: { exclusive?: boolean; secrets?: SecretBox },
): Promise<Store> {
  if (config.sqlitePath !== null) return openSqliteStore(config.sqlitePath, options);
  if (/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    try {
      return await openPostgresStore(config.databaseUrl, {
        max: config.dbPoolSize,
        secrets: options.secrets,
      });
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

/**
 * How this node hears from the others on the same database: LISTEN/NOTIFY on PostgreSQL; on
 * SQLite there are no others (one process owns the file).
 */
export async function openCluster(
  config: DatabaseSettings,
  onError: (err: Error, what: string) => void,
): Promise<Cluster> {
  if (config.sqlitePath !== null) return singleNode;
  return openPgCluster(config.databaseUrl, { onError });
}
