// A throw-away PostgreSQL database for the benchmarks that run vigil on PostgreSQL: made on
// the server at VIGIL_BENCH_POSTGRES_URL (default: the local one the tests use, trust auth)
// and dropped afterwards. Commits are durable, as in production (synchronous_commit on).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const BENCH_POSTGRES_URL =
  process.env.VIGIL_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  url: string;
  /** the database's size on disk */
  sizeBytes(): Promise<number>;
  drop(): Promise<void>;
}

async function onServer<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `vigil_bench_${randomBytes(5).toString('hex')}`;
  await onServer(BENCH_POSTGRES_URL, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(BENCH_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    sizeBytes: () =>
      onServer(url.toString(), async (c) =>
        Number((await c.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n),
      ),
    drop: async () => {
      await onServer(BENCH_POSTGRES_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
