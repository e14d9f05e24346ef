// Public badges at /badge/<badge key>/<check slug or tag>.svg|.json: one status, as an SVG
// or as a shields.io endpoint, and a grey "not found" that does not say what was wrong.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { createCheck, ping, SECOND } from '../scheduler/fixtures.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

function badge(target: string, query = '', key = h.project.badgeKey): Promise<Response> {
  return Promise.resolve(h.app.request(`/badge/${key}/${target}${query}`));
}

async function json(target: string, query = '') {
  const res = await badge(`${target}.json`, query);
  return { status: res.status, body: await res.json() };
}

async function fail(id: string) {
  expect((await h.app.request(`/ping/${id}/fail`, { method: 'POST' })).status).toBe(200);
}

/** Up at T0, then late once its 60 s period has passed (the grace of 30 s runs). */
async function makeLate(id: string) {
  await ping(h, id);
  h.clock.set(T0 + 60 * SECOND);
  await h.scheduler.sweep(h.clock.now());
}

describe('a check badge', () => {
  it('is a green "vigil | up" SVG for an up check, with short caching and an ETag', async () => {
    const id = await createCheck(h, { slug: 'backup' });
    await ping(h, id);
    const res = await badge('backup.svg');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(res.headers.get('cache-control')).toBe('max-age=60');
    const svg = await res.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="20"/);
    expect(svg).toContain('<title>vigil: up</title>');
    expect(svg).toContain('fill="#4c1"');

    const etag = res.headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await h.app.request(`/badge/${h.project.badgeKey}/backup.svg`, {
      headers: { 'If-None-Match': etag! },
    });
    expect(again.status).toBe(304);
  });

  it('is yellow for a late check and red for a down one', async () => {
    const late = await createCheck(h, { slug: 'late-job' });
    const down = await createCheck(h, { slug: 'down-job' });
    await fail(down);
    await makeLate(late);
    const lateSvg = await (await badge('late-job.svg')).text();
    expect(lateSvg).toContain('<title>vigil: late</title>');
    expect(lateSvg).toContain('fill="#dfb317"');
    const downSvg = await (await badge('down-job.svg')).text();
    expect(downSvg).toContain('<title>vigil: down</title>');
    expect(downSvg).toContain('fill="#e05d44"');
  });

  it('answers the shields.io endpoint format as JSON', async () => {
    const up = await createCheck(h, { slug: 'up-job' });
    const late = await createCheck(h, { slug: 'late-job' });
    const down = await createCheck(h, { slug: 'down-job' });
    await fail(down);
    await makeLate(late);
    await ping(h, up);
    const res = await badge('up-job.json');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('max-age=60');
    expect(await res.json()).toEqual({
      schemaVersion: 1,
      label: 'vigil',
      message: 'up',
      color: 'brightgreen',
    });
    expect((await json('late-job')).body).toMatchObject({ message: 'late', color: 'yellow' });
    expect((await json('down-job')).body).toMatchObject({ message: 'down', color: 'red' });
  });

  it('is grey for a paused check and for one with no ping yet', async () => {
    const paused = await createCheck(h, { slug: 'paused-job' });
    await createCheck(h, { slug: 'new-job' });
    expect((await h.api('POST', `/checks/${paused}/pause`)).status).toBe(200);
    expect((await json('paused-job')).body).toMatchObject({ message: 'paused', color: 'lightgrey' });
    expect((await json('new-job')).body).toMatchObject({ message: 'unknown', color: 'lightgrey' });
  });

  it('finds a slug with "/" in it', async () => {
    const id = await createCheck(h, { slug: 'db/nightly-backup' });
    await fail(id);
    expect(await json('db/nightly-backup')).toEqual({
      status: 200,
      body: { schemaVersion: 1, label: 'vigil', message: 'down', color: 'red' },
    });
    expect((await badge('db/nightly-backup.svg')).status).toBe(200);
  });

  it('takes its left text from ?label=, escaped and cut to 40 characters', async () => {
    const id = await createCheck(h, { slug: 'backup' });
    await ping(h, id);
    const svg = await (
      await badge('backup.svg', `?label=${encodeURIComponent('<script>x</script>&')}`)
    ).text();
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;x&lt;/script&gt;&amp;');
    const long = 'a'.repeat(60);
    expect((await json('backup', `?label=${long}`)).body).toMatchObject({ label: 'a'.repeat(40) });
  });

  it('grows with its text', async () => {
    const id = await createCheck(h, { slug: 'backup' });
    await ping(h, id);
    const width = async (query: string) =>
      Number(/width="(\d+)"/.exec(await (await badge('backup.svg', query)).text())![1]);
    expect(await width('?label=WWWWWWWWWW')).toBeGreaterThan(await width('?label=iiiiiiiiii'));
  });
});

describe('a tag badge', () => {
  it('is down if any check with the tag is down, else late if any is late, else up', async () => {
    const a = await createCheck(h, { slug: 'a', tags: ['team:db'] });
    const b = await createCheck(h, { slug: 'b', tags: ['team:db'] });
    await createCheck(h, { slug: 'c', tags: ['other'] });
    await ping(h, a);
    await ping(h, b);
    expect((await json('team:db')).body).toMatchObject({ message: 'up', color: 'brightgreen' });
    h.clock.set(T0 + 60 * SECOND);
    await ping(h, a);
    await h.scheduler.sweep(h.clock.now()); // b is late
    expect((await json('team:db')).body).toMatchObject({ message: 'late', color: 'yellow' });
    await fail(a);
    expect((await json('team:db')).body).toMatchObject({ message: 'down', color: 'red' });
    expect(await (await badge('team:db.svg')).text()).toContain('<title>vigil: down</title>');
  });

  it('ignores paused and new checks, unless all of them are', async () => {
    const up = await createCheck(h, { slug: 'up-job', tags: ['nightly'] });
    const paused = await createCheck(h, { slug: 'paused-job', tags: ['nightly'] });
    await createCheck(h, { slug: 'new-job', tags: ['nightly'] });
    await ping(h, up);
    await h.api('POST', `/checks/${paused}/pause`);
    expect((await json('nightly')).body).toMatchObject({ message: 'up' });
    await h.api('POST', `/checks/${up}/pause`);
    expect((await json('nightly')).body).toMatchObject({ message: 'unknown', color: 'lightgrey' });
  });
});

describe('not found', () => {
  it('answers 404 with the same grey badge for an unknown key and an unknown target', async () => {
    const other = await createCheck(h, { slug: 'theirs' }, h.other.key);
    await ping(h, other);
    const unknownKey = await badge('backup.svg', '', 'no-such-key');
    const unknownTarget = await badge('backup.svg');
    const otherProjectsCheck = await badge('theirs.svg');
    for (const res of [unknownKey, unknownTarget, otherProjectsCheck]) {
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    }
    const bodies = await Promise.all([unknownKey, unknownTarget, otherProjectsCheck].map((r) => r.text()));
    expect(bodies[0]).toContain('<title>vigil: not found</title>');
    expect(bodies[0]).toContain('fill="#9f9f9f"');
    expect(new Set(bodies).size).toBe(1);
    expect(await json('backup')).toEqual({
      status: 404,
      body: { schemaVersion: 1, label: 'vigil', message: 'not found', color: 'lightgrey' },
    });
  });

  it('answers 404 for a path without .svg or .json', async () => {
    await createCheck(h, { slug: 'backup' });
    expect((await badge('backup')).status).toBe(404);
    expect((await badge('backup.png')).status).toBe(404);
  });
});
