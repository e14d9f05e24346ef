// The Store contract for the audit log and for pings' client clocks, on every engine in
// storeFactories (SQLite, D1, and PostgreSQL when a server answers).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewAuditEntry, Store } from '../../src/store/store.ts';
import { DAY, MINUTE, makeCheck, makePing, makeProject, SECOND, storeFactories, T0 } from './fixtures.ts';

function entry(projectId: string, overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    projectId,
    at: T0,
    actorKind: 'api_key',
    actorId: 'key-1',
    actorLabel: 'deploy (vgl_abcdefgh…)',
    address: '192.0.2.7',
    action: 'check.updated',
    targetKind: 'check',
    targetId: 'check-1',
    targetName: 'backup',
    changes: { name: { from: 'old', to: 'backup' }, probe: { hidden: 'secret' } },
    ...overrides,
  };
}

describe.each(storeFactories)('Store on $engine (audit log, client clocks)', (factory) => {
  let store: Store;
  let dispose: () => Promise<void>;

  beforeEach(async () => {
    ({ store, dispose } = await factory.open());
  });
  afterEach(() => dispose());

  async function project() {
    const p = makeProject();
    await store.insertProject(p);
    return p;
  }

  describe('audit log', () => {
    it('keeps an entry as written and lists a project’s entries newest first', async () => {
      const p = await project();
      await store.insertAudit(entry(p.id, { at: T0 }));
      await store.insertAudit(
        entry(p.id, {
          at: T0 + MINUTE,
          actorKind: 'cli',
          actorId: null,
          address: null,
          action: 'check.deleted',
          changes: null,
        }),
      );
      const { entries, next } = await store.listAudit(p.id, {}, { limit: 10 });
      expect(next).toBeNull();
      expect(entries.map((e) => e.action)).toEqual(['check.deleted', 'check.updated']);
      expect(entries[1]).toEqual({ id: expect.any(Number), ...entry(p.id, { at: T0 }) });
      expect(entries[0]).toMatchObject({ actorKind: 'cli', actorId: null, address: null, changes: null });
    });

    it('never lists another project’s entries', async () => {
      const [mine, theirs] = [await project(), await project()];
      await store.insertAudit(entry(theirs.id, { targetName: 'theirs' }));
      await store.insertAudit(entry(mine.id, { targetName: 'mine' }));
      const { entries } = await store.listAudit(mine.id, {}, { limit: 10 });
      expect(entries.map((e) => e.targetName)).toEqual(['mine']);
    });

    it('filters by target, action and time', async () => {
      const p = await project();
      await store.insertAudit(entry(p.id, { at: T0, targetId: 'a', action: 'check.created' }));
      await store.insertAudit(entry(p.id, { at: T0 + MINUTE, targetId: 'a', action: 'check.updated' }));
      await store.insertAudit(
        entry(p.id, { at: T0 + 2 * MINUTE, targetKind: 'channel', targetId: 'b', action: 'channel.created' }),
      );
      const ids = async (filter: Parameters<Store['listAudit']>[1]) =>
        (await store.listAudit(p.id, filter, { limit: 10 })).entries.map((e) => `${e.targetId} ${e.action}`);
      expect(await ids({ targetKind: 'check' })).toEqual(['a check.updated', 'a check.created']);
      expect(await ids({ targetId: 'b' })).toEqual(['b channel.created']);
      expect(await ids({ action: 'check.created' })).toEqual(['a check.created']);
      expect(await ids({ since: T0 + MINUTE })).toEqual(['b channel.created', 'a check.updated']);
      expect(await ids({ until: T0 + MINUTE })).toEqual(['a check.created']);
      expect(await ids({ since: T0, until: T0 + 2 * MINUTE, targetKind: 'check' })).toHaveLength(2);
    });

    it('pages with a cursor, entries at the same instant included once each', async () => {
      const p = await project();
      for (let i = 0; i < 5; i++) await store.insertAudit(entry(p.id, { at: T0, targetName: `same ${i}` }));
      await store.insertAudit(entry(p.id, { at: T0 + SECOND, targetName: 'later' }));
      const seen: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 10; page++) {
        const { entries, next } = await store.listAudit(p.id, {}, { limit: 2, after });
        seen.push(...entries.map((e) => e.targetName));
        if (next === null) break;
        after = next;
      }
      expect(seen).toEqual(['later', 'same 4', 'same 3', 'same 2', 'same 1', 'same 0']);
    });

    it('prunes entries older than the cut, a batch at a time', async () => {
      const p = await project();
      for (let i = 0; i < 3; i++) await store.insertAudit(entry(p.id, { at: T0 - 400 * DAY + i }));
      await store.insertAudit(entry(p.id, { at: T0, targetName: 'recent' }));
      expect(await store.pruneAudit(T0 - 365 * DAY, 2)).toBe(2);
      expect(await store.pruneAudit(T0 - 365 * DAY, 2)).toBe(1);
      expect(await store.pruneAudit(T0 - 365 * DAY, 2)).toBe(0);
      const { entries } = await store.listAudit(p.id, {}, { limit: 10 });
      expect(entries.map((e) => e.targetName)).toEqual(['recent']);
    });

    it('writes nothing when the transaction it was recorded in rolls back', async () => {
      const p = await project();
      await expect(
        store.transaction(async (tx) => {
          await tx.insertAudit(entry(p.id));
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      expect((await store.listAudit(p.id, {}, { limit: 10 })).entries).toEqual([]);
    });
  });

  describe('client clocks on pings', () => {
    it('keeps the client’s time beside the receive time, one ping at a time and in batches', async () => {
      const p = await project();
      const check = makeCheck(p.id);
      await store.insertCheck(check);
      await store.insertPing(makePing(check.id, 1, { clientAt: T0 - DAY }), 100);
      await store.insertPings(
        [makePing(check.id, 2, { clientAt: T0 + 3 * SECOND }), makePing(check.id, 3, { clientAt: null })],
        100,
      );
      const pings = await store.listPings(check.id, { limit: 10 });
      expect(pings.map((x) => [x.n, x.at, x.clientAt])).toEqual([
        [3, T0 + 3 * SECOND, null],
        [2, T0 + 2 * SECOND, T0 + 3 * SECOND],
        [1, T0 + SECOND, T0 - DAY],
      ]);
      expect((await store.lastPing(check.id))?.clientAt).toBeNull();
    });
  });
});
