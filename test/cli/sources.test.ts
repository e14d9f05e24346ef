// `vigil sources` against the real server process, with a loopback server speaking the
// Supabase Management API and a PostgreSQL address where nothing listens.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, MAIN, TSX } from '../e2e/server-process.ts';
import { type FakeSupabase, fn, REF, startFakeSupabase, TOKEN } from '../sources/supabase-api.ts';
import { useJobServer, vigilIn } from './job-server.ts';

const server = useJobServer('vigil-sources-');
let fake: FakeSupabase;
let deadDb: string;

beforeAll(async () => {
  fake = await startFakeSupabase([fn('send-email', { name: 'Send email' }), fn('nightly-report')]);
  deadDb = `postgres://vigil_monitor:pg-s3cret@127.0.0.1:${await freePort()}/app`;
});
afterAll(() => fake.close());

/** `vigil ARGV` as a process, with `input` on its stdin. */
function withStdin(
  argv: string[],
  input: string,
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...argv], {
    cwd: server.dir,
    env: { ...process.env, ...server.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdin.end(input);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, out, err })));
}

describe('vigil sources add', () => {
  it('adds a Supabase source with the token from the environment, and never prints the token', async () => {
    const run = await vigilIn(
      [
        'sources',
        'add',
        'edge',
        '--kind',
        'supabase',
        '--project-ref',
        REF,
        '--api-url',
        fake.url,
        '--tag',
        'edge',
        '--json',
      ],
      { ...server.env, SUPABASE_ACCESS_TOKEN: TOKEN },
    );
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).not.toContain(TOKEN);
    expect(JSON.parse(run.out)).toMatchObject({
      name: 'edge',
      kind: 'supabase',
      tags: ['edge'],
      config: { project_ref: REF, access_token: '••••4567' },
    });
  });

  it('adds a pg_cron source with the connection string on stdin', async () => {
    const run = await withStdin(
      ['sources', 'add', 'db1', '--kind', 'pg_cron', '--interval', '300', '--grace', '600'],
      `${deadDb}\n`,
    );
    expect(run.err).toBe('');
    expect(run.out).toBe(
      'Added pg_cron source "db1": read every 300 s (grace 600 s).\nIts health check "db1" goes down when vigil cannot read it.\n',
    );
    expect(run.code).toBe(0);
  });

  it('warns that a secret given as a flag stays in the shell history', async () => {
    const run = await vigilIn(['sources', 'add', 'db2', '--kind', 'pg_cron', '--url', deadDb], server.env);
    expect(run.code).toBe(0);
    expect(run.err).toBe("note: --url stays in your shell's history; VIGIL_SOURCE_URL or stdin do not\n");
  });

  it('says what is missing or wrong', async () => {
    const noKind = await vigilIn(['sources', 'add', 'x'], server.env);
    expect(noKind.code).toBe(2);
    expect(noKind.err).toMatch(/^vigil sources: --kind must be pg_cron or supabase\n/);
    const noRef = await vigilIn(['sources', 'add', 'x', '--kind', 'supabase', '--token', TOKEN], server.env);
    expect(noRef.err).toMatch(/give the project with --project-ref/);
    const taken = await vigilIn(['sources', 'add', 'edge', '--kind', 'pg_cron', '--url', deadDb], server.env);
    expect(taken.code).toBe(1);
    expect(taken.err).toContain('HTTP 409: a source named "edge" exists already in this project');
  });
});

describe('vigil sources sync, summary and ls', () => {
  it('reads a source now and says what it found', async () => {
    const run = await vigilIn(['sources', 'sync', 'edge'], server.env);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Read "edge": 2 jobs, 0 runs; \d+ new, 0 changed, 0 archived\.\n$/);
  });

  it('exits 1 and says why when a source cannot be read, without its password', async () => {
    const run = await vigilIn(['sources', 'sync', 'db1'], server.env);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/^Could not read "db1": 127\.0\.0\.1:\d+: /);
    expect(run.out).not.toContain('pg-s3cret');
  });

  it('prints the summary as a table, or as JSON', async () => {
    const run = await vigilIn(['sources', 'summary', 'edge'], server.env);
    expect(run.code).toBe(0);
    const lines = run.out.trimEnd().split('\n');
    expect(lines[0]).toBe('edge (supabase): 2 jobs: 2 new; 0 running');
    expect(lines[1]).toMatch(/^last sync: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(lines[3]).toMatch(/^OUTCOME\s+NAME\s+SLUG\s+SCHEDULE\s+LAST RUN\s+MESSAGE$/);
    expect(
      lines.slice(4).some((l) => /^new\s+edge\/Send email\s+edge\/send-email\s+no schedule/.test(l)),
    ).toBe(true);
    const json = JSON.parse((await vigilIn(['sources', 'summary', 'edge', '--json'], server.env)).out);
    expect(json).toMatchObject({ name: 'edge', total: 2, new: 2, failed: 0, missed: 0 });
  });

  it('lists the sources with their jobs and errors', async () => {
    const run = await vigilIn(['sources', 'ls'], server.env);
    expect(run.code).toBe(0);
    const [header, ...rows] = run.out.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+KIND\s+JOBS\s+LAST SUCCESS\s+ERROR$/);
    expect(rows.find((r) => r.startsWith('edge'))).toMatch(/^edge\s+supabase\s+2\s+\d{4}-\S+ \S+Z\s+-$/);
    expect(rows.find((r) => r.startsWith('db1 '))).toMatch(/^db1\s+pg_cron\s+0\s+never\s+127\.0\.0\.1:\d+: /);
  });
});

describe('a large inventory', () => {
  it('reads a project with 400 functions, a longer answer than any alert provider gives', async () => {
    const before = fake.functions;
    fake.functions = Array.from({ length: 400 }, (_, i) => fn(`function-${String(i).padStart(3, '0')}`));
    try {
      expect(JSON.stringify(fake.functions).length).toBeGreaterThan(64 * 1024);
      const run = await vigilIn(['sources', 'sync', 'edge', '--json'], server.env);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.out)).toMatchObject({ ok: true, jobs: 400 });
    } finally {
      fake.functions = before;
    }
  });
});

describe('vigil sources rm', () => {
  it('removes a source by name, archiving its checks', async () => {
    const run = await vigilIn(['sources', 'rm', 'db2'], server.env);
    expect(run).toMatchObject({ code: 0, out: 'Removed "db2"; its 1 check is archived (history kept).\n' });
    const again = await vigilIn(['sources', 'rm', 'db2'], server.env);
    expect(again.code).toBe(1);
    expect(again.err).toBe('vigil sources: no source "db2" (see vigil sources ls)\n');
  });
});
