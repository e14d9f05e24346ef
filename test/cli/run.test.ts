// `vigil run` as the real process against the real server: what the job sees (its output, its
// exit code) and what vigil records (start, end, duration, the output's tail).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../e2e/server-process.ts';
import { getCheck, makeCheck, pingsOf, useJobServer, vigilProcess } from './job-server.ts';

const server = useJobServer('vigil-run-');

describe('vigil run', () => {
  it('reports a command that succeeds: exit 0, the check up, its output and a duration', async () => {
    const check = await makeCheck(server, 'run-ok');
    const run = await vigilProcess(
      ['run', 'run-ok', '--', 'sh', '-c', 'echo hello; exit 0'],
      server.env,
      server.dir,
    );
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe('hello\n');
    expect((await getCheck(server, check.id)).status).toBe('up');
    const [end, start] = await pingsOf(server, check.id);
    expect(start?.kind).toBe('start');
    expect(end).toMatchObject({ kind: 'exit', exit_status: 0 });
    expect(end?.body).toContain('hello');
    expect(end?.duration_ms).toEqual(expect.any(Number));
  });

  it('keeps a failing command’s exit code and marks the check down with the output', async () => {
    const check = await makeCheck(server, 'run-fail');
    const run = await vigilProcess(
      ['run', check.id, '--', 'sh', '-c', 'echo "disk full" >&2; exit 3'],
      server.env,
      server.dir,
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('disk full\n');
    expect((await getCheck(server, check.id)).status).toBe('down');
    const [end] = await pingsOf(server, check.id);
    expect(end).toMatchObject({ kind: 'exit', exit_status: 3 });
    expect(end?.body).toContain('disk full');
  });

  it('reports a command killed by a signal as a fail naming it, and exits 128 + the signal', async () => {
    const check = await makeCheck(server, 'run-killed');
    const run = await vigilProcess(
      ['run', 'run-killed', '--', 'sh', '-c', 'kill -TERM $$'],
      server.env,
      server.dir,
    );
    expect(run.code).toBe(143);
    const [end] = await pingsOf(server, check.id);
    expect(end?.kind).toBe('fail');
    expect(end?.body).toContain('SIGTERM');
  });

  it('pairs the start and the end with --rid auto', async () => {
    const check = await makeCheck(server, 'run-rid');
    const run = await vigilProcess(['run', 'run-rid', '--rid', 'auto', '--', 'true'], server.env, server.dir);
    expect(run.code).toBe(0);
    const [end, start] = await pingsOf(server, check.id);
    expect(end?.rid).toMatch(/^[0-9a-f-]{36}$/);
    expect(start?.rid).toBe(end?.rid);
    expect(end?.duration_ms).toEqual(expect.any(Number));
  });

  it('sends only the last 10 KB of a long output, while the terminal sees all of it', async () => {
    const check = await makeCheck(server, 'run-long');
    const script = 'i=0; while [ $i -lt 3000 ]; do echo "line $i"; i=$((i+1)); done';
    const run = await vigilProcess(['run', 'run-long', '--', 'sh', '-c', script], server.env, server.dir);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toHaveLength(3001);
    expect(run.stdout).toContain('line 0\n');
    const [end] = await pingsOf(server, check.id);
    expect(Buffer.byteLength(end?.body ?? '')).toBeLessThanOrEqual(10 * 1024);
    expect(Buffer.byteLength(end?.body ?? '')).toBeGreaterThan(10 * 1024 - 20);
    expect(end?.body).toMatch(/line 2999\n$/);
    expect(end?.body).not.toContain('line 0\n');
  });

  it('exits 127 and reports a fail when the command cannot be started', async () => {
    const check = await makeCheck(server, 'run-missing');
    const run = await vigilProcess(
      ['run', 'run-missing', '--', 'no-such-command-here'],
      server.env,
      server.dir,
    );
    expect(run.code).toBe(127);
    expect(run.stderr).toContain('no-such-command-here');
    const [end] = await pingsOf(server, check.id);
    expect(end?.kind).toBe('fail');
    expect(end?.body).toContain('ENOENT');
  });

  it('still runs the command and keeps its exit code when vigil is away, with one line on stderr', async () => {
    const marker = join(server.dir, 'ran-while-away');
    const env = { ...server.env, VIGIL_URL: `http://127.0.0.1:${await freePort()}` };
    const run = await vigilProcess(
      ['run', 'run-away', '--', 'sh', '-c', `touch ${marker}; exit 5`],
      env,
      server.dir,
    );
    expect(existsSync(marker)).toBe(true);
    expect(run.code).toBe(5);
    expect(run.timedOut).toBe(false);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^vigil: could not report the start and the exit status 5 to http:\/\/127\.0\.0\.1:\d+\/ping\/<ping-key>\/run-away: /,
    );
    expect(run.stderr).not.toContain(server.pingKey);
  });

  it('runs the command unreported when pinging by slug has neither key, naming VIGIL_PING_KEY', async () => {
    const { VIGIL_PING_KEY: _, VIGIL_API_KEY: __, ...env } = server.env;
    const run = await vigilProcess(
      ['run', 'run-ok', '--', 'sh', '-c', 'echo still here; exit 2'],
      env,
      server.dir,
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('still here\n');
    expect(run.stderr).toContain('VIGIL_PING_KEY');
  });

  it('wants a check and a command', async () => {
    const run = await vigilProcess(['run', 'run-ok'], server.env, server.dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('vigil run <check>');
  });
});
