// A real vigil server for the job-side commands' tests, its first-start keys, and two ways to run
// the CLI against it: in-process (main with a captured Io) and as the real process.
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Io } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { apiClient, runVigil, startVigil, tempDir, type VigilProcess } from '../e2e/server-process.ts';

export interface Run {
  code: number;
  out: string;
  err: string;
}

export interface JobServer {
  vigil: VigilProcess;
  dir: string;
  key: string;
  pingKey: string;
  /** VIGIL_URL and both keys; HOME in the temp directory so no developer config is read */
  env: Record<string, string>;
  api: ReturnType<typeof apiClient>;
}

/** Starts one server for the test file; stopped and removed after it. */
export function useJobServer(prefix: string): JobServer {
  const tmp = tempDir(prefix);
  const server = {} as JobServer;
  beforeAll(async () => {
    const vigil = await startVigil({ dbPath: join(tmp.dir, 'vigil.db') });
    if (!vigil.bootstrap) throw new Error(`no first-start keys in:\n${vigil.stdout()}`);
    Object.assign(server, {
      vigil,
      dir: tmp.dir,
      key: vigil.bootstrap.key,
      pingKey: vigil.bootstrap.pingKey,
      env: {
        VIGIL_URL: vigil.url,
        VIGIL_API_KEY: vigil.bootstrap.key,
        VIGIL_PING_KEY: vigil.bootstrap.pingKey,
        HOME: tmp.dir,
      },
      api: apiClient(vigil.url, vigil.bootstrap.key),
    });
  });
  afterAll(async () => {
    await server.vigil?.stop();
    tmp.remove();
  });
  return server;
}

/** `vigil ARGV` in-process. */
export async function vigilIn(argv: string[], env: Record<string, string>): Promise<Run> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env,
  };
  const code = await main(argv, io);
  return { code, out, err };
}

/** `vigil ARGV` as the real process (for `vigil run`: real stdio, real exit codes). */
export async function vigilProcess(argv: string[], env: Record<string, string>, cwd: string) {
  return runVigil(argv, { ...env, HOME: env.HOME ?? cwd }, { cwd, timeoutMs: 25_000 });
}

export interface CheckJson {
  id: string;
  slug: string;
  name: string;
  status: string;
  tags: string[];
  schedule: { kind: string; expression?: string; timezone?: string };
}

export interface PingJson {
  kind: string;
  exit_status: number | null;
  duration_ms: number | null;
  body: string | null;
  rid: string | null;
  at: string;
  client_at: string | null;
  skew_ms: number | null;
}

/** Creates (or updates) a check that goes down on its first failure. */
export async function makeCheck(server: JobServer, slug: string, fields: Record<string, unknown> = {}) {
  const res = await server.api<CheckJson>('PUT', `/checks/by-slug/${slug}`, {
    failure_threshold: 1,
    schedule: { kind: 'interval', period: 3600 },
    ...fields,
  });
  if (res.status >= 300) throw new Error(`PUT ${slug}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function getCheck(server: JobServer, id: string) {
  return (await server.api<CheckJson>('GET', `/checks/${id}`)).body;
}

export async function pingsOf(server: JobServer, id: string): Promise<PingJson[]> {
  return (await server.api<{ pings: PingJson[] }>('GET', `/checks/${id}/pings`)).body.pings;
}
