// A notification provider down for an hour, on a ManualClock: its alerts queue and are retried
// with the documented backoff while another channel's go out at once; when it is back, every
// queued alert arrives exactly once, in order per check. Then, on real timers, a provider that
// hangs until the delivery timeout: it holds its own channel's slots and nothing else.
// Real SQLite (or D1), real dispatcher, real HTTP receivers on loopback.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { MAX_DELAY_MS, nextRetryDelay } from '../../src/scheduler/backoff.ts';
import { type DeliveryEvent, Dispatcher } from '../../src/scheduler/dispatch.ts';
import type { Notification } from '../../src/store/store.ts';
import { payloadOf, type Received, type Receiver, startReceiver } from '../e2e/receiver.ts';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { createCheck, createWebhook, HOUR, MINUTE, SECOND } from './fixtures.ts';

/**
 * On D1 (VIGIL_TEST_STORE=d1) every statement is a round trip to workerd, about twenty times
 * slower a ping than SQLite in this process: the same spec runs there with fewer checks.
 */
const CHECKS = process.env.VIGIL_TEST_STORE === 'd1' ? 8 : 20;
/** the harness dispatcher's share of its pool for one channel */
const CHANNEL_SHARE = 2;
const OUTAGE_END = T0 + HOUR;
/** never late in these tests: only explicit failures take the checks down */
const DAILY = { kind: 'interval', period: 86_400, grace: 3600 };
const EVENTS = ['failed', 'up'] as const;

let h: Harness;
let a: Receiver;
let b: Receiver;
let channelA: string;
let channelB: string;
let checks: string[];

beforeEach(async () => {
  h = await createHarness();
  a = await startReceiver({ kind: 'status', status: 503 });
  b = await startReceiver();
  channelA = await createWebhook(h, a.url, { events: [...EVENTS] });
  channelB = await createWebhook(h, b.url, { events: [...EVENTS] });
  checks = [];
  for (let i = 0; i < CHECKS; i++) {
    const id = await createCheck(h, { schedule: DAILY });
    await pingAt(id, '');
    checks.push(id);
  }
});
afterEach(async () => {
  await h.close();
  await a.close();
  await b.close();
});

async function pingAt(id: string, kind: '' | '/fail'): Promise<void> {
  expect((await h.app.request(`/ping/${id}${kind}`, { method: 'POST' })).status).toBe(200);
}

async function rowsOf(channelId: string): Promise<Notification[]> {
  const all = await Promise.all(checks.map((id) => h.store.listNotifications(id, 100)));
  return all.flat().filter((n) => n.channelId === channelId);
}

/** The alerts a receiver accepted (answered 200), in arrival order. */
const accepted = (r: Receiver) =>
  r.requests
    .filter((q) => q.answer === 200)
    .map((q) => {
      const p = payloadOf(q);
      return { checkId: p.check.id, flipId: p.flip.id, event: p.event, delivery: deliveryOf(q) };
    });
const deliveryOf = (q: Received) => String(q.headers['x-vigil-delivery']);

/**
 * Three rounds of every check failing and recovering within the hour: the first and last
 * staggered (four groups, 30 s apart), the middle one all at the same instant. Returns when
 * each ping is due, in time order.
 */
function script(): { at: number; checkId: string; kind: '' | '/fail' }[] {
  const steps: { at: number; checkId: string; kind: '' | '/fail' }[] = [];
  for (const [round, start] of [T0 + MINUTE, T0 + 20 * MINUTE, T0 + 40 * MINUTE].entries()) {
    for (const [i, checkId] of checks.entries()) {
      const offset = round === 1 ? 0 : (i % 4) * 30 * SECOND;
      steps.push({ at: start + offset, checkId, kind: '/fail' });
      steps.push({ at: start + 5 * MINUTE + offset, checkId, kind: '' });
    }
  }
  return steps.sort((x, y) => x.at - y.at);
}

describe('a provider that answers 503 for an hour', () => {
  it("queues its alerts and retries them with backoff while the other channel's go out at once; all arrive once it is back, once each, in order per check", async () => {
    const steps = script();
    /** per instant where B had alerts due: B's deliveries in each of the dispatcher's passes */
    const passesOfB: number[][] = [];
    let outageOver = false;
    let now = T0;
    for (let guard = 0; guard < 5000; guard++) {
      if (!outageOver && now >= OUTAGE_END) {
        // the hour is up: nothing was dropped or given up on, and nothing reached A
        const queued = await rowsOf(channelA);
        expect(queued).toHaveLength(CHECKS * 6);
        expect(queued.every((n) => n.status === 'pending')).toBe(true);
        expect(accepted(a)).toEqual([]);
        a.setMode({ kind: 'ok' });
        outageOver = true;
      }
      const pings = steps.filter((s) => s.at === now);
      for (const s of pings) await pingAt(s.checkId, s.kind);
      // the dispatcher's passes at this instant, as its loop runs them, until nothing is claimed
      const perPass: number[] = [];
      for (;;) {
        const before = b.requests.length;
        if ((await h.dispatcher.runOnce(now)) === 0) break;
        perPass.push(b.requests.length - before);
      }
      while (perPass.at(-1) === 0) perPass.pop(); // the passes after B's last, A's alone
      if (perPass.length > 0) passesOfB.push(perPass);

      const nextStep = steps.find((s) => s.at > now)?.at ?? null;
      const due = await h.store.earliestNotificationDue();
      const pendingAt = [nextStep, due, outageOver ? null : OUTAGE_END].filter((t) => t !== null);
      if (pendingAt.length === 0) break;
      now = Math.max(now + 1, Math.min(...pendingAt));
      h.clock.set(now);
    }

    // B: every alert delivered at the instant it was queued, on its first attempt, and each
    // pass gave B its full share of the pool while it had alerts due: A's trouble cost it nothing
    const bRows = await rowsOf(channelB);
    expect(bRows).toHaveLength(CHECKS * 6);
    for (const n of bRows) expect(n).toMatchObject({ status: 'delivered', attempts: 1, doneAt: n.createdAt });
    for (const passes of passesOfB) {
      const total = passes.reduce((s, n) => s + n, 0);
      expect(passes).toEqual(
        Array.from({ length: Math.ceil(total / CHANNEL_SHARE) }, (_, i) =>
          Math.min(CHANNEL_SHARE, total - i * CHANNEL_SHARE),
        ),
      );
    }
    expect(passesOfB.some((p) => p.length === CHECKS / CHANNEL_SHARE)).toBe(true); // the burst

    // A: every alert delivered exactly once, after the outage, in order per check
    const aRows = await rowsOf(channelA);
    expect(aRows.every((n) => n.status === 'delivered')).toBe(true);
    const got = accepted(a);
    expect(got).toHaveLength(CHECKS * 6);
    expect(new Set(got.map((g) => g.delivery)).size).toBe(CHECKS * 6);
    for (const id of checks) {
      const mine = got.filter((g) => g.checkId === id);
      expect(mine.map((g) => g.event)).toEqual(['failed', 'up', 'failed', 'up', 'failed', 'up']);
      const flips = mine.map((g) => g.flipId);
      expect(flips).toEqual([...flips].sort((x, y) => x - y));
    }
    expect(b.requests.every((q) => q.answer === 200)).toBe(true);
    expect(accepted(b)).toHaveLength(CHECKS * 6);

    // Only each check's oldest alert was retried during the outage; the later ones waited
    // behind it and went out on their first attempt once it was through.
    const firstOf = new Map<string, Notification>();
    for (const n of [...aRows].sort((x, y) => x.id - y.id))
      if (!firstOf.has(n.checkId)) firstOf.set(n.checkId, n);
    for (const n of aRows) if (firstOf.get(n.checkId) !== n) expect(n.attempts).toBe(1);

    // The oldest ones were retried on the documented backoff: each wait as nextRetryDelay
    // gives it for that attempt (the harness draws 0.5), growing up to its cap
    const deliveredAt: number[] = [];
    for (const head of firstOf.values()) {
      const attempts = await h.store.listAttempts(head.id);
      expect(attempts.at(-1)!.outcome).toBe('delivered');
      expect(attempts.slice(0, -1).every((t) => t.outcome === 'retry' && t.at < OUTAGE_END)).toBe(true);
      const waits = attempts.slice(1).map((t, i) => t.at - attempts[i]!.at);
      // the last wait may be cut short: the provider took another alert of this channel first
      const scheduled = waits.slice(0, -1);
      expect(scheduled).toEqual(scheduled.map((_, i) => nextRetryDelay(i + 1, () => 0.5)));
      expect(Math.max(...waits)).toBeLessThanOrEqual(MAX_DELAY_MS);
      deliveredAt.push(attempts.at(-1)!.at);
    }
    // Once one of A's retries went through, the rest of A's queue was retried at once, rather
    // than each alert waiting out its own backoff (up to an hour).
    const first = Math.min(...deliveredAt);
    console.info(
      `A: ${a.requests.length} requests for ${aRows.length} alerts, ${a.requests.length - aRows.length} refused; ` +
        `the first retry after the outage went through ${(first - OUTAGE_END) / 1000} s after it ended, the rest with it`,
    );
    expect(first).toBeGreaterThanOrEqual(OUTAGE_END);
    expect(first - OUTAGE_END).toBeLessThanOrEqual(MAX_DELAY_MS);
    expect(Math.max(...aRows.map((n) => n.doneAt!))).toBe(first);
  }, 120_000);
});

describe('a provider that hangs until the delivery timeout', () => {
  it("holds only its own channel's share of the pool: the other channel's burst goes out meanwhile", async () => {
    a.setMode({ kind: 'hang' });
    const d = new Dispatcher(h.store, {
      clock: h.clock,
      // far longer than B's alerts take, on a slow machine too: A's first answers (timeouts)
      // can only come after B's burst if the pool does its job
      http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 20_000 }),
      logger: pino({ level: 'silent' }),
      random: () => 0.5,
    });
    const seen: DeliveryEvent[] = [];
    const allOfB = new Promise<void>((resolve) => {
      d.on('delivery', (e) => {
        seen.push(e);
        if (seen.filter((s) => s.notification.channelId === channelB).length === CHECKS) resolve();
      });
    });
    await d.start();
    try {
      for (const id of checks) await pingAt(id, '/fail');
      d.nudge();
      await allOfB;
      // every one of B's alerts was delivered while A's first requests were still hanging
      expect(seen.every((e) => e.notification.channelId === channelB && e.status === 'delivered')).toBe(true);
      expect(b.requests).toHaveLength(CHECKS);
      expect(a.requests.length).toBeGreaterThan(0);
      expect(a.requests.length).toBeLessThanOrEqual(CHANNEL_SHARE);
    } finally {
      const stopped = d.stop();
      await a.close(); // ends the hanging requests instead of waiting out their timeout
      await stopped;
    }
  }, 60_000);
});
