import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { SecretBox } from '../../secrets/secret-box.ts';
import { postgresDialect } from '../migrations/dialect.ts';
import { migrationProvider } from '../migrations/index.ts';
import type { Store, Tx } from '../store.ts';
import { type RotatedSecrets, rotateStoredSecrets, sealStoredSecrets } from '../stored-secrets.ts';
import { pgSecretRows } from './pg-secrets.ts';
import { PgTx } from './pg-tx.ts';

export interface PostgresOptions {
  /** connections in the pool (default 10) */
  max?: number;
  /** the key channel and source secrets are sealed with (none: stored plain) */
  secrets?: SecretBox;
}

const INT8 = 20;
/** how long a statement waits for a connection: a new one to the server, or a busy pool's next free one */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Times are epoch milliseconds and ids bigint identities; pg hands INT8 back as a string
 * by default (it may exceed 2^53). Ours never do, so they parse to numbers, for this pool
 * only (pg.types is global and would change every other pg user in the process).
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** The Store on a pool: every method outside transaction() runs as its own transaction. */
class PgStore extends PgTx implements Store {
  readonly engine = 'postgres' as const;

  constructor(
    private readonly pool: pg.Pool,
    secrets: SecretBox | null,
  ) {
    super(pool, false, secrets);
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#onOneClient((client) => fn(new PgTx(client, true, this.secrets)));
  }

  sealSecrets(): Promise<number> {
    return this.#onOneClient((client) => sealStoredSecrets(pgSecretRows(client), this.secrets));
  }

  rotateSecrets(
    to: SecretBox,
    record?: (tx: Tx, rotated: RotatedSecrets) => Promise<void>,
  ): Promise<RotatedSecrets> {
    return this.#onOneClient(async (client) => {
      const rotated = await rotateStoredSecrets(pgSecretRows(client), this.secrets, to);
      await record?.(new PgTx(client, true, to), rotated);
      return rotated;
    });
  }

  /** Runs `fn` in a transaction on one client of the pool. */
  async #onOneClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    // READ COMMITTED, PostgreSQL's default: writes guard themselves (rev checks, ON CONFLICT,
    // SKIP LOCKED), so nothing here needs a serializable retry loop.
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // The server ending this connection while we hold it (a restart, a failover) emits 'error'
    // on the client, which with no listener would crash the process. The statement in progress
    // fails by itself and the transaction with it; the dead client is not given back.
    const lost = (err: Error) => {
      broken ??= err;
    };
    client.on('error', lost);
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          // a connection that cannot roll back is not given back to the pool
          broken ??= rollbackError;
        });
        throw err;
      }
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Opens a pool on `url`, migrates the database, and returns the Store on it. */
export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    types,
    // A server that does not answer (or a pool whose connections are all stuck) fails the
    // request after this, as a 503, instead of holding it forever.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
  });
  // An idle connection the server drops (restart, failover) is reported here; without a
  // listener it would crash the process. The pool replaces it; the next query reports any
  // lasting outage to its caller.
  pool.on('error', () => {});
  try {
    // connect first, so an unreachable server says so rather than failing "the migration"
    await pool.query('SELECT 1');
    await migrate(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return new PgStore(pool, options.secrets ?? null);
}

async function migrate(pool: pg.Pool): Promise<void> {
  // Kysely's migrator runs each migration in a transaction and holds its lock row meanwhile,
  // so nodes starting together migrate once. It borrows the pool; it must not end it.
  const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const migrator = new Migrator({ db: kysely, provider: migrationProvider(postgresDialect) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(
      `database migration ${failed?.migrationName ?? ''} failed: ${(error as Error)?.message ?? error}`,
    );
  }
}
