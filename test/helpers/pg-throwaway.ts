// A throw-away PostgreSQL cluster for specs that must stop, restart or configure a server:
// initdb + pg_ctl in a temp dir, on a free port, run as the `postgres` OS user when the tests
// run as root (PostgreSQL refuses to run as root). The shared server at 127.0.0.1:5432 is
// never touched; only what this started is ever stopped.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * The bin directory of the newest installed PostgreSQL that has initdb (and the extension
 * `extension`, when named), or null.
 */
export function postgresBin(extension?: string): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const version = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .filter((v) => !extension || existsSync(`/usr/share/postgresql/${v}/extension/${extension}.control`))
    .sort((a, b) => Number(b) - Number(a))[0];
  return version ? join(root, version, 'bin') : null;
}

/**
 * Whether `bin` was found. Without it the specs named by `what` skip, loudly; with
 * VIGIL_REQUIRE_POSTGRES set (CI) it is an error instead.
 */
export function requirePostgresBin(bin: string | null, why: string, what: string): boolean {
  if (bin !== null) return true;
  if (process.env.VIGIL_REQUIRE_POSTGRES) {
    throw new Error(`${why}; VIGIL_REQUIRE_POSTGRES is set, so ${what} must run`);
  }
  console.warn(`\n${'!'.repeat(78)}\n!! ${why}.\n!! ${what} are SKIPPED.\n${'!'.repeat(78)}\n`);
  return false;
}

const asRoot = process.getuid?.() === 0;

/** The command line running a PostgreSQL program as the `postgres` OS user when we are root. */
function asPostgres(program: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
}

/** Runs a PostgreSQL program to its end, without blocking the event loop (the specs' clients go on meanwhile). */
async function run(program: string, args: string[]): Promise<void> {
  const [cmd, argv] = asPostgres(program, args);
  await execFileAsync(cmd, argv, { encoding: 'utf8' });
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

export type ShutdownMode = 'smart' | 'fast' | 'immediate';

export interface ThrowawayCluster {
  port: number;
  /** the server's log file */
  log: string;
  /** a connection string for `user` to `database` */
  url(user?: string, database?: string, password?: string): string;
  /** starts the server and waits until it accepts connections */
  start(): Promise<void>;
  /** stops the server (fast: active transactions are rolled back, clients disconnected) */
  stop(mode?: ShutdownMode): Promise<void>;
  /** `pg_ctl restart`: stops the server in `mode` and starts it again, waiting for both */
  restart(mode: ShutdownMode): Promise<void>;
  /** stops the cluster and removes its directory */
  destroy(): Promise<void>;
}

export interface ClusterOptions {
  /** from postgresBin() */
  bin: string;
  /** lines added to postgresql.conf */
  conf?: string;
  /** lines put before the default pg_hba.conf rules (the first matching rule wins) */
  hba?: string;
  /** the temp directory's name prefix */
  prefix?: string;
}

/** Makes a fresh cluster (trust authentication for `postgres`, commits without fsync) and starts it. */
export async function startThrowawayCluster(options: ClusterOptions): Promise<ThrowawayCluster> {
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'vigil-pg-'));
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  const pgCtl = join(options.bin, 'pg_ctl');
  await run(join(options.bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  const conf = join(data, 'postgresql.conf');
  writeFileSync(
    conf,
    `${readFileSync(conf, 'utf8')}
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${dir}'
shared_buffers = 16MB
fsync = off
synchronous_commit = off
full_page_writes = off
${options.conf ?? ''}
`,
  );
  if (options.hba) {
    const hba = join(data, 'pg_hba.conf');
    writeFileSync(hba, `${options.hba}\n${readFileSync(hba, 'utf8')}`);
  }
  const start = () => run(pgCtl, ['-D', data, '-l', log, '-w', '-t', '30', 'start']);
  const stop = (mode: ShutdownMode = 'fast') => run(pgCtl, ['-D', data, '-m', mode, '-w', 'stop']);
  const restart = (mode: ShutdownMode) =>
    run(pgCtl, ['-D', data, '-l', log, '-m', mode, '-w', '-t', '30', 'restart']);
  await start();
  // a crashed test run must not leave a postmaster behind (synchronous: the process is exiting)
  const onExit = () => {
    const [cmd, argv] = asPostgres(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    try {
      execFileSync(cmd, argv, { stdio: 'ignore' });
    } catch {
      // already stopped
    }
  };
  process.once('exit', onExit);

  return {
    port,
    log,
    url: (user = 'postgres', database = 'postgres', password?: string) =>
      `postgres://${user}${password ? `:${encodeURIComponent(password)}` : ''}@127.0.0.1:${port}/${database}`,
    start,
    stop,
    restart,
    async destroy() {
      process.off('exit', onExit);
      onExit();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
