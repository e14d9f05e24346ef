// The app's one error handler, on errors a real store throws.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toErrorResponse } from '../../src/http/errors.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { makeProject } from '../store/fixtures.ts';

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
