// HTTP probes end to end: http checks made through the API, probed by the real Prober against a
// loopback server that answers well, slowly, wrongly or not at all, with results landing as
// pings that move the check through the same state machine as any ping.
import { once } from 'node:events';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ProbeEvent, Prober } from '../../src/probes/prober.ts';
import { nextProbeAt } from '../../src/probes/slots.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { type CheckView, createCheck, getCheck, json, listFlips, listPings } from '../http/api-helpers.ts';
import { closedPort, startTarget, type Target } from './target.ts';

const SECOND = 1000;
const PERIOD = 60;

let h: Harness;
let target: Target;
let prober: Prober;

function newProber(allowPrivateAddresses = true): Prober {
  return new Prober(h.store, {
    clock: h.clock,
    ingestor: h.ingestor,
    logger: pino({ level: 'silent' }),
    allowPrivateAddresses,
  });
}

beforeEach(async () => {
  h = await createHarness();
  target = await startTarget();
  prober = newProber();
});
afterEach(async () => {
  await prober.stop();
  await target.close();
  await h.close();
});

function httpCheck(probe: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<CheckView> {
  return createCheck(h, {
    name: 'site',
    kind: 'http',
    probe,
    schedule: { kind: 'interval', period: PERIOD, grace: 30 },
    ...extra,
  });
}

/** Moves the clock to the next probe that is due (if it is ahead) and runs what is due then. */
async function probeNext(p = prober): Promise<ProbeEvent[]> {
  const due = await h.store.earliestProbeDue();
  if (due === null) throw new Error('no probe is due');
  h.clock.set(Math.max(due, h.clock.now()));
  return p.probeDue(h.clock.now());
}

async function probeOnce(probe: Record<string, unknown>, p = prober) {
  const check = await httpCheck(probe);
  const [event] = await probeNext(p);
  const [ping] = await listPings(h, check.id);
  return { check, event: event!, ping: ping! };
}

describe('a probe result', () => {
  it('is a success ping with the method, URL, status and latency', async () => {
    const { check, event, ping } = await probeOnce({ url: `${target.url}/slow?ms=150` });
    expect(event).toMatchObject({ ok: true, status: 200, reason: null });
    expect(ping).toMatchObject({ kind: 'success', method: 'PROBE', user_agent: 'vigil-probe', source: null });
    // a lower bound: the server waited 150 ms before answering
    expect(ping.duration_ms).toBeGreaterThanOrEqual(150);
    expect(ping.duration_ms).toBe(event.latencyMs);
    // the query is left out: it may carry a token, and ping bodies go out in alerts
    expect(ping.body).toBe(`GET ${target.url}/slow?… → 200 in ${event.latencyMs} ms`);
    expect((await getCheck(h, check.id)).status).toBe('up');
  });

  it('fails on a status that is not expected', async () => {
    const { event, ping } = await probeOnce({ url: `${target.url}/status?code=500` });
    expect(event).toMatchObject({ ok: false, status: 500 });
    expect(ping.kind).toBe('fail');
    expect(ping.body).toMatch(/→ 500 in \d+ ms: status 500 is not one of 200-299$/);
  });

  it('counts the listed codes and ranges as success', async () => {
    const probe = { url: `${target.url}/status?code=204`, expected_status: ['200', '204-205'] };
    expect((await probeOnce(probe)).ping.kind).toBe('success');
  });

  it('fails when the keyword is missing from the body', async () => {
    const { ping } = await probeOnce({ url: `${target.url}/status?body=degraded`, keyword: 'healthy' });
    expect(ping.kind).toBe('fail');
    expect(ping.body).toMatch(/: keyword "healthy" missing$/);
  });

  it('fails when a keyword that must not be there is', async () => {
    const { ping } = await probeOnce({
      url: `${target.url}/status?body=error:+db+down`,
      keyword: 'error',
      keyword_mode: 'not_contains',
    });
    expect(ping.kind).toBe('fail');
    expect(ping.body).toMatch(/: keyword "error" present$/);
  });

  it('passes when a keyword that must not be there is not', async () => {
    const probe = { url: `${target.url}/status?body=fine`, keyword: 'error', keyword_mode: 'not_contains' };
    expect((await probeOnce(probe)).ping.kind).toBe('success');
  });

  it('fails when no answer comes within the timeout', async () => {
    const { event, ping } = await probeOnce({ url: `${target.url}/hang`, timeout: 1 });
    expect(event).toMatchObject({ ok: false, status: null, reason: 'no answer within 1 s' });
    expect(ping.body).toMatch(
      /^GET http:\/\/127\.0\.0\.1:\d+\/hang → timeout in \d+ ms: no answer within 1 s$/,
    );
  });

  it('does not follow a redirect: its status is the answer', async () => {
    const failed = await probeOnce({ url: `${target.url}/redirect` });
    expect(failed.ping.body).toMatch(
      /→ 302 in \d+ ms: status 302 is not one of 200-299 \(redirect to \/status\?…\)$/,
    );
    expect(target.hits.get('/status')).toBeUndefined();
    const expected = await probeOnce({ url: `${target.url}/redirect`, expected_status: ['301-302'] });
    expect(expected.ping.kind).toBe('success');
  });

  it('fails when the body is too large to find the keyword in the part read', async () => {
    const { ping } = await probeOnce({ url: `${target.url}/large`, keyword: 'needle' });
    expect(ping.kind).toBe('fail');
    expect(ping.body).toMatch(/: too large: keyword not in the first 1024 KiB$/);
  });

  it('passes a large body when it looks for no keyword', async () => {
    expect((await probeOnce({ url: `${target.url}/large` })).ping.kind).toBe('success');
  });

  it('fails when the connection is refused', async () => {
    const port = await closedPort();
    const { ping } = await probeOnce({ url: `http://127.0.0.1:${port}/health` });
    expect(ping.kind).toBe('fail');
    expect(ping.body).toMatch(
      new RegExp(`→ refused in \\d+ ms: connection refused by 127\\.0\\.0\\.1:${port}$`),
    );
  });

  it('fails when the host name does not resolve', async () => {
    const { ping } = await probeOnce({ url: 'http://nothing-here.invalid/health' });
    expect(ping.body).toMatch(/→ dns in \d+ ms: could not resolve nothing-here\.invalid \(E[A-Z_]+\)$/);
  });

  it('refuses private addresses unless VIGIL_ALLOW_PRIVATE_URLS allows them', async () => {
    const guarded = newProber(false);
    const { ping } = await probeOnce({ url: `${target.url}/health` }, guarded);
    expect(ping.kind).toBe('fail');
    expect(ping.body).toMatch(/→ private address refused in \d+ ms: refused to connect to 127\.0\.0\.1/);
    expect(target.hits.size).toBe(0);
  });

  it('sends the method, headers and body it was given', async () => {
    await probeOnce({
      method: 'POST',
      url: `${target.url}/echo`,
      headers: { Authorization: 'Bearer probe-secret-token', 'Content-Type': 'application/json' },
      body: '{"ping":true}',
    });
    expect(target.lastHeaders).toMatchObject({
      authorization: 'Bearer probe-secret-token',
      'content-type': 'application/json',
      'user-agent': 'vigil-probe',
    });
    expect(target.lastBody).toBe('{"ping":true}');
  });
});

describe('an http check', () => {
  it('goes down after failure_threshold failed probes and comes back with a good one', async () => {
    const check = await httpCheck({ url: `${target.url}/toggle` }, { failure_threshold: 2 });
    await probeNext();
    target.toggle.status = 503;
    await probeNext();
    expect((await getCheck(h, check.id)).status).toBe('up');
    await probeNext();
    expect((await getCheck(h, check.id)).status).toBe('down');
    target.toggle.status = 200;
    await probeNext();
    expect((await getCheck(h, check.id)).status).toBe('up');
    const flips = await listFlips(h, check.id);
    expect(flips.map((f) => [f.from, f.to, f.event])).toEqual([
      ['down', 'up', 'up'],
      ['up', 'down', 'failed'],
      ['new', 'up', null],
    ]);
    expect((await listPings(h, check.id)).map((p) => p.kind)).toEqual(['success', 'fail', 'fail', 'success']);
  });

  it('is not late while the result of a due probe is on its way', async () => {
    const check = await httpCheck({ url: `${target.url}/health`, timeout: 10 });
    await probeNext();
    const slot = (await h.store.earliestProbeDue())!;
    // the next probe is due and not back yet: the sweep must not call the check late
    h.clock.set(slot);
    await h.scheduler.sweep(slot);
    expect((await getCheck(h, check.id)).status).toBe('up');
    await prober.probeDue(slot);
    expect((await listFlips(h, check.id)).map((f) => f.to)).toEqual(['up']);
  });

  it('goes late, then down, when its probes stop', async () => {
    const check = await httpCheck({ url: `${target.url}/health`, timeout: 10 });
    await probeNext();
    const last = (await getCheck(h, check.id)).last_ping_at!;
    const late = Date.parse(last) + (PERIOD + 10 + 5) * SECOND;
    await h.scheduler.sweep(late);
    expect((await getCheck(h, check.id)).status).toBe('late');
    await h.scheduler.sweep(late + 30 * SECOND);
    expect((await getCheck(h, check.id)).status).toBe('down');
  });

  it('is probed on its own slots, a period apart, however late a probe ran', async () => {
    const check = await httpCheck({ url: `${target.url}/health` });
    const first = (await h.store.earliestProbeDue())!;
    expect(first).toBe(nextProbeAt(check.id, PERIOD, h.clock.now()));
    expect(first - h.clock.now()).toBeLessThan(PERIOD * SECOND);
    await probeNext();
    expect(await h.store.earliestProbeDue()).toBe(first + PERIOD * SECOND);
    // vigil was away for two and a half periods: one probe now, then back on the grid
    h.clock.set(first + 3.5 * PERIOD * SECOND);
    expect(await prober.probeDue(h.clock.now())).toHaveLength(1);
    expect(await h.store.earliestProbeDue()).toBe(first + 4 * PERIOD * SECOND);
  });

  it('is not probed while paused, and is again once resumed', async () => {
    const check = await httpCheck({ url: `${target.url}/health` });
    expect((await h.api('POST', `/checks/${check.id}/pause`)).status).toBe(200);
    expect(await probeNext()).toEqual([]);
    expect(target.hits.size).toBe(0);
    expect((await h.api('POST', `/checks/${check.id}/resume`)).status).toBe(200);
    expect(await probeNext()).toHaveLength(1);
    expect(target.hits.get('/health')).toBe(1);
  });

  it('stops being probed when it becomes a push check, and starts again as http', async () => {
    const check = await httpCheck({ url: `${target.url}/health` });
    const toPush = await h.api('PATCH', `/checks/${check.id}`, { kind: 'push' });
    expect((await json<CheckView>(toPush)).probe).toBeNull();
    expect(await h.store.earliestProbeDue()).toBeNull();
    await h.api('PATCH', `/checks/${check.id}`, { probe: { url: `${target.url}/health` } });
    expect(await h.store.earliestProbeDue()).toBe(nextProbeAt(check.id, PERIOD, h.clock.now()));
  });

  it('moves to the grid of a new period', async () => {
    const check = await httpCheck({ url: `${target.url}/health` });
    await h.api('PATCH', `/checks/${check.id}`, { schedule: { kind: 'interval', period: 300 } });
    expect(await h.store.earliestProbeDue()).toBe(nextProbeAt(check.id, 300, h.clock.now()));
  });

  it('is probed by the running loop when its slot comes', async () => {
    const check = await httpCheck({ url: `${target.url}/health` });
    prober.start();
    const probed = once(prober, 'probed') as Promise<[ProbeEvent]>;
    h.clock.set((await h.store.earliestProbeDue())!);
    const [event] = await probed;
    expect(event).toMatchObject({ checkId: check.id, ok: true, status: 200 });
  });

  it('is cut short by stop() without a result, and due again at once', async () => {
    const check = await httpCheck({ url: `${target.url}/hang`, timeout: 30 });
    const due = (await h.store.earliestProbeDue())!;
    h.clock.set(due);
    const running = prober.probeDue(due);
    // wait until the request reached the server, then stop
    while (!target.hits.get('/hang')) await new Promise((r) => setTimeout(r, 10));
    await prober.stop();
    expect(await running).toEqual([]);
    expect(await listPings(h, check.id)).toEqual([]);
    expect(await h.store.earliestProbeDue()).toBe(due);
  });
});
