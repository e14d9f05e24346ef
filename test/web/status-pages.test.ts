// Status pages: managed by a project's owners at /status-pages, published at /status/<slug>
// for anyone, showing names, statuses and uptime and nothing private.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { signIn } from '../helpers/web.ts';
import { createCheck, HOUR, ping, SECOND } from '../scheduler/fixtures.ts';

const DAY = 24 * HOUR;

let h: Harness;
afterEach(() => h.close());

async function pageBySlug(slug: string) {
  return h.store.getStatusPageBySlug(slug);
}

/** A status page made the way the form makes it, straight into the store. */
async function makePage(
  slug: string,
  checkIds: string[],
  projectId = h.project.id,
  title = 'Service status',
) {
  const page = { id: crypto.randomUUID(), projectId, slug, title, checkIds, createdAt: T0, updatedAt: T0 };
  await h.store.insertStatusPage(page);
  return page;
}

describe('status page management', () => {
  let a: string;
  let b: string;
  beforeEach(async () => {
    h = await createHarness();
    a = await createCheck(h, { name: 'Alpha job', slug: 'alpha' });
    b = await createCheck(h, { name: 'Beta job', slug: 'beta' });
  });

  it('sends a signed-out visitor to the sign-in page', async () => {
    const res = await h.app.request('/status-pages');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fstatus-pages');
  });

  it('lets an owner create a page with checks in the chosen order', async () => {
    const owner = await signIn(h);
    const res = await owner.post('/status-pages', {
      title: 'Nightly jobs',
      slug: 'nightly',
      checks: [a, b],
      [`order_${a}`]: '2',
      [`order_${b}`]: '1',
    });
    expect(res.status).toBe(303);
    expect(await pageBySlug('nightly')).toMatchObject({ title: 'Nightly jobs', checkIds: [b, a] });
    const list = await (await owner.get('/status-pages')).text();
    expect(list).toContain('Nightly jobs');
    expect(list).toContain('http://vigil.test/status/nightly');
    expect(list).toContain('data-copy="http://vigil.test/status/nightly"');
  });

  it('shows the form again with errors for a bad title or address (400), and saves nothing', async () => {
    const owner = await signIn(h);
    const res = await owner.post('/status-pages', { title: ' ', slug: 'No Spaces!', checks: [a] });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('a title is required');
    expect(html).toContain('3 to 60 characters: lowercase letters, digits and -');
    expect(html).toContain('value="No Spaces!"');
    expect(await h.store.listStatusPages(h.project.id)).toEqual([]);
  });

  it('refuses an address another project already uses (400 "taken")', async () => {
    await makePage('shared', [], h.other.project.id);
    const owner = await signIn(h);
    const res = await owner.post('/status-pages', { title: 'Mine', slug: 'shared' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('taken');
    expect(await h.store.listStatusPages(h.project.id)).toEqual([]);
  });

  it('refuses checks of another project (400)', async () => {
    const foreign = await createCheck(h, { name: 'Theirs' }, h.other.key);
    const owner = await signIn(h);
    const res = await owner.post('/status-pages', { title: 'Mine', slug: 'mine', checks: [foreign] });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('no longer exists');
  });

  it('lets an owner edit a page', async () => {
    const page = await makePage('jobs', [a]);
    const owner = await signIn(h);
    const form = await (await owner.get(`/status-pages/${page.id}/edit`)).text();
    expect(form).toContain('value="jobs"');
    const res = await owner.post(`/status-pages/${page.id}`, {
      title: 'Renamed',
      slug: 'jobs-2',
      checks: [b],
    });
    expect(res.status).toBe(303);
    expect(await h.store.getStatusPage(page.id)).toMatchObject({
      title: 'Renamed',
      slug: 'jobs-2',
      checkIds: [b],
    });
  });

  it('keeps its own address when an edit does not change it', async () => {
    const page = await makePage('jobs', [a]);
    const owner = await signIn(h);
    const res = await owner.post(`/status-pages/${page.id}`, { title: 'Same address', slug: 'jobs' });
    expect(res.status).toBe(303);
  });

  it('deletes a page after a confirmation page', async () => {
    const page = await makePage('jobs', [a]);
    const owner = await signIn(h);
    const confirm = await owner.get(`/status-pages/${page.id}/delete`);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain(`action="/status-pages/${page.id}/delete"`);
    expect((await owner.post(`/status-pages/${page.id}/delete`)).status).toBe(303);
    expect(await h.store.getStatusPage(page.id)).toBeNull();
  });

  it('shows members the list without buttons and refuses their changes (403)', async () => {
    const page = await makePage('jobs', [a]);
    for (const role of ['member', 'read-only'] as const) {
      const user = await signIn(h, { role });
      const html = await (await user.get('/status-pages')).text();
      expect(html).toContain('Service status');
      expect(html).not.toContain('/edit"');
      expect(html).not.toContain('Create status page');
      expect(html).not.toContain('New badge key');
      expect((await user.post('/status-pages', { title: 'x', slug: 'xyz' })).status).toBe(403);
      expect((await user.post(`/status-pages/${page.id}`, { title: 'x', slug: 'jobs' })).status).toBe(403);
      expect((await user.post(`/status-pages/${page.id}/delete`)).status).toBe(403);
      expect((await user.post('/status-pages/badge-key')).status).toBe(403);
    }
    expect(await h.store.getStatusPage(page.id)).toMatchObject({ title: 'Service status' });
  });

  it("answers 404 for another project's page", async () => {
    const theirs = await makePage('theirs', [], h.other.project.id);
    const owner = await signIn(h);
    expect((await owner.get(`/status-pages/${theirs.id}/edit`)).status).toBe(404);
    expect((await owner.post(`/status-pages/${theirs.id}`, { title: 'x', slug: 'theirs' })).status).toBe(404);
    expect((await owner.post(`/status-pages/${theirs.id}/delete`)).status).toBe(404);
    expect(await h.store.getStatusPage(theirs.id)).not.toBeNull();
  });

  it('refuses a form without the CSRF token (403)', async () => {
    const owner = await signIn(h);
    const res = await owner.post('/status-pages', { title: 'x', slug: 'xyz' }, { csrf: null });
    expect(res.status).toBe(403);
    expect(await h.store.listStatusPages(h.project.id)).toEqual([]);
  });

  it('shows badge links, and a new badge key retires the old URLs', async () => {
    const owner = await signIn(h);
    const oldKey = h.project.badgeKey;
    const html = await (await owner.get('/status-pages?badge_check=beta')).text();
    expect(html).toContain(`http://vigil.test/badge/${oldKey}/beta.svg`);
    expect(html).toContain(`![status](http://vigil.test/badge/${oldKey}/beta.svg)`);
    expect((await h.app.request(`/badge/${oldKey}/beta.svg`)).status).toBe(200);

    expect((await owner.post('/status-pages/badge-key')).status).toBe(303);
    const newKey = (await h.store.getProject(h.project.id))!.badgeKey;
    expect(newKey).not.toBe(oldKey);
    expect((await h.app.request(`/badge/${oldKey}/beta.svg`)).status).toBe(404);
    expect((await h.app.request(`/badge/${newKey}/beta.svg`)).status).toBe(200);
    expect(await (await owner.get('/status-pages')).text()).toContain(newKey);
  });
});

describe('the public status page', () => {
  beforeEach(async () => {
    h = await createHarness({ trustProxy: true });
  });

  it('shows names, statuses and uptime from real flips, signed out', async () => {
    const id = await createCheck(h, { name: 'Nightly backup' });
    await ping(h, id);
    h.clock.set(T0 + 60 * SECOND);
    await h.scheduler.sweep(h.clock.now()); // late
    h.clock.set(T0 + 90 * SECOND);
    await h.scheduler.sweep(h.clock.now()); // down
    h.clock.set(T0 + HOUR);
    await ping(h, id); // up again
    h.clock.set(T0 + DAY);
    await makePage('acme', [id], h.project.id, 'Acme status');

    const res = await h.app.request('/status/acme');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=30');
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('Acme status');
    expect(html).toContain('Nightly backup');
    expect(html).toContain('Operational');
    expect(html).toContain('All systems operational');
    // down 58.5 minutes of the 12 observed hours of the first day, none of the second
    expect(html).toContain('class="bad" title="2026-01-05: 91.87%"');
    expect(html).toContain('class="ok" title="2026-01-06: 100%"');
    expect(html).toContain('class="none" title="2026-01-04: no data"');
    expect(html).toContain('95.93% uptime');
  });

  it('says which checks are down or have no data yet', async () => {
    const down = await createCheck(h, { name: 'Broken job' });
    const fresh = await createCheck(h, { name: 'Fresh job' });
    await h.app.request(`/ping/${down}/fail`, { method: 'POST' });
    await makePage('acme', [down, fresh]);
    const html = await (await h.app.request('/status/acme')).text();
    expect(html).toContain('Some checks are down');
    expect(html).toMatch(/Broken job<\/strong><span class="status status-down">Down</);
    expect(html).toMatch(/Fresh job<\/strong><span class="status status-new">No data yet</);
  });

  it('shows only checks that still exist in the page’s project, in the page’s order', async () => {
    const first = await createCheck(h, { name: 'First' });
    const second = await createCheck(h, { name: 'Second' });
    const gone = await createCheck(h, { name: 'Gone' });
    const foreign = await createCheck(h, { name: 'Foreign' }, h.other.key);
    await h.api('DELETE', `/checks/${gone}`);
    await makePage('acme', [second, gone, foreign, first]);
    const body = (await (await h.app.request('/status/acme?format=json')).json()) as {
      checks: { name: string }[];
    };
    expect(body.checks.map((c) => c.name)).toEqual(['Second', 'First']);
  });

  it('escapes check names', async () => {
    const id = await createCheck(h, { name: '<script>alert(1)</script>' });
    await makePage('acme', [id], h.project.id, 'Title <b>bold</b>');
    const html = await (await h.app.request('/status/acme')).text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<b>bold</b>');
  });

  it('reveals nothing private in its HTML or JSON', async () => {
    await h.store.updateProject({ ...h.project, name: 'Acme-Private-Project' });
    const id = await createCheck(h, {
      name: 'Public name',
      slug: 'hidden-slug-abc',
      tags: ['secret-tag-xyz'],
    });
    const pinged = await h.app.request(`/ping/${id}`, {
      method: 'POST',
      body: 'SECRET-BODY-123',
      headers: { 'X-Forwarded-For': '203.0.113.77' },
    });
    expect(pinged.status).toBe(200);
    const stored = await h.store.lastPing(id);
    expect(stored).toMatchObject({ body: 'SECRET-BODY-123', source: '203.0.113.77' });
    await makePage('acme', [id]);

    const html = await (await h.app.request('/status/acme')).text();
    const json = await (await h.app.request('/status/acme?format=json')).text();
    expect(html).toContain('Public name');
    expect(json).toContain('Public name');
    const secrets = [
      'SECRET-BODY-123',
      '203.0.113.77',
      id,
      h.project.id,
      h.project.pingKey,
      h.key,
      h.key.slice(0, 12),
      h.readOnlyKey,
      h.project.badgeKey,
      'secret-tag-xyz',
      'hidden-slug-abc',
      'Acme-Private-Project',
    ];
    for (const secret of secrets) {
      expect(html).not.toContain(secret);
      expect(json).not.toContain(secret);
    }
  });

  it('answers JSON with the same data', async () => {
    const id = await createCheck(h, { name: 'Nightly backup' });
    await ping(h, id);
    h.clock.set(T0 + HOUR);
    await makePage('acme', [id], h.project.id, 'Acme status');
    const res = await h.app.request('/status/acme?format=json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=30');
    const body = (await res.json()) as Record<string, unknown> & { checks: { days: unknown[] }[] };
    expect(Object.keys(body).sort()).toEqual(['checks', 'generated_at', 'status', 'title']);
    expect(body).toMatchObject({
      title: 'Acme status',
      status: 'up',
      generated_at: new Date(T0 + HOUR).toISOString(),
      checks: [{ name: 'Nightly backup', status: 'up', uptime_90d: 1 }],
    });
    expect(Object.keys(body.checks[0]!).sort()).toEqual(['days', 'name', 'status', 'uptime_90d']);
    expect(body.checks[0]!.days).toHaveLength(90);
    expect(body.checks[0]!.days.at(-1)).toEqual({ date: '2026-01-05', uptime: 1 });
    expect(body.checks[0]!.days[0]).toEqual({ date: '2025-10-08', uptime: null });
  });

  it('answers 404 for an unknown address', async () => {
    const res = await h.app.request('/status/no-such-page');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('Status page not found');
    expect((await h.app.request('/status/no-such-page?format=json')).status).toBe(404);
  });
});
