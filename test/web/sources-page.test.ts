// The dashboard's sources page: each source's health and its jobs by outcome, the live table
// it re-fetches, and "Sync now" with the role, project and CSRF checks around it.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/audit/actor.ts';
import { createSource } from '../../src/sources/source-changes.ts';
import type { Source } from '../../src/store/store.ts';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { type Browser, signIn } from '../helpers/web.ts';
import { drive, fail, jobCheck, success, withRunner } from '../sources/fixtures.ts';
import { fn, REF, startFakeSupabase, TOKEN } from '../sources/supabase-api.ts';

const DB = 'postgres://vigil_monitor:s3cret-pass@db.example.com:5432/app';

let h: Harness;
let owner: Browser;
beforeEach(async () => {
  h = await createHarness();
  owner = await signIn(h, { projectIds: [h.project.id, h.other.project.id] });
});
afterEach(() => h.close());

function add(name: string, projectId = h.project.id): Promise<Source> {
  return h.store.transaction((tx) =>
    createSource(
      tx,
      { projectId, name, kind: 'pg_cron', config: { url: DB } },
      { now: T0, newId: randomUUID },
      systemActor('test'),
    ),
  );
}

async function html(res: Response | Promise<Response>): Promise<string> {
  const r = await res;
  expect(r.status).toBe(200);
  return r.text();
}

describe('GET /sources', () => {
  it('is linked from the navigation, and says how to add one when there is none', async () => {
    const page = await html(owner.get('/sources'));
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<a href="/sources" aria-current="page">Sources</a>');
    expect(page).toContain('No sources yet');
    expect(page).toContain('vigil sources add');
    expect(await html(owner.get('/checks'))).toContain('<a href="/sources">Sources</a>');
  });

  it('lists each source with its kind, health and jobs by outcome', async () => {
    const db1 = await add('db1');
    await drive(h, await jobCheck(h, db1, '1', 'vacuum'), success);
    await drive(h, await jobCheck(h, db1, '2', 'rollup'), fail);
    await jobCheck(h, db1, '3', 'report');
    const db2 = await add('db2');
    await h.store.updateSource({
      ...db2,
      lastSyncAt: T0,
      lastError: 'db.example.com: password authentication failed for user "vigil_monitor" (s3cret-pass)',
      lastErrorAt: T0,
    });
    await add('theirs', h.other.project.id);

    const page = await html(owner.get('/sources'));
    expect(page).toContain('data-live="flip"');
    const [, row1] = page.split('id="source-');
    expect(row1).toContain(`<a href="/checks/${db1.healthCheckId}">db1</a>`);
    expect(row1).toContain('pg_cron');
    expect(row1).toContain('never read yet');
    expect(row1).toMatch(
      /3: <span class="status status-up">1 healthy<\/span> · <span class="status status-down">1 failed<\/span> · <span class="status status-new">1 new<\/span>/,
    );
    const row2 = page.slice(page.indexOf(`id="source-${db2.id}"`));
    expect(row2).toContain('cannot read it');
    expect(row2).toContain('password authentication failed for user');
    expect(row2).not.toContain('s3cret-pass');
    expect(page).not.toContain('theirs');
    expect(page).not.toContain(DB);
  });

  it('renders the table alone for htmx to swap in', async () => {
    await add('db1');
    const fragment = await html(owner.get('/sources/table', { 'HX-Request': 'true' }));
    expect(fragment).toMatch(/^<div id="sources"/);
    expect(fragment).not.toContain('<html');
  });

  it('offers "Sync now" to writers only', async () => {
    await add('db1');
    const page = await html(owner.get('/sources'));
    expect(page).toMatch(/<form method="post" action="\/sources\/[0-9a-f-]{36}\/sync"/);
    expect(page).toContain(`name="_csrf" value="${owner.csrf}"`);
    const reader = await signIn(h, { role: 'read-only' });
    const readOnly = await html(reader.get('/sources'));
    expect(readOnly).toContain('db1');
    expect(readOnly).not.toContain('Sync now');
  });
});

describe('POST /sources/:id/sync', () => {
  it('needs the CSRF token', async () => {
    const db1 = await add('db1');
    const res = await owner.post(`/sources/${db1.id}/sync`, {}, { csrf: null });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('CSRF check failed');
  });

  it('refuses read-only members', async () => {
    const db1 = await add('db1');
    const reader = await signIn(h, { role: 'read-only' });
    const res = await reader.post(`/sources/${db1.id}/sync`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('can look at sources but not sync them');
  });

  it('treats another project’s source as not found', async () => {
    const theirs = await add('theirs', h.other.project.id);
    const outsider = await signIn(h);
    expect((await outsider.post(`/sources/${theirs.id}/sync`)).status).toBe(404);
    expect((await owner.post('/sources/not-an-id/sync')).status).toBe(404);
  });

  it('reads the source now and shows what the sync did', async () => {
    const fake = await startFakeSupabase([fn('send-email')]);
    try {
      const { app } = withRunner(h);
      const source = await h.store.transaction((tx) =>
        createSource(
          tx,
          {
            projectId: h.project.id,
            name: 'edge',
            kind: 'supabase',
            config: { project_ref: REF, access_token: TOKEN, api_url: fake.url },
          },
          { now: T0, newId: randomUUID },
          systemActor('test'),
        ),
      );
      const post = (htmx: boolean) =>
        Promise.resolve(
          app.request(`/sources/${source.id}/sync`, {
            method: 'POST',
            headers: {
              cookie: owner.cookie,
              'content-type': 'application/x-www-form-urlencoded',
              ...(htmx ? { 'HX-Request': 'true', 'HX-Target': 'sources' } : {}),
            },
            body: new URLSearchParams({ _csrf: owner.csrf }),
          }),
        );
      const fragment = await html(post(true));
      expect(fragment).toMatch(/^<div id="sources"/);
      expect(fragment).toContain('role="status"');
      expect(fragment).toMatch(/Read &quot;edge&quot;: 1 jobs, 0 runs; 1 new, 0 changed, 0 archived\./);
      expect(fragment).toContain('<span class="status status-new">1 new</span>');
      expect(fragment).not.toContain(TOKEN);

      const plain = await post(false);
      expect(plain.status).toBe(303);
      expect(plain.headers.get('location')).toBe('/sources');
    } finally {
      await fake.close();
    }
  });

  it('says so when this server cannot sync on demand', async () => {
    const db1 = await add('db1');
    const res = await owner.post(`/sources/${db1.id}/sync`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('does not sync sources on demand; &quot;db1&quot; is read every 60 s');
  });
});
