import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { SecretBox } from '../../secrets/secret-box.ts';
import { lockedTx } from '../locked-tx.ts';
import { sqliteDialect } from '../migrations/dialect.ts';
import { migrationProvider } from '../migrations/index.ts';
import { storageProblem } from '../storage-problem.ts';
import type { Store } from '../store.ts';
import { rotateStoredSecrets, sealStoredSecrets } from '../stored-secrets.ts';
import { acquireProcessLock } from './process-lock.ts';
import { betterSqlitePort } from './sql-port.ts';
import { releaseEverything } from './sqlite-claims.ts';
import { sqliteSecretRows } from './sqlite-secrets.ts';
import { SqliteTx } from './sqlite-tx.ts';
import { WalSync } from './wal-sync.ts';

/**
 * SQLite through better-sqlite3, which is synchronous. One connection serves the whole
 * process: statements are prepared once and cached, and a promise-chain lock keeps a
 * transaction's statements from interleaving with anyone else's (an async callback may
 * yield between them). Calls made while nothing holds the lock run at once.
 */
export async function openSqliteStore(
  path: string,
  /** secrets: the key channel and source secrets are sealed with (none: stored plain) */
  options: { exclusive?: boolean; secrets?: SecretBox } = {},
): Promise<Store> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const release = options.exclusive && path !== ':memory:' ? acquireProcessLock(path) : () => {};
  let db: Database.Database;
  try {
    db = connect(path);
  } catch (err) {
    release();
    throw err;
  }
  await migrate(db);

  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  // Holding the file's lock, this process is the only node: every lease and claim left in the
  // file was taken by a process that died, and its work is due again now, not when they end.
  const wal = new WalSync(path === ':memory:' ? null : `${path}-wal`);
  // An autocommit write is committed when it returns; inside a transaction, at COMMIT. A
  // transaction that wrote nothing has nothing to sync (and a read-only file no WAL to open).
  let wroteInTx = false;
  const port = betterSqlitePort(prepare, () => {
    if (db.inTransaction) wroteInTx = true;
    else wal.noteCommit();
  });
  // A file vigil may not write (its permissions) opens read-only without a word, and stays so
  // after the file is fixed: once a write was refused, the next call opens it again (at most
  // once a second), so vigil carries on by itself instead of needing a restart.
  let readOnly = false;
  let reopenedAt = 0;
  const noteRefusal = (err: unknown) => {
    if (storageProblem(err)?.kind === 'read-only') readOnly = true;
  };
  async function reopenIfReadOnly(): Promise<void> {
    if (!readOnly || path === ':memory:' || Date.now() - reopenedAt < 1000) return;
    reopenedAt = Date.now();
    let fresh: Database.Database;
    try {
      // never a new empty file where the database was (SQLITE_READONLY_DBMOVED: it was removed)
      fresh = connect(path, { fileMustExist: true });
    } catch {
      return; // still cannot open it: the caller's statement fails on the old connection and says why
    }
    await wal.reopen();
    db.close();
    statements.clear();
    db = fresh;
    readOnly = false;
  }
  if (options.exclusive) {
    await releaseEverything(port).catch((err: unknown) => {
      // A database that refuses writes (a read-only file) still starts, to serve reads and say
      // why; the dead process's leases and claims then end when they run out.
      if (storageProblem(err) === null) throw err;
      noteRefusal(err);
    });
  }
  const secrets = options.secrets ?? null;
  const tx = new SqliteTx(port, secrets);

  let tail: Promise<unknown> = Promise.resolve();
  let held = 0;
  function withLock<T>(fn: () => Promise<T>): Promise<T> {
    held++;
    const run = tail.then(fn);
    tail = run.then(
      () => held--,
      () => held--,
    );
    return run;
  }

  /** Runs `fn` under the lock when a transaction holds it; waits for the disk if `fn` wrote. */
  async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const before = wal.commits;
    let result: T;
    try {
      result = await (held === 0 && !readOnly
        ? fn()
        : withLock(async () => {
            await reopenIfReadOnly();
            return fn();
          }));
    } catch (err) {
      noteRefusal(err);
      throw err;
    }
    if (wal.commits !== before) await wal.sync();
    return result;
  }

  return {
    ...lockedTx(tx, exclusive),
    engine: 'sqlite',
    transaction: async (fn) => {
      const result = await withLock(async () => {
        if (readOnly) await reopenIfReadOnly();
        db.exec('BEGIN IMMEDIATE');
        wroteInTx = false;
        try {
          const result = await fn(tx);
          db.exec('COMMIT');
          if (wroteInTx) wal.noteCommit();
          return result;
        } catch (err) {
          // (SQLite may have rolled back by itself, after SQLITE_FULL say)
          if (db.inTransaction) db.exec('ROLLBACK');
          noteRefusal(err);
          throw err;
        }
      });
      // The lock is free again: the next transaction runs while this one reaches the disk.
      await wal.sync();
      return result;
    },
    sealSecrets(this: Store) {
      return this.transaction(() => sealStoredSecrets(sqliteSecretRows(port), secrets));
    },
    rotateSecrets(this: Store, to, record) {
      return this.transaction(async (tx) => {
        const rotated = await rotateStoredSecrets(sqliteSecretRows(port), secrets, to);
        await record?.(tx, rotated);
        return rotated;
      });
    },
    ping: async () => {
      prepare('SELECT 1').get();
    },
    close: () =>
      withLock(async () => {
        await wal.close();
        db.close();
        release();
      }),
  };
}

/** Opens the file with the settings every connection of the store has (benches use it too). */
export function connect(path: string, options: Database.Options = {}): Database.Database {
  const db = new Database(path, options);
  db.pragma('journal_mode = WAL');
  // NORMAL: COMMIT does not wait for the disk; WalSync does, off the event loop (see there).
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // For tests only (test/e2e/storage-refuses-writes.test.ts): caps the file at this many pages
  // on vigil's own connection, the way a full disk caps it (SQLite keeps the cap at least the
  // size the file has). A real disk cannot be filled safely in a test; never set it otherwise.
  const maxPages = Number(process.env.VIGIL_TEST_MAX_PAGE_COUNT);
  if (Number.isInteger(maxPages) && maxPages > 0) db.pragma(`max_page_count = ${maxPages}`);
  return db;
}

async function migrate(db: Database.Database): Promise<void> {
  const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database: db }) });
  const migrator = new Migrator({ db: kysely, provider: migrationProvider(sqliteDialect) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(
      `database migration ${failed?.migrationName ?? ''} failed: ${(error as Error)?.message ?? error}`,
    );
  }
}
