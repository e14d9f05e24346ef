// A client's own clock, where its protocol carries one: kept beside the time vigil received the
// ping and shown as skew, never used for a deadline. Runs on SQLite and D1 (vitest.config.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import {
  type CheckView,
  createCheck,
  expectApiError,
  getCheck,
  iso,
  json,
  listPings,
} from './api-helpers.ts';

const MINUTE_CHECK = { kind: 'interval', period: 60, grace: 30 } as const;
const YEAR = 365 * 86_400_000;

let h: Harness;
let check: CheckView;
beforeEach(async () => {
  h = await createHarness();
  check = await createCheck(h, { name: 'Backup', schedule: MINUTE_CHECK });
});
afterEach(() => h.close());

function ping(path: string, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(h.app.request(`/ping/${path}`, init));
}

async function lastPing(id = check.id) {
  return (await listPings(h, id))[0]!;
}

describe('a ping’s client time', () => {
  it('is read from ?ts= in Unix seconds and shown with its skew', async () => {
    expect((await ping(`${check.id}?ts=${(T0 - 2500) / 1000}`)).status).toBe(200);
    expect(await lastPing()).toMatchObject({ at: iso(T0), client_at: iso(T0 - 2500), skew_ms: -2500 });
  });

  it('is read from X-Vigil-Client-Time in Unix milliseconds', async () => {
    const res = await ping(check.id, {
      method: 'POST',
      headers: { 'X-Vigil-Client-Time': String(T0 + 1234) },
    });
    expect(res.status).toBe(200);
    expect(await lastPing()).toMatchObject({ client_at: iso(T0 + 1234), skew_ms: 1234 });
  });

  it('is read as RFC 3339 with an offset', async () => {
    const sent = encodeURIComponent('2026-01-05T13:00:05+01:00'); // T0 + 5 s
    await ping(`${check.id}/start?ts=${sent}`);
    expect(await lastPing()).toMatchObject({ kind: 'start', client_at: iso(T0 + 5000), skew_ms: 5000 });
  });

  it('is null when the client sends none, or something that is no time (the ping still counts)', async () => {
    await ping(check.id);
    expect(await lastPing()).toMatchObject({ client_at: null, skew_ms: null });
    for (const ts of ['yesterday', '-5', '1e400', '2026-13-45T00:00:00Z', 'x'.repeat(5000)]) {
      expect((await ping(`${check.id}?ts=${encodeURIComponent(ts)}`)).status).toBe(200);
      expect((await lastPing()).client_at).toBeNull();
    }
    expect((await listPings(h, check.id)).length).toBe(6);
  });

  it('is allowed from a browser (the CORS preflight names its header)', async () => {
    const res = await ping(check.id, { method: 'OPTIONS' });
    expect(res.headers.get('access-control-allow-headers')).toMatch(/X-Vigil-Client-Time/i);
  });
});

describe('deadlines', () => {
  it('follow vigil’s receive time, whatever the client’s clock says', async () => {
    const past = check;
    const future = await createCheck(h, { name: 'Future', schedule: MINUTE_CHECK });
    const honest = await createCheck(h, { name: 'Honest', schedule: MINUTE_CHECK });
    await ping(`${past.id}?ts=${T0 - 10 * YEAR}`);
    await ping(`${future.id}?ts=${T0 + 10 * YEAR}`);
    await ping(honest.id);
    for (const id of [past.id, future.id, honest.id]) {
      expect(await getCheck(h, id)).toMatchObject({
        status: 'up',
        last_ping_at: iso(T0),
        next_deadline: iso(T0 + 60_000),
      });
    }
    // past the period and the grace by server time: all three are down alike
    h.clock.advance(91_000);
    await h.scheduler.sweep(h.clock.now());
    await h.scheduler.sweep(h.clock.now());
    for (const id of [past.id, future.id, honest.id]) expect((await getCheck(h, id)).status).toBe('down');
    expect((await lastPing(future.id)).skew_ms).toBe(10 * YEAR);
  });
});

describe('the other protocols that carry a client time', () => {
  it('a daemon heartbeat’s lastHeartbeat', async () => {
    const post = (path: string, body: unknown) =>
      Promise.resolve(
        h.app.request(`/api/daemon${path}`, {
          method: 'POST',
          headers: { 'X-API-Key': h.key, 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        }),
      );
    expect((await post('/register', { daemonId: 'worker-1' })).status).toBe(201);
    const sent = new Date(T0 - 30_000).toISOString();
    const beat = await post('/heartbeat', { daemonId: 'worker-1', status: 'healthy', lastHeartbeat: sent });
    expect(beat.status).toBe(200);
    const daemon = (await json<{ checks: CheckView[] }>(await h.api('GET', '/checks?slug=daemon/worker-1')))
      .checks[0]!;
    expect(await lastPing(daemon.id)).toMatchObject({ at: iso(T0), client_at: sent, skew_ms: -30_000 });
    expect((await getCheck(h, daemon.id)).last_ping_at).toBe(iso(T0));
  });

  it('a check-in’s sent_at, which must be a time', async () => {
    const res = await h.api('POST', '/checkins', {
      slug: check.slug,
      status: 'ok',
      sent_at: (T0 + 750) / 1000,
    });
    expect(res.status).toBe(200);
    expect(await lastPing()).toMatchObject({ client_at: iso(T0 + 750), skew_ms: 750 });
    const bad = await h.api('POST', '/checkins', { slug: check.slug, status: 'ok', sent_at: 'soon' });
    await expectApiError(bad, 400, /sent_at/);
  });
});
