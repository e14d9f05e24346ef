// Retention: flips are kept for a year, finished notifications for 90 days, pending ones
// until they are delivered or given up, audit log entries for VIGIL_AUDIT_RETENTION_DAYS.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/scheduler/clock.ts';
import { Pruner } from '../../src/scheduler/prune.ts';
import type { Check, Store } from '../../src/store/store.ts';
import {
  DAY,
  makeChannel,
  makeCheck,
  makeNotification,
  makeProject,
  storeFactories,
  T0,
} from '../store/fixtures.ts';
import { watchSleeps } from './fixtures.ts';

const NOW = T0 + 2000 * DAY;
const silent = pino({ level: 'silent' });

let store: Store;
let dispose: () => Promise<void>;
let check: Check;
let channelId: string;
let projectId: string;

beforeEach(async () => {
  ({ store, dispose } = await storeFactories[0]!.open());
  const project = makeProject();
  await store.insertProject(project);
  projectId = project.id;
  check = makeCheck(project.id);
  await store.insertCheck(check);
  const channel = makeChannel(project.id);
  await store.insertChannel(channel);
  channelId = channel.id;
});
afterEach(() => dispose());

function pruner(batch?: number) {
  return new Pruner(store, { clock: new ManualClock(NOW), logger: silent, ...(batch ? { batch } : {}) });
}

async function flipAged(days: number): Promise<number> {
  return store.insertFlip({ checkId: check.id, at: NOW - days * DAY, from: 'up', to: 'down', reason: 'x' });
}

/** A notification created `days` ago; finished then too unless `status` is pending. */
async function notificationAged(days: number, status: 'pending' | 'delivered' | 'failed'): Promise<number> {
  const at = NOW - days * DAY;
  const flipId = await flipAged(0);
  await store.insertNotifications([
    makeNotification(check, flipId, channelId, { createdAt: at, nextAttemptAt: at }),
  ]);
  const id = (await store.listNotifications(check.id, 1))[0]!.id;
  await store.recordAttempt({
    notificationId: id,
    at,
    outcome: status === 'pending' ? 'retry' : status,
    error: null,
    durationMs: 5,
  });
  if (status !== 'pending') await store.finishNotification(id, status, at, null);
  return id;
}

async function notificationIds(): Promise<number[]> {
  return (await store.listNotifications(check.id, 100)).map((n) => n.id);
}

async function flipIds(): Promise<number[]> {
  return (await store.listFlips(check.id, { limit: 10_000 })).map((f) => f.id);
}

describe('Pruner.pruneOnce', () => {
  it('removes expired dashboard sessions and keeps live ones', async () => {
    await store.insertUser({ id: 'u1', email: 'u1@example.com', passwordHash: 'x', createdAt: T0 });
    const session = { userId: 'u1', csrfToken: 'c', projectId: null, createdAt: T0 };
    await store.insertSession({ ...session, id: 'expired', expiresAt: NOW - 1 });
    await store.insertSession({ ...session, id: 'live', expiresAt: NOW + DAY });
    await pruner().pruneOnce(NOW);
    expect(await store.getSession('expired')).toBeNull();
    expect(await store.getSession('live')).not.toBeNull();
  });

  it('removes a flip 366 days old and keeps one 364 days old', async () => {
    const old = await flipAged(366);
    const recent = await flipAged(364);
    await pruner().pruneOnce(NOW);
    expect(await flipIds()).toEqual([recent]);
    expect(await flipIds()).not.toContain(old);
  });

  it('removes a notification delivered 91 days ago together with its attempts', async () => {
    const old = await notificationAged(91, 'delivered');
    await pruner().pruneOnce(NOW);
    expect(await notificationIds()).not.toContain(old);
    expect(await store.listAttempts(old)).toEqual([]);
  });

  it('keeps a notification delivered 89 days ago', async () => {
    const recent = await notificationAged(89, 'delivered');
    await pruner().pruneOnce(NOW);
    expect(await notificationIds()).toEqual([recent]);
    expect(await store.listAttempts(recent)).toHaveLength(1);
  });

  it('removes a notification that failed 91 days ago', async () => {
    const old = await notificationAged(91, 'failed');
    await pruner().pruneOnce(NOW);
    expect(await notificationIds()).not.toContain(old);
  });

  it('keeps a pending notification of any age, with its attempts', async () => {
    const ancient = await notificationAged(1500, 'pending');
    await pruner().pruneOnce(NOW);
    expect(await notificationIds()).toEqual([ancient]);
    expect(await store.listAttempts(ancient)).toHaveLength(1);
  });

  it('removes audit log entries older than the retention, a year by default', async () => {
    const entry = (days: number) =>
      store.insertAudit({
        projectId,
        at: NOW - days * DAY,
        actorKind: 'cli',
        actorId: null,
        actorLabel: 'vigil CLI',
        address: null,
        action: 'check.created',
        targetKind: 'check',
        targetId: check.id,
        targetName: `${days} days old`,
        changes: null,
      });
    const names = async () =>
      (await store.listAudit(projectId, {}, { limit: 10 })).entries.map((e) => e.targetName);
    for (const days of [400, 366, 364, 20]) await entry(days);
    expect(await pruner(1).pruneOnce(NOW)).toBe(2);
    expect(await names()).toEqual(['20 days old', '364 days old']);
    const shorter = new Pruner(store, {
      clock: new ManualClock(NOW),
      logger: silent,
      auditRetentionDays: 30,
    });
    await shorter.pruneOnce(NOW);
    expect(await names()).toEqual(['20 days old']);
  });

  it('works through a backlog larger than one batch and says how much it removed', async () => {
    for (let i = 0; i < 10; i++) await flipAged(400);
    for (let i = 0; i < 4; i++) await notificationAged(100, 'delivered');
    const kept = await flipAged(1);
    // notificationAged adds a fresh flip for each row: 4 more to keep
    expect(await pruner(3).pruneOnce(NOW)).toBe(14);
    expect(await flipIds()).toHaveLength(5);
    expect(await flipIds()).toContain(kept);
    expect(await notificationIds()).toEqual([]);
  });
});

describe('the pruning loop', () => {
  it('prunes when started and again each interval', async () => {
    const clock = new ManualClock(NOW);
    const watched = watchSleeps(clock);
    const p = new Pruner(store, { clock: watched, logger: silent, everyMs: DAY });
    await flipAged(366);
    const first = watched.nextSleep();
    p.start();
    expect(await first).toBe(DAY);
    expect(await flipIds()).toEqual([]);

    const old = await store.insertFlip({
      checkId: check.id,
      at: NOW - 365 * DAY + DAY / 2,
      from: 'up',
      to: 'down',
      reason: 'x',
    });
    const second = watched.nextSleep();
    clock.advance(DAY);
    await second;
    expect(await flipIds()).not.toContain(old);
    await p.stop();
  });
});
