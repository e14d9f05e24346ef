// The sweep and the alert timers share due work with other nodes through claims: what another
// node holds is left to it until its claim ends, and what this node claims it frees with its
// results. On the harness (SQLite and D1, a ManualClock); the engines' claims have their own specs
// in test/store/store-claims.test.ts.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadlineScheduler } from '../../src/scheduler/detect-missed.ts';
import { BASE_URL, createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { createCheck, createWebhook, HOUR, MINUTE, ping, SECOND } from './fixtures.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
  await createWebhook(h, 'http://127.0.0.1:9/hook', { events: ['down', 'up'] });
});
afterEach(() => h.close());

const statusOf = async (id: string) => (await h.store.getCheck(id))!.status;

describe('claims between nodes', () => {
  // On D1 the sweep claims (a transaction's reads run at once, its writes at commit); on
  // SQLite one process owns the file and BEGIN IMMEDIATE locks it, so the sweep reads its due
  // checks inside its transaction and claims nothing. Each engine runs its own case.
  if (process.env.VIGIL_TEST_STORE === 'd1') {
    it('leaves a due check another node has claimed to it, and takes it over when the claim ends', async () => {
      const id = await createCheck(h);
      await ping(h, id); // down at T0 + 90 s
      const down = T0 + 90 * SECOND;
      // another node claimed it and died before writing anything
      expect(await h.store.claimDueChecks(down, down + 10 * SECOND, 10, 'other-node')).toHaveLength(1);

      expect(await h.scheduler.sweep(down)).toBe(0);
      expect(await statusOf(id)).toBe('up');
      // the others sleep until the claim ends instead of spinning on a deadline already past
      expect(await h.store.earliestDeadline()).toBe(down + 10 * SECOND);

      expect(await h.scheduler.sweep(down + 10 * SECOND)).toBe(1);
      expect(await statusOf(id)).toBe('down');
      expect((await h.store.listNotifications(id, 10)).map((n) => n.event)).toEqual(['down']);
    });
  } else {
    it('on SQLite, takes a due check whatever claim the file holds: its transaction is the lock', async () => {
      const id = await createCheck(h);
      await ping(h, id);
      const down = T0 + 90 * SECOND;
      // a claim only a dead process could have left (start-up frees them all)
      expect(await h.store.claimDueChecks(down, down + 10 * SECOND, 10, 'other-node')).toHaveLength(1);

      expect(await h.scheduler.sweep(down)).toBe(1);
      expect(await statusOf(id)).toBe('down');
      expect((await h.store.listNotifications(id, 10)).map((n) => n.event)).toEqual(['down']);
      // and a second sweep finds nothing left to do
      expect(await h.scheduler.sweep(down)).toBe(0);
    });
  }

  it('frees what it claimed together with its results, so the next deadline is anyone’s', async () => {
    const id = await createCheck(h);
    await ping(h, id);
    expect(await h.scheduler.sweep(T0 + MINUTE)).toBe(1); // late
    expect(await statusOf(id)).toBe('late');
    // no claim left: the down deadline counts as itself, and another node can claim it
    expect(await h.store.earliestDeadline()).toBe(T0 + 90 * SECOND);
    const other = new DeadlineScheduler(h.store, {
      clock: h.clock,
      baseUrl: BASE_URL,
      logger: pino({ level: 'silent' }),
      nodeId: 'other-node',
    });
    expect(await other.sweep(T0 + 90 * SECOND)).toBe(1);
    expect(await statusOf(id)).toBe('down');
  });

  it('leaves a reminder another node has claimed to it, and sends it once when the claim ends', async () => {
    const id = await createCheck(h, { realert_every: 3600 });
    await ping(h, id);
    await h.scheduler.sweep(T0 + 90 * SECOND); // down, first alert queued
    const remindAt = (await h.store.getCheck(id))!.remindAt!;
    expect(remindAt).toBe(T0 + 90 * SECOND + HOUR);
    expect(await h.store.claimDueReminders(remindAt, remindAt + 10 * SECOND, 10, 'other-node')).toHaveLength(
      1,
    );

    expect(await h.scheduler.runTimers(remindAt)).toBe(0);
    expect(await h.scheduler.runTimers(remindAt + 10 * SECOND)).toBe(1);
    expect(await h.scheduler.runTimers(remindAt + 10 * SECOND)).toBe(0);
    expect((await h.store.listNotifications(id, 10)).map((n) => [n.event, n.seq]).reverse()).toEqual([
      ['down', 0],
      ['down', 1],
    ]);
  });
});
