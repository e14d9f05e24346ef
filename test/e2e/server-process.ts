// The real `vigil serve` as a child process, started the way a user starts it: node with the
// tsx loader on src/cli/main.ts, configured only through environment variables.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = join(ROOT, 'src/cli/main.ts');
/** the loader by absolute path, so the child may run in a temp directory */
export const TSX = join(ROOT, 'node_modules/tsx/dist/esm/index.mjs');

const START_TIMEOUT_MS = 20_000;

/** A port nothing listens on right now: bound on 127.0.0.1, then released. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolvePort(port));
    });
  });
}

/** A fresh temp directory, removed by the returned function. */
export function tempDir(prefix = 'vigil-e2e-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LogLine {
  level: number;
  time: number;
  msg: string;
  [key: string]: unknown;
}

export interface VigilProcess {
  pid: number;
  /** the base URL from the "vigil is listening" line */
  url: string;
  port: number;
  dbPath: string;
  env: Record<string, string>;
  /** the first-start credentials, when this start printed them */
  bootstrap: { key: string; pingKey: string } | null;
  stdout(): string;
  stderr(): string;
  /** stdout's pino JSON lines, parsed */
  logs(): LogLine[];
  /** settles when the process has exited */
  exited: Promise<Exit>;
  running(): boolean;
  /** sends `signal` and waits (at most `timeoutMs`) for the exit; SIGKILL and throw past that */
  kill(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
  /** SIGKILL if still running; for afterAll/finally */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** the database file (created when missing) */
  dbPath: string;
  /** fixed port (a restart keeps the old one so ping URLs stay valid); a free one otherwise */
  port?: number;
  /** the child's working directory; defaults to the database's directory */
  cwd?: string;
  env?: Record<string, string>;
  /** run the child as this user (and group): a test running as root cannot otherwise meet file permissions */
  user?: { uid: number; gid: number };
}

/** The parent's environment minus any VIGIL_* of the developer's shell, plus `env`. */
function childEnv(env: Record<string, string>): Record<string, string> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => v !== undefined && !k.startsWith('VIGIL_')),
  ) as Record<string, string>;
  return { ...inherited, ...env };
}

// A worker that dies must not leave servers behind: every child still running is killed on exit.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startVigil(options: StartOptions): Promise<VigilProcess> {
  const port = options.port ?? (await freePort());
  const env: Record<string, string> = {
    VIGIL_DATABASE_URL: `sqlite:${options.dbPath}`,
    VIGIL_PORT: String(port),
    VIGIL_HOST: '127.0.0.1',
    VIGIL_ALLOW_PRIVATE_URLS: '1',
    VIGIL_LOG_LEVEL: 'info',
    // the child runs in a temp directory: point tsx at our tsconfig (JSX for hono/jsx)
    TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json'),
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'serve'], {
    cwd: options.cwd ?? dirname(options.dbPath),
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options.user,
  });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  let exitInfo: Exit | null = null;
  const exited = new Promise<Exit>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(child);
      resolveExit(exitInfo);
    });
  });
  child.once('error', (e) => {
    err += `spawn error: ${e.message}\n`;
  });

  const logs = (): LogLine[] =>
    out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as LogLine];
        } catch {
          return [];
        }
      });

  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      done();
      child.kill('SIGKILL');
      reject(new Error(`vigil did not report listening within ${START_TIMEOUT_MS} ms\n${out}\n${err}`));
    }, START_TIMEOUT_MS);
    const onData = () => {
      const line = logs().find((l) => l.msg === 'vigil is listening');
      if (line) {
        done();
        resolveUrl(String(line.url));
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      done();
      reject(new Error(`vigil exited before listening (code ${code}, signal ${signal})\n${out}\n${err}`));
    };
    function done() {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
    }
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });

  const key = /API key \(read-write, shown once\): (vgl_\S+)/.exec(out)?.[1];
  const pingKey = /Ping key: (\S+)/.exec(out)?.[1];

  const kill = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<Exit> => {
    if (exitInfo) return exitInfo;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), timeoutMs);
    });
    const result = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (result === 'late') {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`vigil (pid ${child.pid}) did not exit within ${timeoutMs} ms of ${signal}`);
    }
    return result;
  };

  return {
    pid: child.pid!,
    url,
    port,
    dbPath: options.dbPath,
    env,
    bootstrap: key && pingKey ? { key, pingKey } : null,
    stdout: () => out,
    stderr: () => err,
    logs,
    exited,
    running: () => exitInfo === null,
    kill,
    stop: async () => {
      if (exitInfo) return;
      await kill('SIGKILL', 5000).catch(() => {});
    },
  };
}

/** Starts vigil again on the same database, port and settings as `previous` (which must have exited). */
export async function restartVigil(
  previous: VigilProcess,
  env: Record<string, string> = {},
): Promise<VigilProcess> {
  if (previous.running()) throw new Error(`vigil (pid ${previous.pid}) is still running`);
  return startVigil({
    dbPath: previous.dbPath,
    port: previous.port,
    env: { ...previous.env, ...env },
  });
}

/** Polls `probe` until it returns a value other than undefined/false; throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 10_000, intervalMs = 50 } = {},
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A JSON client for /api/v1 with one API key. */
export function apiClient(baseUrl: string, key: string) {
  return async function api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: {
        'X-Api-Key': key,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
}

/** Runs `vigil ARGS` to completion (for commands that exit); SIGKILL and report past `timeoutMs`. */
export function runVigil(
  args: string[],
  env: Record<string, string>,
  { cwd, timeoutMs = 15_000 }: { cwd: string; timeoutMs?: number },
): Promise<Exit & { stdout: string; stderr: string; ms: number; timedOut: boolean }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolveRun, reject) => {
    child.once('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolveRun({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
}
