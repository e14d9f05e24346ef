// What is particular to the D1 store (the shared Store contract runs on it in the other
// files): its migration files, and transactions made of one batch — reads of their own
// writes, guards that turn a lost race into a fresh run, and failures that write nothing.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { transition } from '../../src/core/status.ts';
import { commitTransition } from '../../src/ingest/commit-transition.ts';
import { openD1Store } from '../../src/store/d1/d1-store.ts';
import type { D1Database } from '../../src/store/d1/d1-types.ts';
import { d1MigrationFiles, readD1MigrationFiles } from '../../src/store/d1/migration-files.ts';
import { isUniqueViolation, type Store } from '../../src/store/store.ts';
import { freshD1 } from '../helpers/d1.ts';
import { MINUTE, makeCheck, makeProject, makeSource, T0 } from './fixtures.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('D1 migration files', () => {
  it('are what the shared migrations make (run `npm run d1:migrations` after changing one)', async () => {
    const made = await d1MigrationFiles();
    expect(readD1MigrationFiles(ROOT)).toEqual(made);
    expect(made.map((f) => f.name)).toEqual([
      '0001_initial.sql',
      '0002_alerting.sql',
      '0003_dashboard.sql',
      '0004_sources.sql',
      '0005_nodes.sql',
      '0006_audit.sql',
      '0007_outbox_order.sql',
      '0008_outbox_channel_due.sql',
    ]);
  });
});

describe('opening a D1 database', () => {
  let mf: Miniflare;
  beforeAll(() => {
    mf = new Miniflare({
      modules: true,
      script: 'export default { fetch() { return new Response(null, { status: 404 }); } }',
      compatibilityDate: '2025-04-01',
      d1Databases: ['EMPTY'],
    });
  });
  afterAll(() => mf.dispose());

  it('that `wrangler d1 migrations apply` migrated opens and works', async () => {
    // the command a user runs, on a local database, then that database in workerd
    const persist = mkdtempSync(join(tmpdir(), 'vigil-d1-'));
    try {
      await promisify(execFile)(
        join(ROOT, 'node_modules', '.bin', 'wrangler'),
        ['d1', 'migrations', 'apply', 'vigil', '--local', '--persist-to', persist],
        { cwd: ROOT, env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' } },
      );
      const databaseId = /"database_id":\s*"([^"]+)"/.exec(
        readFileSync(join(ROOT, 'wrangler.jsonc'), 'utf8'),
      )![1]!;
      const local = new Miniflare({
        modules: true,
        script: 'export default { fetch() { return new Response(null, { status: 404 }); } }',
        compatibilityDate: '2025-04-01',
        d1Databases: { DB: databaseId },
        d1Persist: join(persist, 'v3', 'd1'),
      });
      try {
        const store = await openD1Store((await local.getD1Database('DB')) as unknown as D1Database);
        const project = makeProject();
        await store.insertProject(project);
        expect(await store.getProject(project.id)).toEqual(project);
      } finally {
        await local.dispose();
      }
    } finally {
      rmSync(persist, { recursive: true, force: true });
    }
  });

  it('that was never migrated says which migrations to apply, and how', async () => {
    const db = (await mf.getD1Database('EMPTY')) as unknown as D1Database;
    await expect(openD1Store(db)).rejects.toThrow(
      /missing migrations 0001_initial, .*0006_audit.*: run "npx wrangler d1 migrations apply <database> --remote"/,
    );
  });
});

describe('D1 transactions', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openD1Store(await freshD1());
  });

  async function projectWithCheck() {
    const project = makeProject();
    await store.insertProject(project);
    const check = makeCheck(project.id, { status: 'up', lastPingAt: T0, nextDeadline: T0 + MINUTE });
    await store.insertCheck(check);
    return { project, check };
  }

  it('read the checks, flips and incidents they wrote before the batch is sent', async () => {
    const { check } = await projectWithCheck();
    const ctx = { baseUrl: 'https://vigil.example' };
    const result = await store.transaction(async (tx) => {
      // a failed run takes the check down, and the next success brings it back: the second
      // transition must see the first's check (rev), flip (the down flip) and open incident
      const down = transition(check, { type: 'ping', kind: 'fail' }, T0 + 1000);
      const first = await commitTransition(tx, check, down, T0 + 1000, ctx);
      const seen = await tx.getCheck(check.id);
      expect(seen).toEqual(first.check);
      expect(await tx.getCheckBySlug(check.projectId, check.slug)).toEqual(first.check);
      expect(await tx.lastFlip(check.id)).toMatchObject({ id: first.flipId, to: 'down' });
      expect(await tx.openIncident(check.id)).toMatchObject({ id: first.incident?.id });
      const up = transition(seen!, { type: 'ping', kind: 'success' }, T0 + 2000);
      const second = await commitTransition(tx, seen!, up, T0 + 2000, ctx);
      expect(await tx.openIncident(check.id)).toBeNull();
      return { first, second };
    });
    expect(await store.getCheck(check.id)).toMatchObject({ status: 'up', rev: check.rev + 2 });
    const flips = await store.listFlips(check.id, { limit: 10 });
    expect(flips.map((f) => [f.from, f.to])).toEqual([
      ['down', 'up'],
      ['up', 'down'],
    ]);
    expect(flips.map((f) => f.id)).toEqual([result.second.flipId, result.first.flipId]);
    expect(await store.getIncident(result.first.incident!.id)).toMatchObject({ resolvedAt: T0 + 2000 });
  });

  it("list a source's checks as they wrote them (a sync reads them again after feeding them runs)", async () => {
    const { project } = await projectWithCheck();
    const source = makeSource(project.id);
    await store.insertSource(source);
    const origin = { sourceId: source.id, sourceKey: '1', details: {} };
    const [a, b] = [
      makeCheck(project.id, { slug: 'db/a', origin }),
      makeCheck(project.id, { slug: 'db/b', origin }),
    ];
    await store.insertCheck(a!);
    await store.insertCheck(b!);
    const c = makeCheck(project.id, { slug: 'db/c', origin });
    const listed = await store.transaction(async (tx) => {
      await tx.updateCheck({ ...a!, description: 'fed', rev: a!.rev + 1 }, a!.rev);
      await tx.deleteCheck(b!.id);
      await tx.insertCheck(c);
      return tx.listSourceChecks(source.id);
    });
    expect(listed.map((x) => [x.slug, x.description])).toEqual([
      ['db/a', 'fed'],
      ['db/c', c.description],
    ]);
  });

  it('write nothing when they throw', async () => {
    const { check } = await projectWithCheck();
    await expect(
      store.transaction(async (tx) => {
        await tx.updateCheck({ ...check, name: 'renamed', rev: check.rev + 1 }, check.rev);
        await tx.insertFlip({ checkId: check.id, at: T0, from: 'up', to: 'down', reason: 'x' });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await store.getCheck(check.id)).toEqual(check);
    expect(await store.lastFlip(check.id)).toBeNull();
  });

  it('run again from fresh reads when another writer changed a check they read', async () => {
    const { check } = await projectWithCheck();
    let runs = 0;
    const names = await store.transaction(async (tx) => {
      runs++;
      const c = (await tx.getCheck(check.id))!;
      // another request commits in between, on the first run only
      if (runs === 1) await store.updateCheck({ ...c, name: 'other', rev: c.rev + 1 }, c.rev);
      await tx.updateCheck({ ...c, description: `seen as ${c.name}`, rev: c.rev + 1 }, c.rev);
      return c.name;
    });
    expect(runs).toBe(2);
    expect(names).toBe('other');
    expect(await store.getCheck(check.id)).toMatchObject({
      name: 'other',
      description: 'seen as other',
      rev: check.rev + 2,
    });
  });

  it('fail as a unique violation, writing nothing, when two create the same slug', async () => {
    const { project, check } = await projectWithCheck();
    const twin = makeCheck(project.id, { slug: check.slug });
    const err = await store
      .transaction(async (tx) => {
        await tx.insertFlip({ checkId: check.id, at: T0, from: 'up', to: 'down', reason: 'x' });
        await tx.insertCheck(twin);
      })
      .catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
    expect(await store.getCheck(twin.id)).toBeNull();
    expect(await store.lastFlip(check.id)).toBeNull();
  });

  it('give flips and incidents ids that stay unique across concurrent transactions', async () => {
    const { check } = await projectWithCheck();
    const ids = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.transaction((tx) =>
          tx.insertFlip({ checkId: check.id, at: T0 + i, from: 'up', to: 'down', reason: `r${i}` }),
        ),
      ),
    );
    expect(new Set(ids).size).toBe(10);
    expect((await store.listFlips(check.id, { limit: 20 })).map((f) => f.id).sort()).toEqual([...ids].sort());
  });
});
