// The deadline sweep, driven by a ManualClock: the specs await the scheduler's own events
// (or call sweep() directly) and never sleep.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/scheduler/clock.ts';
import { DeadlineScheduler, type SweepEvent } from '../../src/scheduler/detect-missed.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Check } from '../../src/store/store.ts';
import { BASE_URL, createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { makeCheck } from '../store/fixtures.ts';
import {
  createCheck,
  createWebhook,
  HOUR,
  logCapture,
  MINUTE,
  nextEvent,
  ping,
  SECOND,
  watchSleeps,
} from './fixtures.ts';

const ALIVE_KEY = 'scheduler.alive_at';
const silent = pino({ level: 'silent' });

let h: Harness;
/** a webhook taking every event; each flip below queues one notification for it */
let channelId: string;
const stopAfter: DeadlineScheduler[] = [];
beforeEach(async () => {
  h = await createHarness();
  channelId = await createWebhook(h, 'https://hooks.example.com/vigil');
});
afterEach(async () => {
  for (const s of stopAfter.splice(0)) await s.stop();
  await h.close();
});

/** Another scheduler on the harness's store and clock (or the clock given). */
function scheduler(opts: Partial<ConstructorParameters<typeof DeadlineScheduler>[1]> = {}) {
  const s = new DeadlineScheduler(h.store, { clock: h.clock, baseUrl: BASE_URL, logger: silent, ...opts });
  stopAfter.push(s);
  return s;
}

async function flips(checkId: string): Promise<string[]> {
  return (await h.store.listFlips(checkId, { limit: 100 })).reverse().map((f) => `${f.from}->${f.to}`);
}

async function notifications(checkId: string) {
  return (await h.store.listNotifications(checkId, 100)).reverse();
}

async function status(checkId: string) {
  const c = (await h.store.getCheck(checkId))!;
  return { status: c.status, nextDeadline: c.nextDeadline };
}

/** A check pinged at T0: late at T0 + 60 s, down at T0 + 90 s. */
async function pingedCheck(): Promise<{ id: string }> {
  const id = await createCheck(h);
  await ping(h, id);
  return { id };
}

describe('sweeping due checks', () => {
  it('leaves a pinged check alone until its period has passed', async () => {
    const { id } = await pingedCheck();
    expect(await h.scheduler.sweep(T0 + MINUTE - 1)).toBe(0);
    expect(await status(id)).toEqual({ status: 'up', nextDeadline: T0 + MINUTE });
    expect(await flips(id)).toEqual(['new->up']);
  });

  it('marks the check late when its period passes, with one notification for the webhook', async () => {
    const { id } = await pingedCheck();
    await h.scheduler.sweep(T0 + MINUTE);
    expect(await status(id)).toEqual({ status: 'late', nextDeadline: T0 + 90 * SECOND });
    expect(await flips(id)).toEqual(['new->up', 'up->late']);
    const queued = await notifications(id);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({
      channelId,
      event: 'late',
      status: 'pending',
      nextAttemptAt: T0 + MINUTE,
    });
  });

  it('marks the check down when the grace period ends, with a notification for the webhook', async () => {
    const { id } = await pingedCheck();
    await h.scheduler.sweep(T0 + MINUTE);
    await h.scheduler.sweep(T0 + 90 * SECOND - 1);
    expect((await status(id)).status).toBe('late');
    await h.scheduler.sweep(T0 + 90 * SECOND);
    expect(await status(id)).toEqual({ status: 'down', nextDeadline: null });
    expect(await flips(id)).toEqual(['new->up', 'up->late', 'late->down']);
    expect((await notifications(id)).map((n) => n.event)).toEqual(['late', 'down']);
    const payload = JSON.parse((await notifications(id))[1]!.payload);
    expect(payload).toMatchObject({
      event: 'down',
      check: { id, status: 'down' },
      flip: { from: 'late', to: 'down' },
    });
  });

  it('reports what it did in its sweep event', async () => {
    await pingedCheck();
    await pingedCheck();
    const event = nextEvent<SweepEvent>(h.scheduler, 'sweep');
    await h.scheduler.sweep(T0 + MINUTE + 5 * SECOND);
    expect(await event).toEqual({
      at: T0 + MINUTE + 5 * SECOND,
      due: 2,
      flipped: 2,
      queued: 2,
      maxLagMs: 5 * SECOND,
    });
  });

  it('never flips twice or queues twice when swept twice at the same time', async () => {
    const { id } = await pingedCheck();
    await h.scheduler.sweep(T0 + 90 * SECOND);
    await h.scheduler.sweep(T0 + 90 * SECOND);
    await Promise.all([h.scheduler.sweep(T0 + 90 * SECOND), h.scheduler.sweep(T0 + 90 * SECOND)]);
    expect(await flips(id)).toEqual(['new->up', 'up->down']);
    expect((await notifications(id)).map((n) => n.event)).toEqual(['down']);
  });

  it('produces each flip exactly once when two schedulers sweep the same due checks at once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await pingedCheck()).id);
    const one = scheduler();
    const two = scheduler();
    const reported: SweepEvent[] = [];
    one.on('sweep', (e) => reported.push(e));
    two.on('sweep', (e) => reported.push(e));

    await Promise.all([one.sweep(T0 + MINUTE), two.sweep(T0 + MINUTE)]);

    for (const id of ids) {
      expect(await flips(id)).toEqual(['new->up', 'up->late']);
      expect(await notifications(id)).toHaveLength(1);
    }
    expect(reported.reduce((n, e) => n + e.flipped, 0)).toBe(10);
    expect(reported.reduce((n, e) => n + e.queued, 0)).toBe(10);
  });

  it.each<[string, Partial<Check>]>([
    ['a new check with a leftover deadline', { status: 'new', nextDeadline: T0 - MINUTE }],
    ['a paused check with a leftover deadline', { status: 'paused', nextDeadline: T0 - MINUTE }],
    [
      'a down check with a leftover deadline',
      { status: 'down', lastPingAt: T0 - HOUR, nextDeadline: T0 - MINUTE },
    ],
    [
      'an up check whose deadline is earlier than its due time',
      { status: 'up', lastPingAt: T0, nextDeadline: T0 },
    ],
  ])('moves the deadline of %s past the sweep without a flip', async (_, state) => {
    const check = makeCheck(h.project.id, state);
    await h.store.insertCheck(check);
    await h.scheduler.sweep(T0);
    expect(await h.store.dueChecks(T0, 10)).toEqual([]);
    expect(await flips(check.id)).toEqual([]);
  });

  it("keeps sweeping the other due checks when one check's schedule cannot be computed", async () => {
    // as a row written by an older version, or a cron pattern a newer croner reads differently
    const broken = makeCheck(h.project.id, {
      schedule: { kind: 'cron', expression: 'not a cron pattern', timezone: 'UTC', grace: 60 },
      status: 'up',
      lastPingAt: T0 - HOUR,
      nextDeadline: T0 + MINUTE - SECOND,
    });
    await h.store.insertCheck(broken);
    const { id } = await pingedCheck();

    await h.scheduler.sweep(T0 + MINUTE);

    expect((await status(id)).status).toBe('late');
    // put back for later rather than retried at once by every sweep
    expect((await status(broken.id)).nextDeadline).toBeGreaterThan(T0 + MINUTE);
    expect(await flips(broken.id)).toEqual([]);
  });
});

describe('the scheduler loop', () => {
  it('wakes by itself when the clock passes a deadline', async () => {
    const { id } = await pingedCheck();
    await h.scheduler.start();
    const flipped = nextEvent<SweepEvent>(h.scheduler, 'sweep', (e) => e.flipped >= 1);
    h.clock.advance(MINUTE);
    expect(await flipped).toMatchObject({ at: T0 + MINUTE, flipped: 1, queued: 1 });
    expect((await status(id)).status).toBe('late');
  });

  it('goes on to mark the check down at the end of the grace period', async () => {
    const { id } = await pingedCheck();
    await h.scheduler.start();
    const late = nextEvent<SweepEvent>(h.scheduler, 'sweep', (e) => e.flipped >= 1);
    h.clock.advance(MINUTE);
    await late;
    const down = nextEvent<SweepEvent>(h.scheduler, 'sweep', (e) => e.flipped >= 1);
    h.clock.advance(30 * SECOND);
    await down;
    expect(await flips(id)).toEqual(['new->up', 'up->late', 'late->down']);
  });

  it('cuts a long sleep short when nudged with an earlier deadline', async () => {
    const clock = watchSleeps(h.clock);
    const s = scheduler({ clock, maxSleepMs: 10 * HOUR });
    const parked = clock.nextSleep();
    await s.start();
    expect(await parked).toBe(10 * HOUR); // nothing is due: the longest sleep

    const { id } = await pingedCheck();
    const resleep = clock.nextSleep();
    s.nudge((await h.store.getCheck(id))!.nextDeadline);
    expect(await resleep).toBe(MINUTE); // woke at once, and now sleeps only until the new deadline

    const flipped = nextEvent<SweepEvent>(s, 'sweep', (e) => e.flipped >= 1);
    h.clock.advance(MINUTE);
    expect((await flipped).at).toBe(T0 + MINUTE);
  });

  it('sleeps no longer than about a second, so deadlines written elsewhere are found', async () => {
    const clock = watchSleeps(h.clock);
    const s = scheduler({ clock });
    const parked = clock.nextSleep();
    await s.start();
    expect(await parked).toBe(SECOND);
  });

  it('sleeps for a positive time after sweeping checks whose deadline needed no flip', async () => {
    await h.store.insertCheck(makeCheck(h.project.id, { status: 'new', nextDeadline: T0 - MINUTE }));
    await h.store.insertCheck(makeCheck(h.project.id, { status: 'up', lastPingAt: T0, nextDeadline: T0 }));
    const clock = watchSleeps(h.clock);
    const s = scheduler({ clock, maxSleepMs: HOUR });
    const swept = nextEvent<SweepEvent>(s, 'sweep');
    const parked = clock.nextSleep();
    await s.start();
    expect(await swept).toMatchObject({ due: 2, flipped: 0 });
    // the up check's real deadline (T0 + 60 s), not a zero-length sleep that would spin
    expect(await parked).toBe(MINUTE);
  });

  it('records that vigil is alive every few seconds', async () => {
    const clock = watchSleeps(h.clock);
    const s = scheduler({ clock, livenessEveryMs: 5 * SECOND });
    const parked = clock.nextSleep();
    await s.start();
    await parked;
    expect(await h.store.getMeta(ALIVE_KEY)).toBe(String(T0));
    for (let i = 0; i < 5; i++) {
      const next = clock.nextSleep();
      h.clock.advance(SECOND);
      await next;
    }
    expect(await h.store.getMeta(ALIVE_KEY)).toBe(String(T0 + 5 * SECOND));
  });

  it('keeps running after a sweep fails, even with nobody listening for errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-test-'));
    const store = await openSqliteStore(join(dir, 'vigil.db'));
    const logs = logCapture();
    const clock = new ManualClock(T0);
    const watched = watchSleeps(clock);
    const s = new DeadlineScheduler(store, {
      clock: watched,
      baseUrl: BASE_URL,
      logger: pino({ level: 'error' }, logs),
    });
    try {
      const parked = watched.nextSleep();
      await s.start();
      await parked;
      await store.close(); // the database goes away under the running loop

      const failed = logs.next('deadline sweep failed; retrying in 1 s');
      clock.advance(SECOND);
      await failed;
      const failedAgain = logs.next('deadline sweep failed; retrying in 1 s');
      clock.advance(SECOND);
      await failedAgain;
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("vigil's own downtime", () => {
  /** A check pinged at T0 whose deadline (T0 + 60 s) falls inside an outage from T0 + 10 s to T0 + 1 h. */
  async function starvedCheck() {
    const { id } = await pingedCheck();
    await h.store.setMeta(ALIVE_KEY, String(T0 + 10 * SECOND));
    h.clock.set(T0 + HOUR);
    return id;
  }

  it('gives a check whose deadline fell inside the outage a fresh grace instead of an alarm', async () => {
    const id = await starvedCheck();
    const recovered = nextEvent<number>(h.scheduler, 'recovered');
    await h.scheduler.start();
    expect(await recovered).toBe(1);
    expect(await status(id)).toEqual({ status: 'up', nextDeadline: T0 + HOUR + 30 * SECOND });
    expect(await flips(id)).toEqual(['new->up']);
    expect(await notifications(id)).toEqual([]);
  });

  it('marks that check down when the fresh grace ends without a ping', async () => {
    const id = await starvedCheck();
    await h.scheduler.start();

    const quiet = nextEvent<SweepEvent>(h.scheduler, 'sweep', (e) => e.at >= T0 + HOUR + 30 * SECOND - 1);
    h.clock.advance(30 * SECOND - 1);
    expect((await quiet).flipped).toBe(0);
    expect((await status(id)).status).toBe('up');

    const down = nextEvent<SweepEvent>(h.scheduler, 'sweep', (e) => e.flipped >= 1);
    h.clock.advance(1);
    expect((await down).at).toBe(T0 + HOUR + 30 * SECOND);
    expect(await flips(id)).toEqual(['new->up', 'up->down']);
    expect((await notifications(id)).map((n) => n.event)).toEqual(['down']);
  });

  it('keeps that check up when a ping arrives within the fresh grace', async () => {
    const id = await starvedCheck();
    await h.scheduler.start();
    h.clock.advance(10 * SECOND);
    await ping(h, id);

    const past = nextEvent<SweepEvent>(h.scheduler, 'sweep', (e) => e.at >= T0 + HOUR + 40 * SECOND);
    h.clock.advance(30 * SECOND);
    await past;
    expect(await status(id)).toEqual({ status: 'up', nextDeadline: T0 + HOUR + 70 * SECOND });
    expect(await flips(id)).toEqual(['new->up']);
  });

  it('does not forgive a deadline that passed while vigil was still running', async () => {
    const { id } = await pingedCheck();
    await h.store.setMeta(ALIVE_KEY, String(T0 + 2 * MINUTE));
    h.clock.set(T0 + HOUR);
    const recovered = nextEvent<number>(h.scheduler, 'recovered');
    const flipped = nextEvent<SweepEvent>(h.scheduler, 'sweep', (e) => e.flipped >= 1);
    await h.scheduler.start();
    expect(await recovered).toBe(0);
    await flipped;
    expect((await status(id)).status).toBe('down');
  });

  it('gives every starved check a fresh grace, however many there are', async () => {
    await h.store.transaction(async (tx) => {
      for (let i = 0; i < 1200; i++) {
        await tx.insertCheck(
          makeCheck(h.project.id, {
            id: randomUUID(),
            status: 'up',
            lastPingAt: T0,
            nextDeadline: T0 + MINUTE,
          }),
        );
      }
    });
    await h.store.setMeta(ALIVE_KEY, String(T0 + 10 * SECOND));
    h.clock.set(T0 + HOUR);
    const recovered = nextEvent<number>(h.scheduler, 'recovered');
    await h.scheduler.start();
    expect(await recovered).toBe(1200);
    expect(await h.store.dueChecks(T0 + HOUR + 30 * SECOND - 1, 10)).toEqual([]);
    expect(await h.store.dueChecks(T0 + HOUR + 30 * SECOND, 2000)).toHaveLength(1200);
  });
});

describe('lag reporting', () => {
  it('reports the worst deadline-to-sweep delay of the last minute, and forgets older ones', async () => {
    const { id } = await pingedCheck();
    expect(h.scheduler.maxRecentLagMs(T0)).toBe(0);
    await h.scheduler.sweep(T0 + MINUTE + 250); // the late deadline was T0 + 60 s: 250 ms behind
    expect((await status(id)).status).toBe('late');
    expect(h.scheduler.maxRecentLagMs(T0 + MINUTE + 250)).toBe(250);
    expect(h.scheduler.maxRecentLagMs(T0 + 3 * MINUTE)).toBe(0);
  });
});
