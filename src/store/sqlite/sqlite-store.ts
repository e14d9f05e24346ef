import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { lockedTx } from '../locked-tx.ts';
import { sqliteDialect } from '../migrations/dialect.ts';
import { migrationProvider } from '../migrations/index.ts';
import type { Store } from '../store.ts';
import { acquireProcessLock } from './process-lock.ts';
import { betterSqlitePort } from './sql-port.ts';
import { releaseEverything } from './sqlite-claims.ts';
import { SqliteTx } from './sqlite-tx.ts';
import { WalSync } from './wal-sync.ts';

/**
 * SQLite through better-sqlite3, which is synchronous. One connection serves the whole
 * process: statements are prepared once and cached, and a promise-chain lock keeps a
 * transaction's statements from interleaving with anyone else's (an async callback may
 * yield between them). Calls made while nothing holds the lock run at once.
 */
export async function openSqliteStore(path: string, options: { exclusive?: boolean } = {}): Promise<Store> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const release = options.exclusive && path !== ':memory:' ? acquireProcessLock(path) : () => {};
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (err) {
    release();
    throw err;
  }
  db.pragma('journal_mode = WAL');
  // NORMAL: COMMIT does not wait for the disk; WalSync does, off the event loop (see there).
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
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
  // An autocommit write is committed when it returns; inside a transaction, at COMMIT.
  const port = betterSqlitePort(prepare, () => {
    if (!db.inTransaction) wal.noteCommit();
  });
  if (options.exclusive) await releaseEverything(port);
  const tx = new SqliteTx(port);

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
    const result = await (held === 0 ? fn() : withLock(fn));
    if (wal.commits !== before) await wal.sync();
    return result;
  }

  return {
    ...lockedTx(tx, exclusive),
    engine: 'sqlite',
    transaction: async (fn) => {
      const result = await withLock(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(tx);
          db.exec('COMMIT');
          wal.noteCommit();
          return result;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      });
      // The lock is free again: the next transaction runs while this one reaches the disk.
      await wal.sync();
      return result;
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
