// Which errors a ping or an API request answers 503 with Retry-After, on errors the engines
// really raise: a read-only SQLite connection, a refused PostgreSQL connection, a unique key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flatErrors } from '../../src/http/compat/compat-common.ts';
import { unavailable } from '../../src/http/unavailable.ts';
import { ConflictError } from '../../src/store/store.ts';
import { closedPort } from '../probes/target.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-unavailable-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** What `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected it to throw');
}

/** The error of a write on a connection that may only read. */
function readOnlyWrite(): unknown {
  const file = join(dir, 'vigil.db');
  new Database(file).exec('CREATE TABLE t (v TEXT)').close();
  const db = new Database(file, { readonly: true });
  const err = thrown(() => db.prepare('INSERT INTO t VALUES (?)').run('x'));
  db.close();
  return err;
}

describe('unavailable', () => {
  it('asks for 30 s when the database refuses writes, and says why', () => {
    expect(unavailable(readOnlyWrite())).toMatchObject({
      reason: 'storage',
      retryAfterS: 30,
      problem: { kind: 'read-only' },
    });
  });

  it('asks for 5 s when the database server cannot be reached', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: await closedPort(), user: 'vigil' });
    const err = await client.connect().then(
      () => new Error('expected the connection to be refused'),
      (refused: unknown) => refused,
    );
    expect(unavailable(err)).toEqual({ reason: 'database', retryAfterS: 5 });
  });

  it('asks for 1 s when a write lost the race for its rows', () => {
    expect(unavailable(new ConflictError('check changed concurrently'))).toEqual({
      reason: 'busy',
      retryAfterS: 1,
    });
  });

  it('names a refused write before the failure it led to', () => {
    const err = new ConflictError('gave up', { cause: readOnlyWrite() });
    expect(unavailable(err)).toMatchObject({ reason: 'storage', retryAfterS: 30 });
  });

  it('leaves every other error to the caller', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v TEXT PRIMARY KEY)');
    db.prepare('INSERT INTO t VALUES (?)').run('x');
    const unique = thrown(() => db.prepare('INSERT INTO t VALUES (?)').run('x'));
    db.close();
    expect((unique as { code: string }).code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    for (const err of [unique, new TypeError('boom'), 'ECONNREFUSED', null, undefined]) {
      expect(unavailable(err)).toBeNull();
    }
  });
});

describe('the compat APIs', () => {
  it('answer 503 with Retry-After in their flat shape, not 500, when the database refuses writes or a row is busy', async () => {
    const logged: unknown[] = [];
    const app = new Hono();
    flatErrors(app, (err) => logged.push(err));
    const storage = readOnlyWrite();
    app.get('/full', () => {
      throw storage;
    });
    app.get('/busy', () => {
      throw new ConflictError('check changed concurrently');
    });

    const full = await app.request('/full');
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('30');
    expect(await full.json()).toEqual({
      error: 'Service Unavailable',
      details: expect.stringMatching(
        /^vigil cannot use its database right now: .+; send the request again later$/,
      ),
    });
    const busy = await app.request('/busy');
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(await busy.json()).toMatchObject({ error: 'Service Unavailable' });
    expect(logged).toEqual([]);
  });
});
