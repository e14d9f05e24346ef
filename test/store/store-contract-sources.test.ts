// The Store contract for sources, the checks they discover, and HTTP probe claims. Runs on every
// engine in storeFactories, like the other contract files.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isUniqueViolation, type Probe, type Source, type Store } from '../../src/store/store.ts';
import { MINUTE, makeCheck, makeProject, makeSource, SECOND, storeFactories, T0 } from './fixtures.ts';

const PROBE: Probe = {
  method: 'GET',
  url: 'https://example.com/health',
  expectedStatus: ['200-299'],
  keyword: 'ok',
  keywordMode: 'contains',
  timeout: 10,
  headers: { 'x-probe': '1' },
  body: null,
};

describe.each(storeFactories)('Store on $engine (sources and probes)', (factory) => {
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

  it('stores a source and reads it back by id and by name, whole', async () => {
    const p = await project();
    const source = makeSource(p.id, {
      cursor: '{"last":41,"open":[40]}',
      lastError: 'refused',
      lastErrorAt: T0,
    });
    await store.insertSource(source);
    expect(await store.getSource(source.id)).toEqual(source);
    expect(await store.getSourceByName(p.id, source.name)).toEqual(source);
    expect(await store.getSourceByName(p.id, 'nope')).toBeNull();
    expect(await store.getSource('nope')).toBeNull();
  });

  it('keeps source names unique per project, not across projects', async () => {
    const [a, b] = [await project(), await project()];
    await store.insertSource(makeSource(a.id, { name: 'prod' }));
    await store.insertSource(makeSource(b.id, { name: 'prod' }));
    const err = await store.insertSource(makeSource(a.id, { name: 'prod' })).catch((e: unknown) => e);
    // the API answers 409 for this, not 500: two requests raced to create the same thing
    expect(isUniqueViolation(err)).toBe(true);
    expect(isUniqueViolation(new Error('other'))).toBe(false);
  });

  it('lists a project’s sources by name, and every source without a project', async () => {
    const [a, b] = [await project(), await project()];
    await store.insertSource(makeSource(a.id, { name: 'zeta' }));
    await store.insertSource(makeSource(a.id, { name: 'alpha' }));
    await store.insertSource(makeSource(b.id, { name: 'mid' }));
    expect((await store.listSources(a.id)).map((s) => s.name)).toEqual(['alpha', 'zeta']);
    expect((await store.listSources()).map((s) => s.name).sort()).toEqual(['alpha', 'mid', 'zeta']);
  });

  it('updates every field of a source and deletes it', async () => {
    const p = await project();
    const source = makeSource(p.id);
    await store.insertSource(source);
    const changed: Source = {
      ...source,
      name: 'renamed',
      config: { url: 'postgres://x@y/z', statement_timeout_ms: 2000 },
      severity: 'critical',
      tags: ['a', 'b'],
      syncInterval: 5,
      grace: 30,
      cursor: '{"last":7,"open":[]}',
      nextSyncAt: T0 + MINUTE,
      lastSyncAt: T0,
      lastSuccessAt: T0,
      lastError: null,
      lastErrorAt: null,
      healthCheckId: 'hc',
      updatedAt: T0 + SECOND,
    };
    await store.updateSource(changed);
    expect(await store.getSource(source.id)).toEqual(changed);
    expect(await store.deleteSource(source.id)).toBe(true);
    expect(await store.deleteSource(source.id)).toBe(false);
    expect(await store.getSource(source.id)).toBeNull();
  });

  it('claims due sources once: the claim moves their next sync to the lease', async () => {
    const p = await project();
    const due = makeSource(p.id, { nextSyncAt: T0 - SECOND });
    const later = makeSource(p.id, { nextSyncAt: T0 + MINUTE });
    await store.insertSource(due);
    await store.insertSource(later);
    const claimed = await store.claimDueSources(T0, T0 + 30 * SECOND, 10);
    expect(claimed.map((s) => s.id)).toEqual([due.id]);
    expect(claimed[0]!.nextSyncAt).toBe(T0 + 30 * SECOND);
    expect(await store.claimDueSources(T0 + SECOND, T0 + 31 * SECOND, 10)).toEqual([]);
    // the lease runs out (the node that claimed it died): due again
    expect((await store.claimDueSources(T0 + 30 * SECOND, T0 + MINUTE, 10)).map((s) => s.id)).toEqual([
      due.id,
    ]);
  });

  it('gives concurrent claims of the same due sources disjoint sets', async () => {
    const p = await project();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const s = makeSource(p.id, { name: `s${i}`, nextSyncAt: T0 - i });
      ids.add(s.id);
      await store.insertSource(s);
    }
    const claims = await Promise.all(
      Array.from({ length: 4 }, () => store.claimDueSources(T0, T0 + MINUTE, 20)),
    );
    const all = claims.flat().map((s) => s.id);
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(all)).toEqual(ids);
  });

  it('round-trips a discovered check’s origin, archive time, success criteria and probe', async () => {
    const p = await project();
    const source = makeSource(p.id);
    await store.insertSource(source);
    const check = makeCheck(p.id, {
      slug: `${source.name}/nightly`,
      origin: {
        sourceId: source.id,
        sourceKey: '42',
        details: { command: 'VACUUM', jobid: 42, ok: true, note: null },
      },
      archivedAt: T0,
      successCriteria: 'rows deleted > 0',
      probe: PROBE,
    });
    await store.insertCheck(check);
    expect(await store.getCheck(check.id)).toEqual(check);
    const edited = { ...check, origin: null, archivedAt: null, probe: null, successCriteria: '', rev: 1 };
    expect(await store.updateCheck(edited, 0)).toBe(true);
    expect(await store.getCheck(check.id)).toEqual(edited);
  });

  it('lists a source’s checks with archived ones; the check list leaves archived ones out unless asked', async () => {
    const p = await project();
    const source = makeSource(p.id);
    await store.insertSource(source);
    const origin = (key: string) => ({ sourceId: source.id, sourceKey: key, details: {} });
    const live = makeCheck(p.id, { name: 'b live', slug: 'db/live', origin: origin('1') });
    const gone = makeCheck(p.id, { name: 'a gone', slug: 'db/gone', origin: origin('2'), archivedAt: T0 });
    const own = makeCheck(p.id, { name: 'c own', slug: 'own' });
    for (const c of [live, gone, own]) await store.insertCheck(c);

    expect((await store.listSourceChecks(source.id)).map((c) => c.id)).toEqual([gone.id, live.id]);
    const page = { limit: 10 };
    expect((await store.listChecks(p.id, {}, page)).checks.map((c) => c.id)).toEqual([live.id, own.id]);
    expect((await store.listChecks(p.id, { archived: true }, page)).checks.map((c) => c.id)).toEqual([
      gone.id,
    ]);
    expect((await store.listChecks(p.id, { sourceId: source.id }, page)).checks.map((c) => c.id)).toEqual([
      live.id,
    ]);
    // an archived check is still found by its slug, so a job that comes back gets its history
    expect((await store.getCheckBySlug(p.id, 'db/gone'))?.id).toBe(gone.id);
  });

  it('claims due probes once, leases them, and finds the earliest one due', async () => {
    const p = await project();
    const a = makeCheck(p.id, { slug: 'a', probe: PROBE });
    const b = makeCheck(p.id, { slug: 'b', probe: PROBE });
    const push = makeCheck(p.id, { slug: 'push' });
    for (const c of [a, b, push]) await store.insertCheck(c);
    expect(await store.earliestProbeDue()).toBeNull();
    await store.setProbeNextAt(a.id, T0 - SECOND);
    await store.setProbeNextAt(b.id, T0 + MINUTE);
    expect(await store.earliestProbeDue()).toBe(T0 - SECOND);

    const claimed = await store.claimDueProbes(T0, T0 + 20 * SECOND, 10);
    expect(claimed.map((c) => c.id)).toEqual([a.id]);
    expect(claimed[0]!.probe).toEqual(PROBE);
    expect(await store.claimDueProbes(T0, T0 + 20 * SECOND, 10)).toEqual([]);
    expect(await store.earliestProbeDue()).toBe(T0 + 20 * SECOND);

    await store.setProbeNextAt(a.id, null);
    await store.setProbeNextAt(b.id, null);
    expect(await store.earliestProbeDue()).toBeNull();
    expect(await store.claimDueProbes(T0 + 2 * MINUTE, T0 + 3 * MINUTE, 10)).toEqual([]);
  });

  it('gives concurrent probe claims disjoint sets', async () => {
    const p = await project();
    const ids = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const c = makeCheck(p.id, { slug: `p${i}`, probe: PROBE });
      ids.add(c.id);
      await store.insertCheck(c);
      await store.setProbeNextAt(c.id, T0 - i);
    }
    const claims = await Promise.all(
      Array.from({ length: 3 }, () => store.claimDueProbes(T0, T0 + MINUTE, 30)),
    );
    const all = claims.flat().map((c) => c.id);
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(all)).toEqual(ids);
  });
});
