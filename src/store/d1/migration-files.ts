// Writes the schema migrations as the SQL files `wrangler d1 migrations apply` runs
// (migrations/d1/NNNN_name.sql). The migrations are Kysely code shared by every engine; this
// runs them on an empty in-memory SQLite database and records the SQL they send, so D1 gets
// exactly what SQLite gets. Node only (better-sqlite3): `npm run d1:migrations`, and a test
// fails when the committed files differ from what this makes.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type CompiledQuery, Kysely, SqliteDialect } from 'kysely';
import { sqliteDialect } from '../migrations/dialect.ts';
import { migrationProvider } from '../migrations/index.ts';
import { CONFLICT_CONSTRAINT } from './d1-port.ts';
import { d1MigrationName } from './d1-store.ts';

export const D1_MIGRATIONS_DIR = 'migrations/d1';

/** What only D1 needs, added to the first file: the guard batches use, and id counters. */
const D1_RUNTIME = `-- D1 only (src/store/d1/d1-port.ts). A transaction's writes go as one batch; a write whose
-- row count it relied on is followed by INSERT INTO d1_guard SELECT changes() = <count>, which
-- fails this CHECK, and rolls the batch back, when another writer got there first.
CREATE TABLE d1_guard (ok integer NOT NULL CONSTRAINT ${CONFLICT_CONSTRAINT} CHECK (ok = 1));
-- Ids of flips and incidents, taken before the batch that inserts them (it uses them too).
CREATE TABLE d1_ids (name text PRIMARY KEY, next integer NOT NULL);
INSERT INTO d1_ids (name, next) VALUES ('flips', 1), ('incidents', 1);
`;

export interface MigrationFile {
  name: string;
  sql: string;
}

/** The files, in order, as this code makes them. */
export async function d1MigrationFiles(): Promise<MigrationFile[]> {
  const sqlite = new Database(':memory:');
  let recording: CompiledQuery[] = [];
  const db = new Kysely<unknown>({
    dialect: new SqliteDialect({ database: sqlite }),
    log: (event) => {
      if (event.level === 'query') recording.push(event.query);
    },
  });
  try {
    const migrations = await migrationProvider(sqliteDialect).getMigrations();
    const files: MigrationFile[] = [];
    for (const name of Object.keys(migrations).sort()) {
      recording = [];
      await migrations[name]!.up(db);
      const statements = recording
        // reads only feed loops over existing rows, and a new D1 database has none
        .filter((q) => !/^\s*select\b/i.test(q.sql))
        .map((q) => {
          if (q.parameters.length > 0) throw new Error(`migration ${name} sends parameters: ${q.sql}`);
          return `${q.sql.trim()};`;
        });
      const header = `-- vigil migration ${name}, made by src/store/d1/migration-files.ts from src/store/migrations/; do not edit\n`;
      const extra = files.length === 0 ? `\n${D1_RUNTIME}` : '';
      files.push({
        name: `${d1MigrationName(name)}.sql`,
        sql: `${header}${statements.join('\n')}\n${extra}`,
      });
    }
    return files;
  } finally {
    await db.destroy();
  }
}

/** The committed files, by name. */
export function readD1MigrationFiles(root: string): MigrationFile[] {
  const dir = join(root, D1_MIGRATIONS_DIR);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name), 'utf8') }));
}

/** Splits a file into its statements (each ends with ";" at the end of a line). */
export function statementsOf(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) =>
      s
        .split('\n')
        .filter((line) => !line.trim().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter((s) => s.length > 0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of await d1MigrationFiles()) {
    writeFileSync(join(D1_MIGRATIONS_DIR, file.name), file.sql);
    console.log(`wrote ${join(D1_MIGRATIONS_DIR, file.name)}`);
  }
}
