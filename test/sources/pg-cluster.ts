// A throw-away PostgreSQL cluster with the real pg_cron extension, for the sources specs:
// initdb + pg_ctl in a temp dir, on a free port, run as the `postgres` OS user when the tests
// run as root (PostgreSQL refuses to run as root). Only what it started is ever stopped.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The role a pg_cron source should use: it reads every job and run, and may change nothing. */
export const MONITOR_ROLE = 'vigil_monitor';
/**
 * Exactly what that role needs (docs/sources.md quotes these). BYPASSRLS because pg_cron's
 * row-level security shows a role only the jobs it owns; it gives no rights on any table.
 */
export const MONITOR_GRANTS = [
  `CREATE ROLE ${MONITOR_ROLE} LOGIN BYPASSRLS`,
  `GRANT USAGE ON SCHEMA cron TO ${MONITOR_ROLE}`,
  `GRANT SELECT ON cron.job, cron.job_run_details TO ${MONITOR_ROLE}`,
];
/** A role that must give a password (scram), to see what a wrong one says. */
export const PASSWORD_ROLE = 'vigil_pw';

export interface PgCronCluster {
  port: number;
  /** a connection string for `user` to `database` */
  url(user?: string, database?: string, password?: string): string;
  /** runs statements as the superuser in `database` (default: postgres, where pg_cron lives) */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    params?: unknown[],
    database?: string,
  ): Promise<R[]>;
  /** statements the server logged from connections named `application` */
  statementsOf(application: string): string[];
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stops the cluster and removes its directory */
  destroy(): Promise<void>;
}

interface Binaries {
  bin: string;
}

function findBinaries(): Binaries | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(`/usr/share/postgresql/${v}/extension/pg_cron.control`))
    .sort((a, b) => Number(b) - Number(a));
  const version = versions.find((v) => existsSync(join(root, v, 'bin', 'initdb')));
  return version ? { bin: join(root, version, 'bin') } : null;
}

/**
 * Whether a pg_cron cluster can be started here. Without one the specs skip, loudly; with
 * VIGIL_REQUIRE_POSTGRES set (CI) a missing pg_cron is an error instead.
 */
export function pgCronAvailable(): boolean {
  if (findBinaries() !== null) return true;
  const why = 'PostgreSQL with pg_cron is not installed (apt-get install postgresql-15-cron)';
  if (process.env.VIGIL_REQUIRE_POSTGRES) {
    throw new Error(`${why}; VIGIL_REQUIRE_POSTGRES is set, so the pg_cron specs must run`);
  }
  console.warn(
    `\n${'!'.repeat(78)}\n!! ${why}.\n!! The pg_cron source specs are SKIPPED.\n${'!'.repeat(78)}\n`,
  );
  return false;
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL program as the `postgres` OS user when we are root. */
function run(program: string, args: string[]): string {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPgCronCluster(): Promise<PgCronCluster> {
  const found = findBinaries();
  if (!found) throw new Error('pg_cron is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pgcron-'));
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  const pgCtl = join(found.bin, 'pg_ctl');
  run(join(found.bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const conf = join(data, 'postgresql.conf');
  writeFileSync(
    conf,
    `${readFileSync(conf, 'utf8')}
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${dir}'
shared_buffers = 16MB
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
# Debian's pg_cron 1.4 connects over libpq by default, which needs a password; workers do not
cron.use_background_workers = on
max_worker_processes = 32
fsync = off
synchronous_commit = off
full_page_writes = off
log_statement = 'all'
log_line_prefix = 'app=%a| '
`,
  );
  const hba = join(data, 'pg_hba.conf');
  writeFileSync(hba, `host all ${PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
  const start = async () => void run(pgCtl, ['-D', data, '-l', log, '-w', '-t', '30', 'start']);
  const stop = async () => void run(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']);
  await start();
  // a crashed test run must not leave a postmaster behind
  const onExit = () => {
    try {
      run(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already stopped
    }
  };
  process.once('exit', onExit);

  const url = (user = 'postgres', database = 'postgres', password?: string) =>
    `postgres://${user}${password ? `:${encodeURIComponent(password)}` : ''}@127.0.0.1:${port}/${database}`;
  const sql: PgCronCluster['sql'] = async (text, params = [], database = 'postgres') => {
    const client = new pg.Client({ connectionString: url('postgres', database) });
    await client.connect();
    try {
      // several statements in one text answer with one result each: the last one's rows
      const result: pg.QueryResult | pg.QueryResult[] = await client.query(text, params);
      return (Array.isArray(result) ? (result.at(-1)?.rows ?? []) : result.rows) as never;
    } finally {
      await client.end();
    }
  };
  await sql('CREATE EXTENSION pg_cron');
  for (const statement of MONITOR_GRANTS) await sql(statement);

  return {
    port,
    url,
    sql,
    statementsOf(application) {
      const prefix = `app=${application}| `;
      return readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith(prefix))
        .map((line) => STATEMENT.exec(line)?.[1]?.trim())
        .filter((statement): statement is string => statement !== undefined);
    },
    stop,
    start,
    async destroy() {
      process.off('exit', onExit);
      onExit();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// simple-protocol queries log as "statement:", parameterised ones as "execute <unnamed>:"
const STATEMENT = /LOG: {2}(?:statement|execute [^:]*): (.*)$/;

/** Milliseconds until the next minute starts, when pg_cron runs `* * * * *` jobs. */
export function msToNextMinute(now = Date.now()): number {
  return 60_000 - (now % 60_000);
}
