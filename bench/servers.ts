// The servers the ingest benchmark loads, each started as a child process of its own and
// stopped by its PID. Children still alive when the benchmark exits are killed with it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

const alive = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

export interface RunningServer {
  name: string;
  pid: number;
  url: string;
  /** everything the child printed, for error messages */
  output(): string;
  stop(): Promise<void>;
}

/** Progress goes to stderr; stdout carries only the results. */
export function note(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Compiles src/ to dist/ so vigil runs as it does in production, not through tsx. */
export function buildVigil(): void {
  // `npm run build`, not tsc alone: the dashboard's static files must be in dist/ too, or a
  // server started from it answers its pages with 500s
  note('building dist/ (npm run build)');
  const r = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error(`npm run build failed with status ${r.status}`);
}

function launch(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess & { output(): string } {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  return Object.assign(child, { output: () => output });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Resolves with the first match of `pattern` in the child's stdout, or fails on exit/timeout. */
function waitForOutput(
  child: ChildProcess & { output(): string },
  name: string,
  pattern: RegExp,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () =>
        done(new Error(`${name} printed no ${pattern} within ${START_TIMEOUT_MS} ms:\n${child.output()}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const m = pattern.exec(seen);
      if (m) done(null, m);
    };
    const onExit = (code: number | null) =>
      done(new Error(`${name} exited (code ${code}) before it was ready:\n${child.output()}`));
    function done(err: Error | null, m?: RegExpExecArray) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * How `npm start`, the Dockerfile and docs/deploy.md start the server: a young generation large
 * enough that a ping's short-lived objects die there instead of being copied out (at 500
 * connections, 20-25 % less CPU per ping than Node's default, measured with this benchmark).
 */
export const SERVE_NODE_ARGS = ['--max-semi-space-size=64'];

/** Runs a bench script with tsx; it is ready once it prints `listening <port>` and what follows. */
async function startScript(
  name: string,
  script: string,
  ready: RegExp,
): Promise<{ server: RunningServer; printed: RegExpExecArray }> {
  // the node flags vigil runs with, so that the baselines are measured on the same footing
  const child = launch(name, [...SERVE_NODE_ARGS, '--import', 'tsx', join(ROOT, script)], process.env);
  try {
    const printed = await waitForOutput(child, name, ready);
    const server = {
      name,
      pid: child.pid!,
      url: `http://127.0.0.1:${printed[1]}`,
      output: child.output,
      stop: () => stopChild(child),
    };
    return { server, printed };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

export async function startRawServer(): Promise<RunningServer> {
  return (await startScript('raw node:http', 'bench/raw-server.ts', /listening (\d+)/)).server;
}

/** The durable floor (durable-server.ts), with the one check it knows. */
export async function startDurableServer(): Promise<RunningServer & { checkId: string }> {
  const started = await startScript(
    'durable floor',
    'bench/durable-server.ts',
    /listening (\d+) ([0-9a-f-]{36})/,
  );
  return { ...started.server, checkId: started.printed[2]! };
}

export interface RunningVigil extends RunningServer {
  /** the first-start key; empty for a node that joined a database another node set up */
  apiKey: string;
  dbPath: string;
}

export interface VigilOptions {
  /** a postgres:// URL; a fresh SQLite file in a temp dir when absent */
  databaseUrl?: string;
  /** VIGIL_NODE_ID */
  nodeId?: string;
  /** whether this start creates the first project and prints its key (the first node only) */
  bootstraps?: boolean;
  /** more environment for the process */
  env?: Record<string, string>;
  /** options for node itself, e.g. --cpu-prof */
  nodeArgs?: string[];
}

/** A rate limit (VIGIL_RATE_LIMIT_*) no benchmark's load comes near. */
export const UNREACHED_LIMIT = '1000000/10000000';

/** Starts the compiled vigil (`node bin/vigil.js serve`), by default on a fresh SQLite file. */
export async function startVigil(options: VigilOptions = {}): Promise<RunningVigil> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const dbPath = join(dir, 'vigil.db');
  const port = await freePort();
  const args = [...SERVE_NODE_ARGS, ...(options.nodeArgs ?? []), join(ROOT, 'bin/vigil.js'), 'serve'];
  const child = launch('vigil', args, {
    ...process.env,
    VIGIL_DATABASE_URL: options.databaseUrl ?? `sqlite:${dbPath}`,
    VIGIL_PORT: String(port),
    VIGIL_HOST: '127.0.0.1',
    VIGIL_LOG_LEVEL: 'warn',
    ...(options.nodeId ? { VIGIL_NODE_ID: options.nodeId } : {}),
    // The limits stay on, so checking them is part of every request measured, but far above what
    // one load generator on one address sends to one check: these benchmarks measure how fast
    // vigil stores pings, not how it refuses them (bench/rate-limit.ts measures that).
    VIGIL_RATE_LIMIT_PING: UNREACHED_LIMIT,
    VIGIL_RATE_LIMIT_PING_ADDRESS: UNREACHED_LIMIT,
    VIGIL_RATE_LIMIT_API: UNREACHED_LIMIT,
    ...options.env,
  });
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const apiKey =
      options.bootstraps === false
        ? ''
        : (await waitForOutput(child, 'vigil', /API key \(read-write, shown once\): (vgl_\S+)/))[1]!;
    const url = `http://127.0.0.1:${port}`;
    await waitForHealthy(url, child);
    return { name: 'vigil', pid: child.pid!, url, apiKey, dbPath, output: child.output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForHealthy(url: string, child: ChildProcess & { output(): string }): Promise<void> {
  const until = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`vigil exited (code ${child.exitCode}):\n${child.output()}`);
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `vigil did not answer GET /healthz with 200 within ${START_TIMEOUT_MS} ms:\n${child.output()}`,
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
