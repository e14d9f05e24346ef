// Telling "the database refuses writes" from every other error, on the errors the engines
// really raise (a SQLite file at its page cap, a read-only connection, a PostgreSQL session in
// read-only mode), and the storage monitor that starts and ends the condition.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/scheduler/clock.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { WalSync } from '../../src/store/sqlite/wal-sync.ts';
import { PROBE_KEY, StorageHealth, watchStore } from '../../src/store/storage-health.ts';
import { type StorageCondition, storageProblem } from '../../src/store/storage-problem.ts';
import { ConflictError, type Store, SyncError } from '../../src/store/store.ts';
import { freshPostgresDatabase, makeProject, postgresAvailable } from './fixtures.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-storage-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** What `fn` throws. */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected it to throw');
}

/** A SQLite file whose connection may not grow it: the next row needing a page fails like a full disk. */
function fullDatabase(): Database.Database {
  const db = new Database(join(dir, 'full.db'));
  db.exec('CREATE TABLE t (v TEXT)');
  db.pragma('max_page_count = 1'); // raised by SQLite to the size the file has
  return db;
}

describe('storageProblem', () => {
  it('calls SQLITE_FULL a full disk', async () => {
    const db = fullDatabase();
    const err = await thrown(() => db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(100_000)));
    db.close();
    expect((err as { code: string }).code).toBe('SQLITE_FULL');
    expect(storageProblem(err)).toMatchObject({
      kind: 'disk-full',
      what: 'the disk holding the database is full',
    });
  });

  it('calls a write on a read-only connection a read-only database', async () => {
    new Database(join(dir, 'ro.db')).exec('CREATE TABLE t (v TEXT)');
    const db = new Database(join(dir, 'ro.db'), { readonly: true });
    const err = await thrown(() => db.prepare('INSERT INTO t VALUES (?)').run('x'));
    db.close();
    expect(storageProblem(err)?.kind).toBe('read-only');
  });

  it('calls a file that cannot be opened so', async () => {
    const err = await thrown(() => new Database(dir)); // a directory where the file should be
    expect((err as { code: string }).code).toBe('SQLITE_CANTOPEN');
    expect(storageProblem(err)?.kind).toBe('cannot-open');
  });

  it('reads the errno of a failed fsync', async () => {
    const wal = new WalSync(join(dir, 'gone.db-wal'));
    wal.noteCommit();
    const err = await thrown(() => wal.sync());
    expect(err).toBeInstanceOf(SyncError);
    expect(storageProblem(err)?.kind).toBe('io-error'); // ENOENT: no errno of its own, so a disk fault
    const cause = (code: string) =>
      new SyncError('cannot sync', { cause: Object.assign(new Error(code), { code }) });
    expect(storageProblem(cause('ENOSPC'))?.kind).toBe('disk-full');
    expect(storageProblem(cause('EROFS'))).toMatchObject({
      kind: 'read-only',
      what: 'the filesystem holding the database went read-only',
    });
    expect(storageProblem(cause('EIO'))?.kind).toBe('io-error');
  });

  it('leaves every other error alone', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v TEXT PRIMARY KEY)');
    db.prepare('INSERT INTO t VALUES (?)').run('x');
    const unique = await thrown(() => db.prepare('INSERT INTO t VALUES (?)').run('x'));
    const syntax = await thrown(() => db.prepare('SELEKT 1'));
    db.close();
    for (const err of [unique, syntax, new ConflictError('moved'), new Error('boom'), 'a string', null]) {
      expect(storageProblem(err)).toBeNull();
    }
  });

  it.skipIf(!postgresAvailable)('calls a read-only PostgreSQL session a read-only database', async () => {
    const database = await freshPostgresDatabase();
    const client = new pg.Client({ connectionString: database.url });
    try {
      await client.connect();
      await client.query('SET default_transaction_read_only = on');
      const err = await thrown(() => client.query("INSERT INTO meta (key, value) VALUES ('k', 'v')"));
      expect((err as { code: string }).code).toBe('25006');
      expect(storageProblem(err)).toMatchObject({ kind: 'read-only' });
      expect(storageProblem(err)?.todo).toContain('VIGIL_DATABASE_URL');
    } finally {
      await client.end();
      await database.drop();
    }
  });
});

describe('the storage monitor', () => {
  let store: Store;
  let health: StorageHealth;
  beforeEach(async () => {
    store = await openSqliteStore(join(dir, 'vigil.db'));
    health = new StorageHealth(store, {
      clock: new ManualClock(Date.UTC(2026, 0, 5)),
      logger: pino({ level: 'silent' }),
    });
  });
  afterEach(async () => {
    await health.stop();
    await store.close();
  });

  it('sees refusals through the watched store, once, and rethrows every error', async () => {
    const downs: StorageCondition[] = [];
    health.on('down', (c) => downs.push(c));
    const watched = watchStore(store, (err) => health.report(err));
    const project = makeProject();
    await watched.insertProject(project);
    // not a refusal: thrown as it was, and no condition
    const duplicate = await thrown(() => watched.insertProject(project));
    expect(storageProblem(duplicate)).toBeNull();
    expect(health.condition).toBeNull();

    const db = fullDatabase();
    const full = await thrown(() => db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(100_000)));
    db.close();
    const inside = await thrown(() =>
      watched.transaction(async () => {
        throw full;
      }),
    );
    expect(inside).toBe(full);
    await thrown(() => watched.transaction(async () => Promise.reject(full)));
    expect(downs).toHaveLength(1);
    expect(health.condition).toMatchObject({
      problem: { kind: 'disk-full' },
      since: Date.UTC(2026, 0, 5),
      error: 'database or disk is full',
    });
    // reads and writes that work go through untouched
    expect((await watched.getProject(project.id))?.name).toBe(project.name);
  });

  it('ends the condition when its probe can write 64 KiB', async () => {
    const ups: [StorageCondition, number][] = [];
    health.on('up', (c, until) => ups.push([c, until]));
    health.report(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
    expect(health.condition).not.toBeNull();
    expect(await health.probe()).toBe(true);
    expect(health.condition).toBeNull();
    expect(ups).toHaveLength(1);
    expect(ups[0]![0].problem.kind).toBe('disk-full');
    // what stays behind is one short row
    expect(await store.getMeta(PROBE_KEY)).toBe(String(Date.UTC(2026, 0, 5)));
  });
});
