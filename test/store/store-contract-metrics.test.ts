// The Store contract for what /metrics reads: checks per status and the outbox depth. Runs on
// every engine in storeFactories, like the other contract files.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import {
  MINUTE,
  makeChannel,
  makeCheck,
  makeNotification,
  makeProject,
  storeFactories,
  T0,
} from './fixtures.ts';

describe.each(storeFactories)('Store on $engine (metrics)', (factory) => {
  let store: Store;
  let dispose: () => Promise<void>;

  beforeEach(async () => {
    ({ store, dispose } = await factory.open());
  });
  afterEach(() => dispose());

  it('counts nothing in an empty database', async () => {
    expect(await store.statusCounts()).toEqual({ checks: {}, pendingNotifications: 0 });
  });

  it('counts the checks of every project per status, archived ones too', async () => {
    const a = makeProject();
    const b = makeProject();
    await store.insertProject(a);
    await store.insertProject(b);
    const statuses = ['up', 'up', 'down', 'new', 'paused', 'late'] as const;
    for (const [i, status] of statuses.entries()) {
      await store.insertCheck(makeCheck(i % 2 === 0 ? a.id : b.id, { status }));
    }
    await store.insertCheck(makeCheck(b.id, { status: 'paused', archivedAt: T0 }));
    expect((await store.statusCounts()).checks).toEqual({ up: 2, down: 1, new: 1, paused: 2, late: 1 });
  });

  it('counts the notifications still to be delivered, leased and retried ones included', async () => {
    const project = makeProject();
    await store.insertProject(project);
    const check = makeCheck(project.id, { status: 'up' });
    await store.insertCheck(check);
    // one channel each: a channel takes one check's alerts one at a time
    const channels = [0, 1, 2, 3].map(() => makeChannel(project.id));
    for (const channel of channels) await store.insertChannel(channel);
    const flipId = await store.insertFlip({ checkId: check.id, at: T0, from: 'up', to: 'down', reason: 'x' });
    await store.insertNotifications(channels.map((channel) => makeNotification(check, flipId, channel.id)));
    const [delivered, failed, leased, retried] = await store.claimNotifications(T0, T0 + MINUTE, 4);
    await store.finishNotification(delivered!.id, 'delivered', T0, null);
    await store.finishNotification(failed!.id, 'failed', T0, 'gone');
    await store.retryNotification(retried!.id, T0 + MINUTE, 'timeout');
    expect(leased!.leaseUntil).toBe(T0 + MINUTE);
    expect(await store.statusCounts()).toEqual({ checks: { up: 1 }, pendingNotifications: 2 });
  });
});
