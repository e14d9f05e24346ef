// The app's one error handler, on errors a real store throws.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toErrorResponse } from '../../src/http/errors.ts';
import { openD1Store } from '../../src/store/d1/d1-store.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { freshD1 } from '../helpers/d1.ts';
import { makeCheck, makeProject } from '../store/fixtures.ts';

describe('toErrorResponse', () => {
  let dir: string;
  let store: Store;
  const logged: unknown[] = [];
  const app = new Hono();
  app.onError((err, c) => toErrorResponse(err, c, (e) => logged.push(e)));
  const project = makeProject();
  app.post('/twice', async (c) => {
    await store.insertProject(project);
    return c.text('created');
  });
  let stale: () => Promise<unknown> = async () => {};
  app.post('/stale', async (c) => {
    await stale();
    return c.text('saved');
  });
  app.get('/boom', () => {
    throw new Error('secret detail at /srv/vigil/src/x.ts:12');
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-errors-'));
    store = await openSqliteStore(join(dir, 'vigil.db'));
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 409 when an insert loses a race on a unique key, and logs nothing', async () => {
    expect((await app.request('/twice', { method: 'POST' })).status).toBe(200);
    const res = await app.request('/twice', { method: 'POST' });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      error: {
        code: 'conflict',
        message: 'it exists already: another request created it at the same moment',
      },
    });
    expect(logged).toEqual([]);
  });

  it('answers 503 with Retry-After when a D1 transaction keeps losing the race for its rows', async () => {
    const d1 = await openD1Store(await freshD1());
    await d1.insertProject(project);
    const check = makeCheck(project.id);
    await d1.insertCheck(check);
    // someone else moved the check on; this request keeps writing from the rev it read
    await d1.updateCheck({ ...check, name: 'moved', rev: check.rev + 1 }, check.rev);
    stale = () =>
      d1.transaction((tx) => tx.updateCheck({ ...check, name: 'stale', rev: check.rev + 1 }, check.rev));
    const res = await app.request('/stale', { method: 'POST' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({
      error: {
        code: 'busy',
        message: 'what this request changes was changing under it; nothing was saved: send it again',
      },
    });
    expect(await d1.getCheck(check.id)).toMatchObject({ name: 'moved' });
    expect(logged).toEqual([]);
  });

  it('answers anything else with a logged 500 that tells the client nothing of it', async () => {
    const res = await app.request('/boom');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret detail');
    expect(JSON.parse(text)).toEqual({
      error: { code: 'internal', message: 'internal error; it has been logged' },
    });
    expect(logged).toHaveLength(1);
  });
});
