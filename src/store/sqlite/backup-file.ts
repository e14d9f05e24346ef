// Copying a SQLite database out while vigil serves it, and putting a copy back while it does not.
//
// The copy reads through a read-only connection of its own, beside the server's (WAL lets a
// reader and the writer work at once), so it needs neither the server's process lock nor a
// pause in pings. SQLite's backup API copies pages in steps and starts over when another
// connection writes between two steps: under steady pings a stepwise copy might never finish,
// so every page goes in one step, inside one read transaction: a consistent snapshot that
// holds every commit made before it began.
import { copyFileSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { sqliteDialect } from '../migrations/dialect.ts';
import { migrationProvider } from '../migrations/index.ts';

export interface BackupResult {
  bytes: number;
  checks: number;
  pings: number;
}

/** Opens `path` as SQLite and tells what it holds; throws when it is not a vigil database. */
function inspect(db: Database.Database, what: string): { checks: number; pings: number } {
  const integrity = db.pragma('integrity_check') as { integrity_check: string }[];
  const problems = integrity.map((r) => r.integrity_check).filter((r) => r !== 'ok');
  if (problems.length > 0) {
    throw new Error(`${what} is damaged (integrity_check: ${problems.slice(0, 3).join('; ')})`);
  }
  const tables = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
      (t) => t.name,
    ),
  );
  if (!tables.has('kysely_migration') || !tables.has('checks') || !tables.has('pings')) {
    throw new Error(
      `${what} is a SQLite database, but not one of vigil's (it has no migrations or checks table)`,
    );
  }
  const count = (table: string) =>
    (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { checks: count('checks'), pings: count('pings') };
}

function openExisting(path: string, readonly: boolean): Database.Database {
  if (!existsSync(path)) throw new Error(`there is no database at ${path}`);
  try {
    const db = new Database(path, { readonly, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (err) {
    throw new Error(`cannot open ${path}: ${(err as Error).message}`);
  }
}

/** The one-step page count: all of them (better-sqlite3 takes at most 2^31 - 1 per step). */
const ALL_PAGES = 0x7fffffff;

/**
 * Copies the database at `dbPath` to `dest` (written beside it under another name first, then
 * renamed, so `dest` is never half a database), checks the copy, and returns what it holds.
 */
export async function backupDatabase(dbPath: string, dest: string): Promise<BackupResult> {
  const partial = `${dest}.partial-${process.pid}`;
  const source = openExisting(dbPath, true);
  try {
    await source.backup(partial, { progress: () => ALL_PAGES });
  } catch (err) {
    rmSync(partial, { force: true });
    throw new Error(`cannot write ${dest}: ${(err as Error).message}`);
  } finally {
    source.close();
  }
  try {
    const copy = new Database(partial);
    let held: { checks: number; pings: number };
    try {
      // the copy is marked WAL like its source; one file without -wal and -shm beside it is easier
      // to move around, and the server switches it back to WAL when it opens it
      copy.pragma('journal_mode = DELETE');
      held = inspect(copy, 'the copy');
    } finally {
      copy.close();
    }
    renameSync(partial, dest);
    return { bytes: statSync(dest).size, ...held };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}

/** Migrations a database has that this vigil does not know: it was made by a newer one. */
function unknownMigrations(db: Database.Database, known: Set<string>): string[] {
  const names = (db.prepare('SELECT name FROM kysely_migration').all() as { name: string }[]).map(
    (r) => r.name,
  );
  return names.filter((n) => !known.has(n));
}

export interface RestoreResult {
  checks: number;
  pings: number;
  /** where the database that was there before went; null when there was none */
  previous: string | null;
}

/**
 * Replaces the database at `dbPath` with the vigil backup `file`, after checking the backup in
 * a copy beside the database (the backup file itself is only read). The database that was
 * there is kept as `<db>.before-restore-<time>`, with its -wal and -shm files. The caller
 * holds the process lock, so no server opens the file meanwhile.
 */
export async function restoreDatabase(file: string, dbPath: string, now: Date): Promise<RestoreResult> {
  if (!existsSync(file)) throw new Error(`there is no file ${file}`);
  const incoming = `${dbPath}.restoring-${process.pid}`;
  let held: { checks: number; pings: number };
  try {
    copyFileSync(file, incoming);
    let copy: Database.Database;
    try {
      copy = new Database(incoming, { fileMustExist: true });
      copy.pragma('schema_version'); // reads the header: a file that is no database fails here
    } catch (err) {
      throw new Error(`${file} is not a SQLite database (${(err as Error).message})`);
    }
    try {
      held = inspect(copy, file);
      const known = new Set(Object.keys(await migrationProvider(sqliteDialect).getMigrations()));
      const newer = unknownMigrations(copy, known);
      if (newer.length > 0) {
        throw new Error(
          `${file} was made by a newer vigil (migrations ${newer.join(', ')}); restore it with that version or a later one`,
        );
      }
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
  } catch (err) {
    rmSync(incoming, { force: true });
    rmSync(`${incoming}-journal`, { force: true });
    throw err;
  }

  let previous: string | null = null;
  if (existsSync(dbPath)) {
    previous = `${dbPath}.before-restore-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '')}`;
    renameSync(dbPath, previous);
  }
  // SQLite finds a database's WAL by its name: moved together, the old file keeps its last commits
  for (const suffix of ['-wal', '-shm']) {
    if (!existsSync(dbPath + suffix)) continue;
    if (previous) renameSync(dbPath + suffix, previous + suffix);
    else rmSync(dbPath + suffix);
  }
  renameSync(incoming, dbPath);
  return { ...held, previous };
}
