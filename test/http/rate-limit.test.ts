// The token buckets themselves, their settings, and the limits as the Hono app applies them (the
// ping route Workers use, the compat heartbeat, sign-in), on the harness's ManualClock.

import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { limitKey } from '../../src/http/client-address.ts';
import { RateLimiter, retryAfterSeconds } from '../../src/http/rate-limit.ts';
import { loadWorkerConfig } from '../../src/runtimes/workers/worker-config.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';

describe('RateLimiter', () => {
  it('allows a burst, then says how long until the next request, and refills at its rate', () => {
    const limiter = new RateLimiter({ burst: 3, refillMs: 500 });
    expect([0, 0, 0].map(() => limiter.take('k', 1000))).toEqual([0, 0, 0]);
    expect(limiter.take('k', 1000)).toBe(500);
    expect(limiter.take('k', 1200)).toBe(300);
    expect(limiter.take('k', 1500)).toBe(0);
    expect(limiter.take('k', 1500)).toBe(500);
    // a long pause refills no more than the burst
    expect([0, 0, 0, 0].map(() => limiter.take('k', 60_000))).toEqual([0, 0, 0, 500]);
  });

  it('keeps each key apart', () => {
    const limiter = new RateLimiter({ burst: 1, refillMs: 1000 });
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('a', 0)).toBe(1000);
    expect(limiter.take('b', 0)).toBe(0);
  });

  it('tells the wait without taking anything, and forgets a key on reset', () => {
    const limiter = new RateLimiter({ burst: 1, refillMs: 1000 });
    expect(limiter.wait('k', 0)).toBe(0);
    expect(limiter.wait('k', 0)).toBe(0);
    limiter.take('k', 0);
    expect(limiter.wait('k', 250)).toBe(750);
    limiter.reset('k');
    expect(limiter.take('k', 250)).toBe(0);
  });

  it('never refills for a clock that steps back', () => {
    const limiter = new RateLimiter({ burst: 1, refillMs: 1000 });
    limiter.take('k', 10_000);
    expect(limiter.take('k', 5_000)).toBe(1000);
  });

  it('tracks at most maxKeys, forgetting refilled buckets before one still being drained', () => {
    const limiter = new RateLimiter({ burst: 2, refillMs: 1000, maxKeys: 10 });
    for (let i = 0; i < 3; i++) limiter.take('flood', 0);
    for (let i = 0; i < 9; i++) limiter.take(`quiet-${i}`, 0);
    expect(limiter.size).toBe(10);
    // a second later the quiet keys are full again; the flood has one token back, not two
    limiter.take('newcomer', 1000);
    expect(limiter.size).toBe(2);
    expect(limiter.take('flood', 1000)).toBe(0);
    expect(limiter.take('flood', 1000)).toBe(1000);
  });

  it('stays within maxKeys when every bucket is in use, dropping the oldest', () => {
    const limiter = new RateLimiter({ burst: 1, refillMs: 60_000, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) {
      limiter.take(`key-${i}`, 0);
      expect(limiter.size).toBeLessThanOrEqual(100);
    }
    expect(limiter.take('key-999', 0)).toBeGreaterThan(0); // the newest are remembered
    expect(limiter.take('key-0', 0)).toBe(0); // the oldest start again
  });

  it('turns a wait into Retry-After seconds: whole, and at least one', () => {
    expect([1, 999, 1000, 1001, 2500].map(retryAfterSeconds)).toEqual([1, 1, 1, 2, 3]);
  });
});

describe('the settings', () => {
  it('has generous defaults', () => {
    expect(loadConfig({}).rateLimits).toEqual({
      ping: { perSecond: 200, burst: 2000 },
      pingAddress: { perSecond: 1000, burst: 10_000 },
      api: { perSecond: 100, burst: 1000 },
      apiAddress: { perSecond: 10, burst: 100 },
      login: { perSecond: 0.2, burst: 20 },
    });
    expect(loadConfig({})).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
  });

  it('reads "<per second>/<burst>", fractions of a second, and off or 0', () => {
    const config = loadConfig({
      VIGIL_RATE_LIMIT_PING: ' 50/200 ',
      VIGIL_RATE_LIMIT_PING_ADDRESS: 'OFF',
      VIGIL_RATE_LIMIT_API: '0',
      VIGIL_RATE_LIMIT_LOGIN: '0.5/5',
      VIGIL_HEADERS_TIMEOUT: '2',
      VIGIL_REQUEST_TIMEOUT: '5',
    });
    expect(config.rateLimits).toMatchObject({
      ping: { perSecond: 50, burst: 200 },
      pingAddress: null,
      api: null,
      login: { perSecond: 0.5, burst: 5 },
    });
    expect(config).toMatchObject({ headersTimeoutMs: 2000, requestTimeoutMs: 5000 });
  });

  it.each(['fast', '100', '/10', '10/0', '0/10', '10/2.5', '-1/10'])(
    'stops with a message naming the variable when a limit is %j',
    (value) => {
      expect(() => loadConfig({ VIGIL_RATE_LIMIT_API: value })).toThrow(ConfigError);
      expect(() => loadConfig({ VIGIL_RATE_LIMIT_API: value })).toThrow(
        /VIGIL_RATE_LIMIT_API: expected "<requests a second>\/<burst>"/,
      );
    },
  );

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(() => loadConfig({ VIGIL_HEADERS_TIMEOUT: '60', VIGIL_REQUEST_TIMEOUT: '30' })).toThrow(
      /VIGIL_HEADERS_TIMEOUT \(60 s\) must not be longer than VIGIL_REQUEST_TIMEOUT \(30 s\)/,
    );
  });

  it('takes the limits on Workers too, but not the Node socket timeouts', () => {
    const bindings = { DB: {}, CLOCK: {} };
    expect(loadWorkerConfig({ ...bindings, VIGIL_RATE_LIMIT_PING: '5/10' }).rateLimits.ping).toEqual({
      perSecond: 5,
      burst: 10,
    });
    expect(() => loadWorkerConfig({ ...bindings, VIGIL_HEADERS_TIMEOUT: '5' })).toThrow(
      /VIGIL_HEADERS_TIMEOUT: Cloudflare reads the requests of a Worker/,
    );
  });
});

describe('in the Hono app (the routes Workers serve)', () => {
  let h: Harness;
  afterEach(() => h.close());

  const ping = (path: string, from = '10.0.0.1') =>
    h.app.request(`/ping/${path}`, { headers: { 'X-Forwarded-For': from } });

  it('limits pings per ping key with a plain-text 429 and Retry-After, other projects unaffected', async () => {
    h = await createHarness({ trustProxy: true, rateLimits: { ping: { perSecond: 0.5, burst: 3 } } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await ping(`${h.project.pingKey}/job?create=1`)).status);
    expect(statuses).toEqual([201, 200, 200, 429]);
    const limited = await ping(`${h.project.pingKey}/other-job?create=1`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(limited.headers.get('access-control-allow-origin')).toBe('*');
    expect(await limited.text()).toBe(
      'rate limited: too many pings for this check, ping key or address; retry in 2 s',
    );
    expect((await ping(`${h.other.project.pingKey}/job?create=1`)).status).toBe(201);

    h.clock.advance(2000);
    expect((await ping(`${h.project.pingKey}/job`)).status).toBe(200);
    expect((await ping(`${h.project.pingKey}/job`)).status).toBe(429);
  });

  it('limits pings per address, behind a trusted proxy by the address it reports', async () => {
    h = await createHarness({ trustProxy: true, rateLimits: { pingAddress: { perSecond: 1, burst: 2 } } });
    const one = `${h.project.pingKey}/a?create=1`;
    const two = `${h.other.project.pingKey}/b?create=1`;
    expect((await ping(one, '10.0.0.1')).status).toBe(201);
    expect((await ping(two, '10.0.0.1')).status).toBe(201);
    expect((await ping(one, '10.0.0.1')).status).toBe(429);
    expect((await ping(one, '10.0.0.2')).status).toBe(200);
  });

  it('counts IPv6 clients by their /64, which one host can send from all of', async () => {
    h = await createHarness({ trustProxy: true, rateLimits: { pingAddress: { perSecond: 1, burst: 2 } } });
    const job = `${h.project.pingKey}/a?create=1`;
    expect((await ping(job, '2001:db8:1:2::1')).status).toBe(201);
    expect((await ping(job, '2001:db8:1:2:ffff:ffff:ffff:fffe')).status).toBe(200);
    // a third address of the same /64, written the long way
    expect((await ping(job, '2001:0db8:0001:0002:0000:0000:0000:0003')).status).toBe(429);
    // the next /64 is another client; an IPv4-mapped address counts as the IPv4 one
    expect((await ping(job, '2001:db8:1:3::1')).status).toBe(200);
    expect((await ping(job, '10.0.0.9')).status).toBe(200);
    expect((await ping(job, '::ffff:10.0.0.9')).status).toBe(200);
    expect((await ping(job, '10.0.0.9')).status).toBe(429);
  });

  it('counts /heartbeat/{uuid} of the application API with the pings of the same check', async () => {
    h = await createHarness({ rateLimits: { ping: { perSecond: 1, burst: 2 } } });
    const created = await h.app.request('/api/applications', {
      method: 'POST',
      headers: { 'X-Api-Key': h.key, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'app', expected_interval: 60 }),
    });
    expect(created.status).toBe(201);
    const { uuid } = (await created.json()) as { uuid: string };
    expect((await h.app.request(`/ping/${uuid}`)).status).toBe(200);
    expect((await h.app.request(`/heartbeat/${uuid}`, { method: 'POST' })).status).toBe(200);
    const limited = await h.app.request(`/heartbeat/${uuid}`, { method: 'POST' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.json()).toEqual({
      error: 'Too Many Requests',
      details: 'too many heartbeats for this application or address; retry in 1 s',
    });
  });

  /** One sign-in attempt with a wrong password, with the form's CSRF token, from `from`. */
  async function signInAttempt(email: string, from: string): Promise<number> {
    const form = await h.app.request('/login');
    const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const res = await h.app.request('/login', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `vigil_login_csrf=${token}`,
        'X-Forwarded-For': from,
      },
      body: new URLSearchParams({ email, password: 'wrong password', _csrf: token }),
    });
    return res.status;
  }

  it('limits sign-in per client address as configured, behind a trusted proxy by its address', async () => {
    h = await createHarness({ trustProxy: true, rateLimits: { login: { perSecond: 0.1, burst: 2 } } });
    const statuses = [];
    for (const n of [1, 2, 3]) statuses.push(await signInAttempt(`guess${n}@example.com`, '10.0.0.1'));
    expect(statuses).toEqual([400, 400, 429]);
    expect(await signInAttempt('guess4@example.com', '10.0.0.2')).toBe(400);
  });

  it('leaves only the per-email limit on sign-in when the address limit is off', async () => {
    h = await createHarness({ rateLimits: { login: null } });
    for (let n = 0; n < 21; n++) expect(await signInAttempt(`guess${n}@example.com`, '10.0.0.1')).toBe(400);
  });
});

describe('limitKey', () => {
  it('is the address for IPv4 and the /64 for IPv6, in one spelling', () => {
    expect(limitKey('192.0.2.7')).toBe('192.0.2.7');
    expect(limitKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(limitKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(limitKey('2001:DB8:0:0:1:2:3:4')).toBe('2001:db8:0:0::/64');
    expect(limitKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(limitKey('::1')).toBe('0:0:0:0::/64');
    expect(limitKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(limitKey(null)).toBe('unknown');
    // not an IPv6 address: counted as given, never merged with another
    for (const odd of ['1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', ':::']) expect(limitKey(odd)).toBe(odd);
  });
});
