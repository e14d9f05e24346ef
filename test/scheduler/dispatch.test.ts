// The outbox dispatcher against real HTTP receivers on loopback, with a ManualClock for
// the retry schedule. Deliveries are awaited through runOnce() or the 'delivery' event.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { verifySignature } from '../../src/notifiers/webhook.ts';
import { RETRY_WINDOW_MS } from '../../src/scheduler/backoff.ts';
import { ManualClock } from '../../src/scheduler/clock.ts';
import { type DeliveryEvent, Dispatcher, deliveryIdOf } from '../../src/scheduler/dispatch.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Notification } from '../../src/store/store.ts';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import {
  createCheck,
  createWebhook,
  HOUR,
  logCapture,
  MINUTE,
  nextEvent,
  ping,
  respond,
  SECOND,
  startHangingReceiver,
  startReceiver,
  watchSleeps,
} from './fixtures.ts';

const SECRET = 'receiver-secret';
const DOWN_AT = T0 + 90 * SECOND;
const silent = pino({ level: 'silent' });

let h: Harness;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let channelId: string;
const stopAfter: Dispatcher[] = [];

beforeEach(async () => {
  h = await createHarness();
  receiver = await startReceiver();
  channelId = await createWebhook(h, receiver.url, { secret: SECRET });
});
afterEach(async () => {
  for (const d of stopAfter.splice(0)) await d.stop();
  await h.close();
  await receiver.close();
});

/** A check pinged at T0 and swept down at T0 + 90 s (the clock is left there); returns its one notification. */
async function downAlert(): Promise<{ checkId: string; row: Notification }> {
  const checkId = await createCheck(h);
  await ping(h, checkId);
  h.clock.set(DOWN_AT);
  await h.scheduler.sweep(DOWN_AT);
  const rows = await h.store.listNotifications(checkId, 10);
  expect(rows).toHaveLength(1);
  return { checkId, row: rows[0]! };
}

async function row(checkId: string): Promise<Notification> {
  return (await h.store.listNotifications(checkId, 10))[0]!;
}

/** A second dispatcher on the harness's store, as after a restart. */
function dispatcher(nodeId?: string): Dispatcher {
  const d = new Dispatcher(h.store, {
    clock: h.clock,
    http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 2000 }),
    logger: silent,
    random: () => 0.5,
    ...(nodeId ? { nodeId } : {}),
  });
  stopAfter.push(d);
  return d;
}

describe('delivering', () => {
  it('delivers a down alert once, signed with the channel secret and named by its row', async () => {
    const { checkId, row: queued } = await downAlert();
    expect(await h.dispatcher.runOnce(DOWN_AT)).toBe(1);

    expect(receiver.requests).toHaveLength(1);
    const [req] = receiver.requests;
    expect(await verifySignature(SECRET, req!.body, req!.headers['x-vigil-signature'] as string)).toBe(true);
    expect(
      await verifySignature('another-secret', req!.body, req!.headers['x-vigil-signature'] as string),
    ).toBe(false);
    expect(req!.headers['x-vigil-delivery']).toBe(deliveryIdOf(queued));
    expect(req!.headers['x-vigil-event']).toBe('down');
    expect(JSON.parse(req!.body)).toMatchObject({
      event: 'down',
      check: { id: checkId },
      flip: { to: 'down' },
    });

    expect(await row(checkId)).toMatchObject({ status: 'delivered', doneAt: DOWN_AT, attempts: 1 });
    expect(await h.store.listAttempts(queued.id)).toMatchObject([{ outcome: 'delivered', error: null }]);

    expect(await h.dispatcher.runOnce(DOWN_AT + HOUR)).toBe(0);
    expect(receiver.requests).toHaveLength(1);
  });

  it('delivers by itself, once, when the running loop is told a flip was queued', async () => {
    await h.dispatcher.start();
    const delivered = nextEvent<DeliveryEvent>(h.dispatcher, 'delivery');
    const { checkId } = await downAlert();
    expect((await delivered).status).toBe('delivered');
    expect((await row(checkId)).status).toBe('delivered');
    expect(receiver.requests).toHaveLength(1);
  });
});

describe('retrying', () => {
  it('retries later with backoff when the receiver answers 500, recording the error', async () => {
    receiver.answer(respond(500, 'database unavailable'));
    const { checkId, row: queued } = await downAlert();
    await h.dispatcher.runOnce(DOWN_AT);

    const after = await row(checkId);
    expect(after).toMatchObject({
      status: 'pending',
      lastError: 'HTTP 500: database unavailable',
      leaseUntil: null,
    });
    expect(after.nextAttemptAt).toBeGreaterThan(DOWN_AT);
    expect(await h.store.listAttempts(queued.id)).toMatchObject([
      { outcome: 'retry', error: 'HTTP 500: database unavailable', at: DOWN_AT },
    ]);
    expect(await h.dispatcher.runOnce(after.nextAttemptAt - 1)).toBe(0);
  });

  it('waits longer after each failure', async () => {
    receiver.answer(respond(503));
    const { checkId } = await downAlert();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const now = h.clock.now();
      expect(await h.dispatcher.runOnce(now)).toBe(1);
      const next = (await row(checkId)).nextAttemptAt;
      delays.push(next - now);
      h.clock.set(next);
    }
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]!);
  });

  it('delivers once the receiver recovers and the clock reaches the next attempt', async () => {
    receiver.answer(respond(500));
    const { checkId, row: queued } = await downAlert();
    await h.dispatcher.runOnce(DOWN_AT);
    receiver.answer(respond(200, 'ok'));
    const next = (await row(checkId)).nextAttemptAt;
    h.clock.set(next);
    expect(await h.dispatcher.runOnce(next)).toBe(1);

    expect(await row(checkId)).toMatchObject({
      status: 'delivered',
      doneAt: next,
      attempts: 2,
      lastError: null,
    });
    expect((await h.store.listAttempts(queued.id)).map((a) => a.outcome)).toEqual(['retry', 'delivered']);
    // the same delivery id both times, so a receiver can drop a duplicate
    expect(receiver.requests.map((r) => r.headers['x-vigil-delivery'])).toEqual([
      deliveryIdOf(queued),
      deliveryIdOf(queued),
    ]);
  });

  it('waits at least as long as a 429 Retry-After asks', async () => {
    receiver.answer(respond(429, 'slow down', { 'Retry-After': '120' }));
    const { checkId } = await downAlert();
    await h.dispatcher.runOnce(DOWN_AT);
    const after = await row(checkId);
    expect(after.status).toBe('pending');
    expect(after.nextAttemptAt - DOWN_AT).toBeGreaterThanOrEqual(120 * SECOND);
    expect(await h.dispatcher.runOnce(DOWN_AT + 120 * SECOND - 1)).toBe(0);
  });

  it('gives up and marks the row failed after 24 hours of retries', async () => {
    receiver.answer(respond(502, 'bad gateway'));
    const { checkId, row: queued } = await downAlert();
    for (let i = 0; i < 500 && (await row(checkId)).status === 'pending'; i++) {
      const next = (await row(checkId)).nextAttemptAt;
      h.clock.set(Math.max(next, h.clock.now()));
      expect(await h.dispatcher.runOnce(h.clock.now())).toBe(1);
    }
    const final = await row(checkId);
    expect(final.status).toBe('failed');
    expect(final.lastError).toMatch(/^gave up after 24 h: HTTP 502: bad gateway/);
    expect(final.doneAt! - queued.createdAt).toBeGreaterThanOrEqual(RETRY_WINDOW_MS);

    const attempts = await h.store.listAttempts(queued.id);
    expect(attempts).toHaveLength(receiver.requests.length);
    // every attempt but the last came inside the window
    expect(attempts.at(-2)!.at - queued.createdAt).toBeLessThan(RETRY_WINDOW_MS);
    // a provider outage says nothing about our settings: the channel is not broken
    expect((await h.store.getChannel(channelId))!.brokenReason).toBeNull();
    expect(await h.dispatcher.runOnce(h.clock.now() + 7 * 24 * HOUR)).toBe(0);
  });
});

describe('permanent failures', () => {
  it('fails at once on 401 and marks the channel broken with the answer, shown by the API', async () => {
    receiver.answer(respond(401, 'invalid token'));
    const { checkId, row: queued } = await downAlert();
    await h.dispatcher.runOnce(DOWN_AT);

    expect(await row(checkId)).toMatchObject({ status: 'failed', lastError: 'HTTP 401: invalid token' });
    expect(await h.store.listAttempts(queued.id)).toMatchObject([{ outcome: 'failed' }]);
    const res = await h.api('GET', `/channels/${channelId}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ broken: true, broken_reason: 'HTTP 401: invalid token' });
    expect(await h.dispatcher.runOnce(DOWN_AT + HOUR)).toBe(0);
    expect(receiver.requests).toHaveLength(1);
  });

  it("queues a broken channel's alerts and fails them with the reason, without asking the receiver", async () => {
    receiver.answer(respond(401, 'invalid token'));
    const { checkId } = await downAlert();
    await h.dispatcher.runOnce(DOWN_AT);
    const broken = await h.store.getChannel(channelId);
    expect(broken!.brokenReason).toBe('HTTP 401: invalid token');

    await ping(h, checkId); // down -> up: an 'up' alert, queued although the channel is broken
    const other = await createCheck(h);
    await ping(h, other);
    h.clock.set(DOWN_AT + 90 * SECOND);
    await h.scheduler.sweep(DOWN_AT + 90 * SECOND); // both go down
    const queued = [
      ...(await h.store.listNotifications(checkId, 10)),
      ...(await h.store.listNotifications(other, 10)),
    ].filter((n) => n.status === 'pending');
    expect(queued.map((n) => [n.checkId, n.event, n.channelId])).toEqual([
      [checkId, 'down', channelId],
      [checkId, 'up', channelId],
      [other, 'down', channelId],
    ]);

    const logs = logCapture();
    const d = new Dispatcher(h.store, {
      clock: h.clock,
      http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 2000 }),
      logger: pino({ level: 'info' }, logs),
    });
    stopAfter.push(d);
    // two at a time: the channel's share of the pool
    expect(await d.runOnce(h.clock.now())).toBe(2);
    expect(await d.runOnce(h.clock.now())).toBe(1);

    const error = 'channel is broken: HTTP 401: invalid token';
    for (const n of queued) {
      const after = (await h.store.listNotifications(n.checkId, 10)).find((r) => r.id === n.id);
      expect(after).toMatchObject({
        status: 'failed',
        lastError: error,
        attempts: 1,
        leaseUntil: null,
        doneAt: h.clock.now(),
      });
      expect(await h.store.listAttempts(n.id)).toMatchObject([{ outcome: 'failed', error }]);
    }
    expect(receiver.requests).toHaveLength(1); // the 401 only
    // still broken by the provider's own answer, at the time it gave it
    expect(await h.store.getChannel(channelId)).toEqual(broken);
    const logged = logs.lines.filter((l) => l.msg === 'alert not delivered: the channel is broken');
    expect(logged.map((l) => l.level)).toEqual([50, 50, 50]);
    // failed for good: no retries
    expect(await d.runOnce(h.clock.now() + 7 * 24 * HOUR)).toBe(0);
    expect(receiver.requests).toHaveLength(1);
  });

  it('fails an email alert where the runtime has no SMTP, saying why, and marks the channel broken', async () => {
    // an email channel made on Node, in a database a runtime without SMTP (Workers) now serves
    const made = await h.api('POST', '/channels', {
      kind: 'email',
      name: 'mail',
      config: { to: 'ops@example.com' },
    });
    expect(made.status).toBe(201);
    const emailId = ((await made.json()) as { id: string }).id;
    const checkId = await createCheck(h);
    await ping(h, checkId);
    h.clock.set(DOWN_AT);
    await h.scheduler.sweep(DOWN_AT);
    const d = new Dispatcher(h.store, {
      clock: h.clock,
      http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 2000 }),
      logger: silent,
      capabilities: { smtp: false, tcpSources: false },
    });
    stopAfter.push(d);
    expect(await d.runOnce(DOWN_AT)).toBe(2);

    const rows = await h.store.listNotifications(checkId, 10);
    const mail = rows.find((n) => n.channelId === emailId);
    expect(mail).toMatchObject({
      status: 'failed',
      lastError: expect.stringContaining('Cloudflare Workers'),
    });
    expect((await h.store.getChannel(emailId))!.brokenReason).toBe(mail!.lastError);
    // the other channel is not held up by it
    expect(rows.find((n) => n.channelId === channelId)).toMatchObject({ status: 'delivered' });
  });

  it("marks a deleted channel's pending alert failed instead of retrying it forever", async () => {
    const { checkId } = await downAlert();
    expect((await h.api('DELETE', `/channels/${channelId}`)).status).toBe(204);
    expect(await h.dispatcher.runOnce(DOWN_AT)).toBe(1);
    expect(await row(checkId)).toMatchObject({ status: 'failed', lastError: 'the channel was deleted' });
    expect(await h.dispatcher.runOnce(DOWN_AT + 7 * 24 * HOUR)).toBe(0);
    expect(receiver.requests).toEqual([]);
  });
});

describe('crashes and shutdown', () => {
  it('delivers a row claimed by a dispatcher that died, exactly once, after a restart under its node id', async () => {
    const { checkId } = await downAlert();
    // the dead process claimed it with a lease and never finished
    expect(await h.store.claimNotifications(DOWN_AT, DOWN_AT + MINUTE, 10, [], 'node-a')).toHaveLength(1);

    const restarted = dispatcher('node-a');
    const delivered = nextEvent<DeliveryEvent>(restarted, 'delivery');
    await restarted.start();
    expect((await delivered).status).toBe('delivered');
    await restarted.stop();

    expect(await row(checkId)).toMatchObject({ status: 'delivered', leaseUntil: null });
    expect(await dispatcher().runOnce(DOWN_AT + HOUR)).toBe(0);
    expect(receiver.requests).toHaveLength(1);
  });

  it("leaves another node's leased row alone until its lease ends, then delivers it once", async () => {
    const { checkId } = await downAlert();
    // node-a is alive and delivering it right now, as far as anyone can tell
    expect(await h.store.claimNotifications(DOWN_AT, DOWN_AT + MINUTE, 10, [], 'node-a')).toHaveLength(1);

    const other = dispatcher('node-b');
    await other.start();
    expect(await other.runOnce(DOWN_AT + MINUTE - 1)).toBe(0);
    expect(receiver.requests).toEqual([]);
    // node-a never finished: once its lease has ended the row is anyone's
    expect(await other.runOnce(DOWN_AT + MINUTE)).toBe(1);
    expect(await row(checkId)).toMatchObject({ status: 'delivered', leaseUntil: null });
    expect(receiver.requests).toHaveLength(1);
  });

  it('finishes and records a delivery in flight before stop() returns', async () => {
    receiver.answer(
      (_req, res) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            res.end('ok');
            resolve();
          }, 200),
        ),
    );
    await h.dispatcher.start();
    const arrived = receiver.nextRequest();
    const { checkId, row: queued } = await downAlert();
    await arrived; // the receiver is now holding the request

    await h.dispatcher.stop();

    expect(await row(checkId)).toMatchObject({ status: 'delivered', leaseUntil: null });
    expect(await h.store.listAttempts(queued.id)).toMatchObject([{ outcome: 'delivered' }]);
  });

  it('keeps running after a failed claim, even with nobody listening for errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-test-'));
    const store = await openSqliteStore(join(dir, 'vigil.db'));
    const logs = logCapture();
    const clock = new ManualClock(T0);
    const watched = watchSleeps(clock);
    const d = new Dispatcher(store, {
      clock: watched,
      http: createHttpClient({ allowPrivateAddresses: true }),
      logger: pino({ level: 'error' }, logs),
    });
    try {
      const parked = watched.nextSleep();
      await d.start();
      await parked;
      await store.close(); // the database goes away under the running loop

      const failed = logs.next('dispatch failed; retrying in 1 s');
      d.nudge();
      await failed;
      const failedAgain = logs.next('dispatch failed; retrying in 1 s');
      clock.advance(SECOND);
      await failedAgain;
    } finally {
      await d.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a pool of deliveries', () => {
  let slow: Awaited<ReturnType<typeof startHangingReceiver>>;
  let slowChannel: string;

  beforeEach(async () => {
    slow = await startHangingReceiver();
    // in the other project: its checks alert the slow channel only, the main project's the healthy one
    slowChannel = await createWebhook(h, slow.url, { key: h.other.key });
  });
  afterEach(() => slow.close());

  /** `count` checks of the other project pinged at T0 and swept down at DOWN_AT: one alert each for the slow channel. */
  async function slowAlerts(count: number): Promise<Notification[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = await createCheck(h, {}, h.other.key);
      await ping(h, id);
      ids.push(id);
    }
    h.clock.set(DOWN_AT);
    await h.scheduler.sweep(DOWN_AT);
    const rows = (await Promise.all(ids.map((id) => h.store.listNotifications(id, 10)))).flat();
    expect(rows).toHaveLength(count);
    expect(rows.every((n) => n.channelId === slowChannel)).toBe(true);
    return rows;
  }

  /** A dispatcher whose requests give up after `timeoutMs`, recording every delivery it reports. */
  function pooled(timeoutMs: number) {
    const d = new Dispatcher(h.store, {
      clock: h.clock,
      http: createHttpClient({ allowPrivateAddresses: true, timeoutMs }),
      logger: silent,
      random: () => 0.5,
    });
    stopAfter.push(d);
    const seen: DeliveryEvent[] = [];
    d.on('delivery', (e) => seen.push(e));
    return { d, seen };
  }

  /** Resolves once `d` has reported `count` deliveries in all. */
  function deliveries(d: Dispatcher, seen: DeliveryEvent[], count: number): Promise<void> {
    return new Promise((resolve) => {
      if (seen.length >= count) return resolve();
      const listener = () => {
        if (seen.length < count) return;
        d.off('delivery', listener);
        resolve();
      };
      d.on('delivery', listener);
    });
  }

  it("delivers another project's alert while a receiver that never answers holds ten of its own", async () => {
    await slowAlerts(10);
    const healthy = await createCheck(h);
    await ping(h, healthy); // at DOWN_AT: it goes down 90 s later, after the slow ones are in flight

    const { d, seen } = pooled(2000);
    await d.start();
    await slow.untilOpen(2); // the slow channel's share of the pool is taken

    const delivered = nextEvent<DeliveryEvent>(d, 'delivery', (e) => e.notification.channelId === channelId);
    h.clock.set(DOWN_AT + 90 * SECOND);
    await h.scheduler.sweep(DOWN_AT + 90 * SECOND);
    expect((await row(healthy)).event).toBe('down');
    d.nudge();
    expect((await delivered).status).toBe('delivered');

    // it arrived while the slow requests were still hanging: none of them had finished
    expect(seen.map((e) => e.notification.channelId)).toEqual([channelId]);
    expect(slow.open()).toBe(2);
    expect(receiver.requests).toHaveLength(1);
    expect(await row(healthy)).toMatchObject({ status: 'delivered', attempts: 1 });

    const stopped = d.stop();
    await slow.close(); // ends the hanging requests instead of waiting out their timeout
    await stopped;
  });

  it('keeps at most two requests in flight to one channel, refilling its slots as each times out', async () => {
    const rows = await slowAlerts(10);
    const { d, seen } = pooled(500);
    await d.start();
    // the clock never moves: only deliveries finishing wake the loop to claim the next rows
    await deliveries(d, seen, 10);

    expect(slow.maxOpen()).toBe(2);
    expect(slow.requests).toHaveLength(10);
    expect(seen.every((e) => e.status === 'pending' && e.result.outcome === 'retry')).toBe(true);
    expect(new Set(seen.map((e) => e.notification.id))).toEqual(new Set(rows.map((n) => n.id)));
    for (const n of rows) {
      const [after] = await h.store.listNotifications(n.checkId, 10);
      expect(after).toMatchObject({ status: 'pending', attempts: 1, leaseUntil: null });
      expect(after!.lastError).toMatch(/did not answer within 500 ms/);
    }
  });

  it('stop() waits for every delivery in flight and records it, claiming nothing more', async () => {
    const rows = await slowAlerts(10);
    const { d, seen } = pooled(500);
    await d.start();
    await slow.untilOpen(2);
    expect(seen).toEqual([]);

    await d.stop();

    expect(seen).toHaveLength(2);
    expect(slow.open()).toBe(0);
    expect(slow.requests).toHaveLength(2);
    const after = (await Promise.all(rows.map((n) => h.store.listNotifications(n.checkId, 10)))).flat();
    const tried = after.filter((n) => n.attempts > 0);
    expect(tried.map((n) => n.id).sort()).toEqual(seen.map((e) => e.notification.id).sort());
    for (const n of tried) {
      expect(n).toMatchObject({ status: 'pending', attempts: 1, leaseUntil: null });
      expect(await h.store.listAttempts(n.id)).toMatchObject([{ outcome: 'retry' }]);
    }
    expect(after.filter((n) => n.attempts === 0)).toHaveLength(8);
    expect(after.every((n) => n.leaseUntil === null)).toBe(true);
  });
});
