import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { postgresDialect } from '../migrations/dialect.ts';
import { migrationProvider } from '../migrations/index.ts';
import type { Store, Tx } from '../store.ts';
import { PgTx } from './pg-tx.ts';

export interface PostgresOptions {
  /** connections in the pool (default 10) */
  max?: number;
}

const INT8 = 20;

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

  constructor(private readonly pool: pg.Pool) {
    super(pool);
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    // READ COMMITTED, PostgreSQL's default: writes guard themselves (rev checks, ON CONFLICT,
    // SKIP LOCKED), so nothing here needs a serializable retry loop.
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(new PgTx(client, true));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          // a connection that cannot roll back is not given back to the pool
          broken = rollbackError;
        });
        throw err;
      }
    } finally {
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
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types });
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
  return new PgStore(pool);
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
