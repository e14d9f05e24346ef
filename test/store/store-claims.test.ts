// The Store contract for work shared between nodes: claims of due deadlines, reminders and
// held-alert releases, and delivery leases that name their node. Runs on every engine in
// storeFactories; the races are what several nodes on one PostgreSQL database must survive.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Check, Store } from '../../src/store/store.ts';
import {
  DAY,
  MINUTE,
  makeChannel,
  makeCheck,
  makeNotification,
  makeProject,
  SECOND,
  storeFactories,
  T0,
} from './fixtures.ts';

/** A promise and the function that settles it, to hold a transaction open at a chosen point. */
function latch() {
  let open!: () => void;
  const done = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, done };
}

const CLAIM = T0 + 10 * SECOND;

describe.each(storeFactories)('Store on $engine: claims', (factory) => {
  let store: Store;
  let dispose: () => Promise<void>;
  let projectId: string;

  beforeEach(async () => {
    ({ store, dispose } = await factory.open());
    const project = makeProject();
    await store.insertProject(project);
    projectId = project.id;
  });
  afterEach(() => dispose());

  async function checks(...overrides: Partial<Check>[]): Promise<Check[]> {
    const made: Check[] = [];
    for (const [i, o] of overrides.entries()) {
      const c = makeCheck(projectId, { slug: `c-${i}`, ...o });
      await store.insertCheck(c);
      made.push(c);
    }
    return made;
  }

  /** Held flips of one check, released at the given times. */
  async function heldFlips(...releaseAt: number[]): Promise<number[]> {
    const check = makeCheck(projectId);
    await store.insertCheck(check);
    const ids: number[] = [];
    for (const at of releaseAt) {
      const id = await store.insertFlip({ checkId: check.id, at: T0, from: 'up', to: 'down', reason: 'r' });
      await store.setFlipAlert(id, 'held', 'maintenance', at);
      ids.push(id);
    }
    return ids;
  }

  const slugs = (cs: Check[]) => cs.map((c) => c.slug);

  describe('deadlines', () => {
    it('claims the due checks nobody holds, earliest deadline first, up to the limit', async () => {
      await checks(
        { nextDeadline: T0 - SECOND },
        { nextDeadline: T0 - MINUTE },
        { nextDeadline: T0 },
        { nextDeadline: T0 + 1 },
        { nextDeadline: null },
      );
      expect(slugs(await store.claimDueChecks(T0, CLAIM, 2, 'node-a'))).toEqual(['c-1', 'c-0']);
      expect(slugs(await store.claimDueChecks(T0, CLAIM, 10, 'node-b'))).toEqual(['c-2']);
      expect(await store.claimDueChecks(T0, CLAIM, 10, 'node-b')).toEqual([]);
    });

    it('hands back the whole check, unchanged by the claim (its rev still guards writes)', async () => {
      const [check] = await checks({ nextDeadline: T0 - SECOND, status: 'up' });
      const [claimed] = await store.claimDueChecks(T0, CLAIM, 10, 'node-a');
      expect(claimed).toEqual(check);
      expect(await store.getCheck(check!.id)).toEqual(check);
      expect(
        await store.updateCheckState({ ...check!, status: 'late', rev: check!.rev + 1 }, check!.rev),
      ).toBe(true);
    });

    it('lets another node claim a check once the claim has ended', async () => {
      await checks({ nextDeadline: T0 - SECOND });
      expect(await store.claimDueChecks(T0, CLAIM, 10, 'node-a')).toHaveLength(1);
      expect(await store.claimDueChecks(CLAIM - 1, CLAIM + 10 * SECOND, 10, 'node-b')).toEqual([]);
      expect(await store.claimDueChecks(CLAIM, CLAIM + 10 * SECOND, 10, 'node-b')).toHaveLength(1);
    });

    it("frees a claim with releaseCheckClaims, but only its owner's", async () => {
      const [a, b] = await checks({ nextDeadline: T0 - SECOND }, { nextDeadline: T0 - SECOND });
      expect(await store.claimDueChecks(T0, CLAIM, 10, 'node-a')).toHaveLength(2);
      await store.releaseCheckClaims('node-b', [a!.id, b!.id]);
      expect(await store.claimDueChecks(T0, CLAIM, 10, 'node-b')).toEqual([]);
      await store.releaseCheckClaims('node-a', [a!.id]);
      expect(slugs(await store.claimDueChecks(T0, CLAIM, 10, 'node-b'))).toEqual([a!.slug]);
      await store.releaseCheckClaims('node-a', []);
    });

    it('counts a claimed deadline from when its claim ends, so nobody wakes for it before', async () => {
      await checks({ nextDeadline: T0 - MINUTE }, { nextDeadline: T0 + MINUTE });
      expect(await store.earliestDeadline()).toBe(T0 - MINUTE);
      await store.claimDueChecks(T0, CLAIM, 10, 'node-a');
      expect(await store.earliestDeadline()).toBe(CLAIM);
      await store.claimDueChecks(T0 + 2 * MINUTE, T0 + 3 * MINUTE, 10, 'node-b');
      // both claimed now: the earlier end wins; a deadline later than its claim counts as itself
      expect(await store.earliestDeadline()).toBe(T0 + 3 * MINUTE);
    });
  });

  describe('reminders', () => {
    it('claims down checks whose reminder is due, earliest first, skipping claimed ones', async () => {
      await checks(
        { status: 'down', remindAt: T0 },
        { status: 'down', remindAt: T0 - MINUTE },
        { status: 'up', remindAt: T0 - DAY },
        { status: 'down', remindAt: T0 + MINUTE },
      );
      expect(slugs(await store.claimDueReminders(T0, CLAIM, 1, 'node-a'))).toEqual(['c-1']);
      expect(await store.earliestReminder()).toBe(T0);
      expect(slugs(await store.claimDueReminders(T0, CLAIM, 10, 'node-b'))).toEqual(['c-0']);
      expect(await store.claimDueReminders(T0, CLAIM, 10, 'node-c')).toEqual([]);
      expect(await store.earliestReminder()).toBe(CLAIM);
    });
  });

  describe('held alerts', () => {
    it('claims flips whose release is due, earliest first, and frees them by owner', async () => {
      const [late, early, future] = await heldFlips(T0, T0 - MINUTE, T0 + DAY);
      expect((await store.claimDueReleases(T0, CLAIM, 10, 'node-a')).map((f) => f.id)).toEqual([early, late]);
      expect(await store.claimDueReleases(T0, CLAIM, 10, 'node-b')).toEqual([]);
      expect(await store.earliestRelease()).toBe(CLAIM);
      await store.releaseFlipClaims('node-b', [late!]);
      await store.releaseFlipClaims('node-a', [late!]);
      const again = await store.claimDueReleases(T0, CLAIM, 10, 'node-b');
      expect(again.map((f) => f.id)).toEqual([late]);
      expect(again[0]).toMatchObject({ alert: 'held', releaseAt: T0 });
      expect(future).toBeDefined();
    });
  });

  describe('node restarts', () => {
    it("frees a node's claims and delivery leases with releaseLeases, leaving other nodes' alone", async () => {
      const [mine, theirs] = await checks({ nextDeadline: T0 - SECOND }, { nextDeadline: T0 - SECOND });
      await store.claimDueChecks(T0, CLAIM, 1, 'node-a');
      await store.claimDueChecks(T0, CLAIM, 1, 'node-b');
      const [flip] = await heldFlips(T0 - SECOND);
      await store.claimDueReleases(T0, CLAIM, 10, 'node-a');
      const channel = makeChannel(projectId);
      await store.insertChannel(channel);
      await store.insertNotifications([makeNotification(mine!, flip!, channel.id)]);
      await store.claimNotifications(T0, T0 + MINUTE, 10, [], 'node-a');

      expect(await store.releaseLeases('node-a')).toBe(1);
      expect(slugs(await store.claimDueChecks(T0, CLAIM, 10, 'node-c'))).toEqual([mine!.slug]);
      expect((await store.claimDueReleases(T0, CLAIM, 10, 'node-c')).map((f) => f.id)).toEqual([flip]);
      expect(await store.claimNotifications(T0, T0 + MINUTE, 10, [], 'node-c')).toHaveLength(1);
      expect(theirs).toBeDefined();
    });
  });

  describe('races between nodes', () => {
    it('gives two concurrent deadline claims disjoint checks, all of them between the two', async () => {
      const made = await checks(...Array.from({ length: 30 }, (_, i) => ({ nextDeadline: T0 - i * SECOND })));
      const hold = latch();
      const claimed = latch();
      // the first claims inside a transaction it keeps open: its rows stay locked meanwhile
      const first = store.transaction(async (tx) => {
        const rows = await tx.claimDueChecks(T0, CLAIM, 20, 'node-a');
        claimed.open();
        await hold.done;
        return rows;
      });
      await claimed.done;
      const second = store.claimDueChecks(T0, CLAIM, 20, 'node-b');
      // Time for the second to reach the database and skip the first's locked rows
      // (PostgreSQL) or queue behind its lock (SQLite); the outcome must not depend on it.
      await new Promise((resolve) => setTimeout(resolve, 50));
      hold.open();
      const [a, b] = await Promise.all([first, second]);
      expect(a).toHaveLength(20);
      expect(b).toHaveLength(10);
      const ids = [...a, ...b].map((c) => c.id);
      expect(new Set(ids).size).toBe(30);
      expect(new Set(ids)).toEqual(new Set(made.map((c) => c.id)));
    });

    it('serialises two transactions that read and then write one check, failing neither', async () => {
      const [check] = await checks({ status: 'up' });
      const hold = latch();
      const read = latch();
      // each reads the check, then writes it from what it read (a ping, an edit, a sweep)
      const readThenWrite = (tx: Parameters<Parameters<Store['transaction']>[0]>[0], name: string) =>
        tx.getCheck(check!.id).then((c) => tx.updateCheck({ ...c!, name, rev: c!.rev + 1 }, c!.rev));
      const first = store.transaction(async (tx) => {
        const c = await tx.getCheck(check!.id);
        read.open();
        await hold.done;
        return tx.updateCheck({ ...c!, name: 'first', rev: c!.rev + 1 }, c!.rev);
      });
      await read.done;
      const second = store.transaction((tx) => readThenWrite(tx, 'second'));
      await new Promise((resolve) => setTimeout(resolve, 50)); // as in the races above
      hold.open();
      expect(await Promise.all([first, second])).toEqual([true, true]);
      // Locks make the second wait for the first. D1 has none: the second commits at once, and
      // the first, finding the check changed when it ends, runs again from a fresh read.
      const last = factory.engine === 'd1' ? 'first' : 'second';
      expect(await store.getCheck(check!.id)).toMatchObject({ name: last, rev: check!.rev + 2 });
    });

    it('never gives the same check, reminder or release to two of many concurrent claims', async () => {
      const due = Array.from({ length: 40 }, (_, i) => ({ nextDeadline: T0 - i }));
      const reminding = Array.from({ length: 40 }, (_, i) => ({ status: 'down' as const, remindAt: T0 - i }));
      await checks(...due, ...reminding);
      await heldFlips(...Array.from({ length: 40 }, (_, i) => T0 - i));
      const nodes = ['node-a', 'node-b', 'node-c', 'node-d'];
      const [deadlines, reminders, releases] = await Promise.all([
        Promise.all(nodes.map((n) => store.claimDueChecks(T0, CLAIM, 15, n))),
        Promise.all(nodes.map((n) => store.claimDueReminders(T0, CLAIM, 15, n))),
        Promise.all(nodes.map((n) => store.claimDueReleases(T0, CLAIM, 15, n))),
      ]);
      for (const [what, ids] of [
        ['deadlines', deadlines.flat().map((c) => c.id)],
        ['reminders', reminders.flat().map((c) => c.id)],
        ['releases', releases.flat().map((f) => String(f.id))],
      ] as const) {
        expect(new Set(ids).size, what).toBe(ids.length);
      }
      expect(deadlines.flat()).toHaveLength(40);
      expect(reminders.flat()).toHaveLength(40);
      expect(releases.flat()).toHaveLength(40);
    });
  });
});
