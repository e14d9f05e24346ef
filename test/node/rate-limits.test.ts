// The rate limits through a real server on loopback (the Node fast path for pings, Hono for the
// APIs), with a ManualClock: buckets refill only when the test moves time, so every count here
// is exact. Client addresses come from X-Forwarded-For (VIGIL_TRUST_PROXY), as behind a proxy.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/audit/actor.ts';
import { loadConfig } from '../../src/config.ts';
import { createApiKey, createProject } from '../../src/projects/keys.ts';
import { ManualClock } from '../../src/scheduler/clock.ts';
import { type Server, startServer } from '../../src/server.ts';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const ACTOR = systemActor('the rate limit test');

interface Started {
  server: Server;
  clock: ManualClock;
  a: { key: string; pingKey: string };
  b: { key: string; pingKey: string };
  close(): Promise<void>;
}

async function start(env: Record<string, string>): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-limits-'));
  const clock = new ManualClock(T0);
  let a = { key: '', pingKey: '' };
  const server = await startServer(
    loadConfig({
      VIGIL_DATABASE_URL: `sqlite:${join(dir, 'vigil.db')}`,
      VIGIL_PORT: '0',
      VIGIL_TRUST_PROXY: '1',
      ...env,
    }),
    { clock, logger: pino({ level: 'silent' }), onBootstrap: (info) => (a = info) },
  );
  const b = await server.store.transaction(async (tx) => {
    const project = await createProject(tx, 'b', T0, ACTOR);
    return { key: (await createApiKey(tx, project.id, { now: T0 }, ACTOR)).key, pingKey: project.pingKey };
  });
  return {
    server,
    clock,
    a,
    b,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Answer {
  status: number;
  retryAfter: string | null;
  text: string;
}

async function send(url: string, from: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { ...init, headers: { ...init.headers, 'X-Forwarded-For': from } });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() };
}

/** Sends them all, fifty at a time, and returns the answers in order. */
async function sendAll(requests: (() => Promise<Answer>)[]): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < requests.length; i += 50) {
    answers.push(...(await Promise.all(requests.slice(i, i + 50).map((r) => r()))));
  }
  return answers;
}

const count = (answers: Answer[], status: number) => answers.filter((a) => a.status === status).length;

describe('with limits on', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start({
      VIGIL_RATE_LIMIT_PING: '10/50',
      VIGIL_RATE_LIMIT_PING_ADDRESS: '100/300',
      VIGIL_RATE_LIMIT_API: '5/20',
      VIGIL_RATE_LIMIT_API_ADDRESS: '1/5',
    });
  });
  afterAll(() => s.close());

  it("refuses a flood on one project's ping key with 429 while the other project's pings all pass", async () => {
    const { url } = s.server;
    const requests: (() => Promise<Answer>)[] = [];
    // interleaved: one ping of B, then five of A's flood
    for (let i = 0; i < 200; i++) {
      if (i % 5 === 0) requests.push(() => send(`${url}/ping/${s.b.pingKey}/quiet?create=1`, '10.0.0.2'));
      requests.push(() => send(`${url}/ping/${s.a.pingKey}/flooded?create=1`, '10.0.0.1'));
    }
    const answers = await sendAll(requests);
    const ofB = answers.filter((_, i) => i % 6 === 0);
    const ofA = answers.filter((_, i) => i % 6 !== 0);
    expect(ofB).toHaveLength(40);
    expect(ofB.every((a) => a.status === 200 || a.status === 201)).toBe(true);
    expect(count(ofA, 200) + count(ofA, 201)).toBe(50);
    expect(count(ofA, 429)).toBe(150);
    for (const limited of ofA.filter((a) => a.status === 429)) {
      expect(limited.retryAfter).toBe('1');
      expect(limited.text).toMatch(/^rate limited: .*retry in 1 s$/);
    }
    // what was refused was not stored
    const check = await s.server.store.getCheckBySlug(
      (await s.server.store.getProjectByPingKey(s.a.pingKey))!.id,
      'flooded',
    );
    expect((await s.server.store.listPings(check!.id, { limit: 500 })).length).toBe(50);
  });

  it('lets a limited ping key in again as its bucket refills', async () => {
    const ping = () => send(`${s.server.url}/ping/${s.a.pingKey}/flooded`, '10.0.0.1');
    expect((await ping()).status).toBe(429);
    s.clock.advance(1000); // ten a second
    const answers = await sendAll(Array.from({ length: 11 }, () => ping));
    expect(count(answers, 200)).toBe(10);
    expect(count(answers, 429)).toBe(1);
  });

  it('holds a refused ping a second before answering, so a client that retries at once is slowed', async () => {
    const started = performance.now();
    const refused = await send(`${s.server.url}/ping/${s.a.pingKey}/flooded`, '10.0.0.1');
    expect(refused.status).toBe(429);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('limits pings by check UUID, each check on its own', async () => {
    const [one, two] = await Promise.all(
      ['by-uuid-1', 'by-uuid-2'].map(async (slug) => {
        await send(`${s.server.url}/ping/${s.b.pingKey}/${slug}?create=1`, '10.0.2.1');
        const project = await s.server.store.getProjectByPingKey(s.b.pingKey);
        return (await s.server.store.getCheckBySlug(project!.id, slug))!.id;
      }),
    );
    const answers = await sendAll(
      Array.from({ length: 60 }, () => () => send(`${s.server.url}/ping/${one}`, '10.0.2.2')),
    );
    expect(count(answers, 200)).toBe(50);
    expect(count(answers, 429)).toBe(10);
    expect((await send(`${s.server.url}/ping/${two}/fail`, '10.0.2.2')).status).toBe(200);
  });

  it('limits one address across many keys, and only that address', async () => {
    // unknown checks: each a key of its own, each a 404, all from one address
    const answers = await sendAll(
      Array.from({ length: 310 }, () => () => send(`${s.server.url}/ping/${randomUUID()}`, '10.0.0.3')),
    );
    expect(count(answers, 404)).toBe(300);
    expect(count(answers, 429)).toBe(10);
    expect((await send(`${s.server.url}/ping/${randomUUID()}`, '10.0.0.4')).status).toBe(404);
  });

  it('limits each API key: 429 rate_limited with Retry-After, other keys unaffected', async () => {
    const list = (key: string) => () =>
      send(`${s.server.url}/api/v1/checks`, '10.0.1.1', { headers: { 'X-Api-Key': key } });
    const answers = await sendAll(Array.from({ length: 25 }, () => list(s.a.key)));
    expect(count(answers, 200)).toBe(20);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited).toHaveLength(5);
    expect(limited[0]!.retryAfter).toBe('1');
    expect(JSON.parse(limited[0]!.text)).toEqual({
      error: { code: 'rate_limited', message: 'too many requests with this API key; retry in 1 s' },
    });
    expect((await list(s.b.key)()).status).toBe(200);

    s.clock.advance(1000); // five a second
    const later = await sendAll(Array.from({ length: 6 }, () => list(s.a.key)));
    expect(count(later, 200)).toBe(5);
    expect(count(later, 429)).toBe(1);
  });

  it('slows key guessing per address: after a few wrong keys, even a right one waits', async () => {
    const get = (from: string, key: string) =>
      send(`${s.server.url}/api/v1/project`, from, { headers: { Authorization: `Bearer ${key}` } });
    // three wrong keys and two requests with none
    const wrong = await sendAll([
      ...Array.from({ length: 3 }, () => () => get('10.0.3.1', `vgl_${randomUUID()}`)),
      ...Array.from({ length: 2 }, () => () => send(`${s.server.url}/api/v1/checks`, '10.0.3.1')),
    ]);
    expect(wrong.map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);
    const refused = await get('10.0.3.1', s.b.key);
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('1');
    expect(JSON.parse(refused.text)).toEqual({
      error: { code: 'rate_limited', message: 'too many requests without a valid API key; retry in 1 s' },
    });
    // another address is not held up
    expect((await get('10.0.3.2', s.b.key)).status).toBe(200);

    s.clock.advance(1000); // one a second
    expect((await get('10.0.3.1', s.b.key)).status).toBe(200);
  });

  it('limits the compat APIs by the same key buckets, in their flat error shape', async () => {
    const project = await s.server.store.getProjectByPingKey(s.b.pingKey);
    const { key } = await s.server.store.transaction((tx) =>
      createApiKey(tx, project!.id, { now: T0 }, ACTOR),
    );
    const status = () =>
      send(`${s.server.url}/api/status`, '10.0.4.1', { headers: { Authorization: `Bearer ${key}` } });
    const answers = await sendAll(Array.from({ length: 21 }, () => status));
    expect(count(answers, 200)).toBe(20);
    const limited = answers.find((a) => a.status === 429)!;
    expect(limited.retryAfter).toBe('1');
    expect(JSON.parse(limited.text)).toEqual({
      error: 'Too Many Requests',
      details: 'too many requests with this API key; retry in 1 s',
    });
    // the key is over its limit on /api/v1 too
    const v1 = await send(`${s.server.url}/api/v1/checks`, '10.0.4.1', { headers: { 'X-Api-Key': key } });
    expect(v1.status).toBe(429);
  });
});

describe('with limits off', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start({
      VIGIL_RATE_LIMIT_PING: 'off',
      VIGIL_RATE_LIMIT_PING_ADDRESS: '0',
      VIGIL_RATE_LIMIT_API: 'off',
      VIGIL_RATE_LIMIT_API_ADDRESS: 'off',
    });
  });
  afterAll(() => s.close());

  it('never answers 429, however many pings and requests come at once', async () => {
    const pings = await sendAll(
      Array.from(
        { length: 300 },
        () => () => send(`${s.server.url}/ping/${s.a.pingKey}/busy?create=1`, '10.0.0.1'),
      ),
    );
    expect(count(pings, 200) + count(pings, 201)).toBe(300);
    const wrong = await sendAll(
      Array.from(
        { length: 30 },
        () => () =>
          send(`${s.server.url}/api/v1/checks`, '10.0.0.1', { headers: { 'X-Api-Key': 'vgl_wrong' } }),
      ),
    );
    expect(count(wrong, 401)).toBe(30);
    const api = await sendAll(
      Array.from(
        { length: 150 },
        () => () => send(`${s.server.url}/api/v1/project`, '10.0.0.1', { headers: { 'X-Api-Key': s.a.key } }),
      ),
    );
    expect(count(api, 200)).toBe(150);
  });
});
