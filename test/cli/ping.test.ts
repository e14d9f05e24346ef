// `vigil ping` in-process against the real server: each action, by UUID and by slug.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, freePort, startVigil, tempDir, type VigilProcess } from '../e2e/server-process.ts';
import { getCheck, makeCheck, pingsOf, useJobServer, vigilIn } from './job-server.ts';

const server = useJobServer('vigil-ping-');

describe('vigil ping', () => {
  it('sends a success by UUID', async () => {
    const check = await makeCheck(server, 'ping-uuid');
    expect(await vigilIn(['ping', check.id], server.env)).toEqual({ code: 0, out: '', err: '' });
    expect((await pingsOf(server, check.id))[0]?.kind).toBe('success');
    expect((await getCheck(server, check.id)).status).toBe('up');
  });

  it('sends a fail by slug with the message as its body', async () => {
    const check = await makeCheck(server, 'ping-slug');
    const run = await vigilIn(['ping', 'ping-slug', '--fail', '--message', 'backup failed'], server.env);
    expect(run.code).toBe(0);
    expect((await pingsOf(server, check.id))[0]).toMatchObject({ kind: 'fail', body: 'backup failed' });
    expect((await getCheck(server, check.id)).status).toBe('down');
  });

  it('pairs --start and --exit with the run id that --rid auto prints', async () => {
    const check = await makeCheck(server, 'ping-run');
    const start = await vigilIn(['ping', 'ping-run', '--start', '--rid', 'auto'], server.env);
    const rid = start.out.trim();
    expect(rid).toMatch(/^[0-9a-f-]{36}$/);
    expect((await vigilIn(['ping', 'ping-run', '--exit', '0', '--rid', rid], server.env)).code).toBe(0);
    const [end] = await pingsOf(server, check.id);
    expect(end).toMatchObject({ kind: 'exit', exit_status: 0, rid });
    expect(end?.duration_ms).toEqual(expect.any(Number));
  });

  it('sends its own clock, which vigil keeps beside the time it received the ping', async () => {
    const check = await makeCheck(server, 'ping-clock');
    expect((await vigilIn(['ping', 'ping-clock'], server.env)).code).toBe(0);
    const [ping] = await pingsOf(server, check.id);
    // the same machine's clock: off by no more than the time in transit
    expect(ping?.client_at).toEqual(expect.any(String));
    expect(Math.abs(ping!.skew_ms!)).toBeLessThan(60_000);
    expect(ping!.skew_ms).toBe(Date.parse(ping!.client_at!) - Date.parse(ping!.at));
  });

  it('sends a log that changes nothing', async () => {
    const check = await makeCheck(server, 'ping-log');
    expect((await vigilIn(['ping', 'ping-log', '--log', '-m', 'note'], server.env)).code).toBe(0);
    expect((await pingsOf(server, check.id))[0]).toMatchObject({ kind: 'log', body: 'note' });
    expect((await getCheck(server, check.id)).status).toBe('new');
  });

  it('fails with exit 1 for an unknown check', async () => {
    const run = await vigilIn(['ping', 'no-such-check'], server.env);
    expect(run.code).toBe(1);
    expect(run.err).toContain('HTTP 404');
    expect(run.err).not.toContain(server.pingKey);
  });

  it('fails with exit 69 when vigil cannot be reached', async () => {
    const env = { ...server.env, VIGIL_URL: `http://127.0.0.1:${await freePort()}` };
    const run = await vigilIn(['ping', 'ping-uuid'], env);
    expect(run.code).toBe(69);
    expect(run.err).toMatch(/could not report success to .*<ping-key>\/ping-uuid: ECONNREFUSED/);
  });

  it('looks a slug up with the API key when there is no ping key', async () => {
    const check = await makeCheck(server, 'ping-by-api-key');
    const { VIGIL_PING_KEY: _, ...env } = server.env;
    expect((await vigilIn(['ping', 'ping-by-api-key'], env)).code).toBe(0);
    expect((await pingsOf(server, check.id))[0]?.kind).toBe('success');
    const unknown = await vigilIn(['ping', 'no-such-slug'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no check with slug "no-such-slug"');
  });

  it('names VIGIL_PING_KEY when a slug is given with neither key', async () => {
    const { VIGIL_PING_KEY: _, VIGIL_API_KEY: __, ...env } = server.env;
    const run = await vigilIn(['ping', 'ping-slug'], env);
    expect(run.code).toBe(78);
    expect(run.err).toContain('VIGIL_PING_KEY');
  });

  it.each([
    [['ping', 'x', '--start', '--fail']],
    [['ping', 'x', '--exit', '256']],
    [['ping']],
    [['ping', 'x', '--rid', 'not-a-uuid']],
  ])('rejects bad usage with exit 2: %j', async (argv) => {
    expect((await vigilIn(argv, server.env)).code).toBe(2);
  });
});

describe('vigil ping against a rate limit', () => {
  const tmp = tempDir('vigil-ping-429-');
  let vigil: VigilProcess | undefined;
  afterAll(async () => {
    await vigil?.stop();
    tmp.remove();
  });

  it('waits out a 429 for its Retry-After and then gets the ping in', async () => {
    // one ping a second per check: the second in a row is refused, and taken a second later
    vigil = await startVigil({ dbPath: join(tmp.dir, 'vigil.db'), env: { VIGIL_RATE_LIMIT_PING: '1/1' } });
    const api = apiClient(vigil.url, vigil.bootstrap!.key);
    const made = await api<{ id: string }>('POST', '/checks', {
      name: 'limited',
      slug: 'limited',
      schedule: { kind: 'interval', period: 3600, grace: 60 },
    });
    expect(made.status).toBe(201);
    const env = { VIGIL_URL: vigil.url, VIGIL_PING_KEY: vigil.bootstrap!.pingKey, HOME: tmp.dir };
    expect(await vigilIn(['ping', 'limited'], env)).toEqual({ code: 0, out: '', err: '' });
    expect(await vigilIn(['ping', 'limited'], env)).toEqual({ code: 0, out: '', err: '' });
    const pings = await api<{ pings: unknown[] }>('GET', `/checks/${made.body.id}/pings`);
    expect(pings.body.pings).toHaveLength(2);
  });
});
