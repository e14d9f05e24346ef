// Applies vigil's D1 migrations the way `wrangler d1 migrations apply` does. No test-runner
// imports, so the benchmarks can use it too.
import { fileURLToPath } from 'node:url';
import type { D1Database } from '../../src/store/d1/d1-types.ts';
import { readD1MigrationFiles, statementsOf } from '../../src/store/d1/migration-files.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS d1_migrations(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)`;

/**
 * Applies the files in migrations/d1 that are not applied yet, each as one batch, and records
 * them in d1_migrations by file name: what `wrangler d1 migrations apply` does.
 */
export async function applyD1Migrations(db: D1Database): Promise<void> {
  await db.prepare(MIGRATIONS_TABLE).run();
  const { results } = await db.prepare('SELECT name FROM d1_migrations').all<{ name: string }>();
  const applied = new Set(results.map((r) => r.name));
  for (const file of readD1MigrationFiles(ROOT)) {
    if (applied.has(file.name)) continue;
    await db.batch([
      ...statementsOf(file.sql).map((s) => db.prepare(s)),
      db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').bind(file.name),
    ]);
  }
}
