// D1 for the specs: Cloudflare's own D1 implementation running in workerd through Miniflare
// (both from the npm registry; no Cloudflare account), reached from Node through Miniflare's
// binding proxy. One Miniflare per test file; each store gets the database emptied.
import { Miniflare } from 'miniflare';
import { afterAll, beforeEach } from 'vitest';
import type { D1Database } from '../../src/store/d1/d1-types.ts';
import { applyD1Migrations } from './d1-migrate.ts';

export { applyD1Migrations };

let shared: Promise<{ mf: Miniflare; db: D1Database }> | null = null;

/**
 * After a failed spec, the next one gets a new Miniflare. Its synchronous binding proxy now and
 * then loses a reply (an AssertionError in fetch-sync.ts: the reply it reads is not the one it
 * waits for), and from then on every call of that Miniflare fails. With a new one, the retry the
 * D1 projects allow (vitest.config.ts) runs the spec again on a working proxy, and the specs
 * after it are not failed by the same lost reply.
 */
beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    const broken = shared;
    shared = null;
    void broken?.then(({ mf }) => mf.dispose()).catch(() => {});
  });
});

afterAll(async () => {
  const opened = shared;
  shared = null;
  if (opened) await (await opened).mf.dispose();
});

/** This file's D1 database, migrated, with every row of the previous spec gone. */
export async function freshD1(): Promise<D1Database> {
  shared ??= (async () => {
    const mf = new Miniflare({
      modules: true,
      script: 'export default { fetch() { return new Response(null, { status: 404 }); } }',
      compatibilityDate: '2025-04-01',
      d1Databases: ['DB'],
    });
    const db = (await mf.getD1Database('DB')) as unknown as D1Database;
    await applyD1Migrations(db);
    return { mf, db };
  })();
  const { db } = await shared;
  const { results } = await db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT IN ('d1_migrations', 'd1_ids')",
    )
    .all<{ name: string }>();
  // deferred: the foreign keys are checked at the end of the batch, when every row is gone
  await db.batch([
    db.prepare('PRAGMA defer_foreign_keys = ON'),
    ...results.map((t) => db.prepare(`DELETE FROM "${t.name}"`)),
  ]);
  return db;
}
