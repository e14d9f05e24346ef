// Adding, changing and removing sources on a real SQLite store: the health check that comes
// with each source, the rules on names and timings, and what removal does to the checks.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/audit/actor.ts';
import { transition } from '../../src/core/status.ts';
import { commitTransition } from '../../src/ingest/commit-transition.ts';
import { defaultCheckConfig, newCheck } from '../../src/ingest/new-check.ts';
import {
  createSource,
  removeSource,
  type SourceInput,
  updateSource,
} from '../../src/sources/source-changes.ts';
import type { Check, Source } from '../../src/store/store.ts';
import { BASE_URL, createHarness, type Harness, T0 } from '../helpers/harness.ts';

const TEST_ACTOR = systemActor('test');

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

const DB = 'postgres://vigil_monitor:s3cret-pass@db.example.com:5432/app';

function input(fields: Partial<SourceInput> = {}): SourceInput {
  return { projectId: h.project.id, name: 'db1', kind: 'pg_cron', config: { url: DB }, ...fields };
}

function add(fields: Partial<SourceInput> = {}): Promise<Source> {
  return h.store.transaction((tx) =>
    createSource(tx, input(fields), { now: h.clock.now(), newId: randomUUID }, TEST_ACTOR),
  );
}

async function failure(p: Promise<unknown>): Promise<{ reason: string; message: string }> {
  const err = (await p.then(
    () => null,
    (e: unknown) => e,
  )) as { reason: string; message: string } | null;
  expect(err).not.toBeNull();
  return { reason: err!.reason, message: err!.message };
}

/** A check as a sync would have made it for a job of `source`. */
async function discovered(source: Source, key: string, slug: string): Promise<Check> {
  const check: Check = {
    ...newCheck(randomUUID(), source.projectId, { ...defaultCheckConfig(slug), name: slug }, h.clock.now()),
    origin: { sourceId: source.id, sourceKey: key, details: {} },
  };
  await h.store.insertCheck(check);
  return check;
}

describe('createSource', () => {
  it('stores the source due for its first sync now, with the defaults', async () => {
    const source = await add();
    expect(await h.store.getSource(source.id)).toEqual(source);
    expect(source).toMatchObject({
      nextSyncAt: T0,
      severity: 'important',
      tags: [],
      syncInterval: 60,
      grace: 120,
      cursor: null,
      lastSyncAt: null,
      lastError: null,
    });
  });

  it('adds its health check: slugged by the name, one sync per interval, down on the first failure', async () => {
    const source = await add({ severity: 'critical', tags: ['db'], syncInterval: 300, grace: 600 });
    const health = await h.store.getCheck(source.healthCheckId!);
    expect(health).toMatchObject({
      slug: 'db1',
      name: 'db1 (source)',
      schedule: { kind: 'interval', period: 300, grace: 600 },
      failureThreshold: 1,
      severity: 'critical',
      tags: ['db'],
      status: 'new',
      origin: { sourceId: source.id, sourceKey: '', details: {} },
      archivedAt: null,
    });
    expect(health!.description).toMatch(/vigil's own check that it can read the pg_cron source "db1"/);
  });

  it('gives a long sync interval at least that much grace by default', async () => {
    expect((await add({ syncInterval: 600 })).grace).toBe(600);
  });

  it('refuses less grace than one sync interval, saying why', async () => {
    expect(await failure(add({ syncInterval: 300, grace: 120 }))).toEqual({
      reason: 'invalid',
      message: 'grace: must be at least the sync interval (300 s): vigil sees a run up to one sync late',
    });
    expect((await failure(add({ syncInterval: 0 }))).message).toMatch(
      /^sync_interval: must be a whole number/,
    );
    expect((await failure(add({ syncInterval: 86_401, grace: 90_000 }))).reason).toBe('invalid');
  });

  it('refuses a name that is not slug-safe', async () => {
    for (const name of ['DB1', 'db.one', 'db/one', '-db', '', 'x'.repeat(61)]) {
      expect((await failure(add({ name }))).message).toMatch(/^name: use 1-60 lowercase letters/);
    }
  });

  it('refuses a name taken in the project, but not in another project', async () => {
    await add();
    expect(await failure(add())).toEqual({
      reason: 'conflict',
      message: 'a source named "db1" exists already in this project',
    });
    const theirs = await add({ projectId: h.other.project.id });
    expect(theirs.name).toBe('db1');
  });

  it('refuses a name whose health-check slug a check already has, naming it', async () => {
    await h.store.insertCheck(newCheck(randomUUID(), h.project.id, defaultCheckConfig('db1'), T0));
    const err = await failure(add());
    expect(err.reason).toBe('conflict');
    expect(err.message).toMatch(/^the slug "db1" is already used by a check/);
    expect(await h.store.listSources(h.project.id)).toEqual([]);
  });
});

describe('updateSource', () => {
  const update = (source: Source, patch: Parameters<typeof updateSource>[2]) =>
    h.store.transaction((tx) =>
      updateSource(tx, source, patch, { now: h.clock.now(), baseUrl: BASE_URL }, TEST_ACTOR),
    );

  it('moves the health check to the new interval and grace', async () => {
    const source = await add();
    h.clock.advance(10_000);
    const { source: next, committed } = await update(source, { syncInterval: 600, grace: 900 });
    expect(next).toMatchObject({ syncInterval: 600, grace: 900, updatedAt: T0 + 10_000 });
    expect(committed?.check.schedule).toEqual({ kind: 'interval', period: 600, grace: 900 });
    expect((await h.store.getCheck(source.healthCheckId!))!.schedule).toEqual({
      kind: 'interval',
      period: 600,
      grace: 900,
    });
  });

  it('brings a late health check back up when the longer interval no longer calls it late', async () => {
    const source = await add();
    const health = (await h.store.getCheck(source.healthCheckId!))!;
    await h.store.transaction(async (tx) => {
      const pinged = await commitTransition(
        tx,
        health,
        transition(health, { type: 'ping', kind: 'success' }, T0),
        T0,
        {
          baseUrl: BASE_URL,
        },
      );
      h.clock.advance(90_000);
      const late = transition(pinged.check, { type: 'deadline' }, h.clock.now());
      expect(late.state.status).toBe('late');
      await commitTransition(tx, pinged.check, late, h.clock.now(), { baseUrl: BASE_URL });
    });
    await update(source, { syncInterval: 300, grace: 300 });
    const after = (await h.store.getCheck(source.healthCheckId!))!;
    expect(after.status).toBe('up');
    expect(after.nextDeadline).toBe(T0 + 300_000);
    expect(await h.store.lastFlip(after.id)).toMatchObject({ from: 'late', to: 'up', event: null });
  });

  it('refuses timings that do not fit together, keeping the old ones', async () => {
    const source = await add();
    expect((await failure(update(source, { syncInterval: 300 }))).message).toMatch(
      /^grace: must be at least the sync interval \(300 s\)/,
    );
    expect((await h.store.getSource(source.id))!.syncInterval).toBe(60);
  });

  it('passes new defaults to the health check unless the team changed it there', async () => {
    const source = await add({ severity: 'important', tags: ['db'] });
    await update(source, { severity: 'critical', tags: ['db', 'prod'] });
    expect(await h.store.getCheck(source.healthCheckId!)).toMatchObject({
      severity: 'critical',
      tags: ['db', 'prod'],
    });

    const other = await add({ name: 'db2' });
    const health = (await h.store.getCheck(other.healthCheckId!))!;
    await h.store.updateCheck({ ...health, severity: 'low', rev: health.rev + 1 }, health.rev);
    await update(other, { severity: 'critical' });
    expect((await h.store.getCheck(other.healthCheckId!))!.severity).toBe('low');
  });

  it('syncs sooner when the interval gets shorter', async () => {
    const source = await add({ syncInterval: 3600, grace: 3600 });
    await h.store.updateSource({ ...source, nextSyncAt: T0 + 3_600_000 });
    const { source: next } = await update({ ...source, nextSyncAt: T0 + 3_600_000 }, { syncInterval: 60 });
    expect(next.nextSyncAt).toBe(T0 + 60_000);
  });
});

describe('removeSource', () => {
  it('pauses and archives every check of the source, keeps their history, and deletes the source', async () => {
    const source = await add();
    const job = await discovered(source, '7', 'db1/vacuum');
    await h.store.insertCheck(newCheck(randomUUID(), h.project.id, defaultCheckConfig('mine'), T0));
    h.clock.advance(5000);
    const committed = await h.store.transaction((tx) =>
      removeSource(tx, source, h.clock.now(), BASE_URL, TEST_ACTOR),
    );

    expect(committed.map((c) => c.check.id).sort()).toEqual([source.healthCheckId, job.id].sort());
    expect(await h.store.getSource(source.id)).toBeNull();
    for (const id of [source.healthCheckId!, job.id]) {
      expect(await h.store.getCheck(id)).toMatchObject({
        status: 'paused',
        archivedAt: T0 + 5000,
        nextDeadline: null,
        origin: { sourceId: source.id },
      });
      expect(await h.store.lastFlip(id)).toMatchObject({ to: 'paused', event: null });
    }
    const listed = await h.store.listChecks(h.project.id, {}, { limit: 10 });
    expect(listed.checks.map((c) => c.slug)).toEqual(['mine']);
    const archived = await h.store.listChecks(h.project.id, { archived: true }, { limit: 10 });
    expect(archived.checks.map((c) => c.slug).sort()).toEqual(['db1', 'db1/vacuum']);
  });

  it('leaves checks archived earlier as they were', async () => {
    const source = await add();
    const gone = await discovered(source, '8', 'db1/old');
    await h.store.updateCheck({ ...gone, archivedAt: T0, rev: gone.rev + 1 }, gone.rev);
    const committed = await h.store.transaction((tx) =>
      removeSource(tx, source, T0 + 1000, BASE_URL, TEST_ACTOR),
    );
    expect(committed.map((c) => c.check.id)).toEqual([source.healthCheckId]);
    expect((await h.store.getCheck(gone.id))!.archivedAt).toBe(T0);
  });
});
