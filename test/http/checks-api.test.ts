// The checks resource at /api/v1/checks, as a client sees it: every route, and every way a
// request can be wrong answered with a 4xx in the one error shape.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BASE_URL, createHarness, type Harness, T0 } from '../helpers/harness.ts';
import {
  type CheckView,
  createCheck,
  expectApiError,
  getCheck,
  iso,
  json,
  listFlips,
  rawApi,
} from './api-helpers.ts';

const FIVE_MINUTES = { kind: 'interval', period: 300, grace: 60 } as const;

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

const ping = (path: string) => h.app.request(`/ping/${path}`);

async function listChecks(query = ''): Promise<{ checks: CheckView[]; next_cursor: string | null }> {
  const res = await h.api('GET', `/checks${query}`);
  expect(res.status).toBe(200);
  return json(res);
}

describe('POST /checks', () => {
  it('creates a check and answers 201 with the check', async () => {
    const res = await h.api('POST', '/checks', { name: 'Nightly backup', schedule: FIVE_MINUTES });
    expect(res.status).toBe(201);
    const check = await json<CheckView>(res);
    expect(check).toMatchObject({
      name: 'Nightly backup',
      schedule: FIVE_MINUTES,
      status: 'new',
      last_ping_at: null,
      next_deadline: null,
      failure_threshold: 1,
      severity: 'important',
      manual_resume: false,
      methods: 'any',
    });
    expect(check.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('derives the slug from the name', async () => {
    const check = await createCheck(h, { name: 'Nightly Backup (db1)' });
    expect(check.slug).toBe('nightly-backup-db1');
  });

  it('uses the slug as the name when only a slug is given', async () => {
    const check = await createCheck(h, { slug: 'db-dump' });
    expect(check.name).toBe('db-dump');
  });

  it('answers with the check’s ping URLs', async () => {
    const check = await createCheck(h, { name: 'Backup' });
    const url = `${BASE_URL}/ping/${check.id}`;
    expect(check.ping_url).toBe(url);
    expect(check.ping_urls).toEqual({
      success: url,
      start: `${url}/start`,
      fail: `${url}/fail`,
      log: `${url}/log`,
      exit_status: `${url}/{exit_status}`,
      by_slug: `${BASE_URL}/ping/${h.project.pingKey}/backup`,
    });
  });

  it('says an interval schedule in words', async () => {
    const check = await createCheck(h, { name: 'Backup', schedule: FIVE_MINUTES });
    expect(check.schedule_text).toBe('every 5 minutes');
  });

  it('says a cron schedule in words with its timezone', async () => {
    const check = await createCheck(h, {
      name: 'Backup',
      schedule: { kind: 'cron', expression: '0 2 * * *', timezone: 'Europe/Berlin', grace: 600 },
    });
    expect(check.schedule_text).toBe('at 02:00 Europe/Berlin');
  });

  it('answers 409 for a slug another check already uses', async () => {
    await createCheck(h, { name: 'Backup' });
    const res = await h.api('POST', '/checks', { name: 'Other', slug: 'backup' });
    await expectApiError(res, 409, /slug "backup"/);
  });

  it('numbers a derived slug that is taken: backup, backup-2', async () => {
    await createCheck(h, { name: 'Backup' });
    const second = await createCheck(h, { name: 'backup' });
    expect(second.slug).toBe('backup-2');
  });

  it('gives names in other scripts distinct slugs', async () => {
    expect((await createCheck(h, { name: '日本語' })).slug).toBe('check');
    expect((await createCheck(h, { name: 'Привет' })).slug).toBe('check-2');
  });

  it('answers 409 for an explicit slug that is taken', async () => {
    await createCheck(h, { name: 'Backup' });
    await expectApiError(await h.api('POST', '/checks', { slug: 'backup' }), 409, /slug "backup"/);
  });

  it('spells the timezone canonically', async () => {
    const check = await createCheck(h, {
      name: 'tz',
      schedule: { kind: 'cron', expression: '0 2 * * *', timezone: 'europe/berlin' },
    });
    expect(check.schedule).toMatchObject({ timezone: 'Europe/Berlin' });
    expect(check.schedule_text).toBe('at 02:00 Europe/Berlin');
  });

  it('keeps the grace when a PATCH sends a schedule without one, and defaults it on create', async () => {
    const check = await createCheck(h, { name: 'g', schedule: { kind: 'interval', period: 60, grace: 42 } });
    const res = await h.api('PATCH', `/checks/${check.id}`, { schedule: { kind: 'interval', period: 120 } });
    expect((await json<CheckView>(res)).schedule).toEqual({ kind: 'interval', period: 120, grace: 42 });
    const fresh = await createCheck(h, { name: 'h', schedule: { kind: 'cron', expression: '0 2 * * *' } });
    expect(fresh.schedule).toEqual({ kind: 'cron', expression: '0 2 * * *', timezone: 'UTC', grace: 300 });
  });

  it('allows the same slug in another project', async () => {
    await createCheck(h, { name: 'Backup' });
    const res = await h.api('POST', '/checks', { name: 'Backup' }, h.other.key);
    expect(res.status).toBe(201);
  });
});

describe('upsert', () => {
  it('creates with "unique": ["slug"] (201), then updates the same check (200)', async () => {
    const first = await h.api('POST', '/checks', { slug: 'db', name: 'DB', unique: ['slug'] });
    expect(first.status).toBe(201);
    const created = await json<CheckView>(first);

    const second = await h.api('POST', '/checks', {
      slug: 'db',
      name: 'Database',
      schedule: FIVE_MINUTES,
      unique: ['slug'],
    });
    expect(second.status).toBe(200);
    const updated = await json<CheckView>(second);
    expect(updated.id).toBe(created.id);
    expect(updated).toMatchObject({ name: 'Database', schedule: FIVE_MINUTES });
    expect((await listChecks()).checks).toHaveLength(1);
  });

  it('matches "unique": ["slug"] on the slug derived from the name when no slug is given', async () => {
    const first = await h.api('POST', '/checks', { name: 'Nightly Backup', unique: ['slug'] });
    expect(first.status).toBe(201);
    const second = await h.api('POST', '/checks', { name: 'Nightly Backup', tags: ['db'], unique: ['slug'] });
    expect(second.status).toBe(200);
    expect((await json<CheckView>(second)).id).toBe((await json<CheckView>(first)).id);
  });

  it('updates the check with the same name with "unique": ["name"]', async () => {
    const created = await createCheck(h, { name: 'Backup', slug: 'b1' });
    const res = await h.api('POST', '/checks', { name: 'Backup', tags: ['db'], unique: ['name'] });
    expect(res.status).toBe(200);
    expect(await json<CheckView>(res)).toMatchObject({ id: created.id, slug: 'b1', tags: ['db'] });
  });

  it('creates with PUT /checks/by-slug/:slug (201), then updates the same check (200)', async () => {
    const first = await h.api('PUT', '/checks/by-slug/nightly', { name: 'Nightly' });
    expect(first.status).toBe(201);
    const created = await json<CheckView>(first);
    expect(created.slug).toBe('nightly');

    const second = await h.api('PUT', '/checks/by-slug/nightly', { tags: ['prod'] });
    expect(second.status).toBe(200);
    const updated = await json<CheckView>(second);
    expect(updated.id).toBe(created.id);
    expect(updated).toMatchObject({ name: 'Nightly', tags: ['prod'] });
  });

  it('answers 400 naming the slug for an invalid slug in PUT /checks/by-slug/:slug', async () => {
    const res = await h.api('PUT', '/checks/by-slug/Not%20A%20Slug', { name: 'x' });
    await expectApiError(res, 400, /^slug: /);
  });

  it('does not update another project’s check with the same slug', async () => {
    const theirs = await json<CheckView>(await h.api('POST', '/checks', { slug: 'db' }, h.other.key));
    const res = await h.api('POST', '/checks', { slug: 'db', unique: ['slug'] });
    expect(res.status).toBe(201);
    expect((await json<CheckView>(res)).id).not.toBe(theirs.id);
  });
});

describe('GET /checks', () => {
  it('lists the project’s checks and not another project’s', async () => {
    await createCheck(h, { name: 'Mine' });
    await h.api('POST', '/checks', { name: 'Theirs' }, h.other.key);
    const { checks } = await listChecks();
    expect(checks.map((c) => c.name)).toEqual(['Mine']);
  });

  it('filters by tag, matching whole tags only', async () => {
    await createCheck(h, { name: 'a', tags: ['db', 'nightly'] });
    await createCheck(h, { name: 'b', tags: ['db2'] });
    await createCheck(h, { name: 'c', tags: ['web'] });
    const { checks } = await listChecks('?tag=db');
    expect(checks.map((c) => c.name)).toEqual(['a']);
  });

  it('filters by status', async () => {
    const up = await createCheck(h, { name: 'pinged' });
    await createCheck(h, { name: 'quiet' });
    await ping(up.id);
    expect((await listChecks('?status=up')).checks.map((c) => c.name)).toEqual(['pinged']);
    expect((await listChecks('?status=new')).checks.map((c) => c.name)).toEqual(['quiet']);
  });

  it('filters by slug', async () => {
    await createCheck(h, { name: 'Backup' });
    await createCheck(h, { name: 'Restore' });
    expect((await listChecks('?slug=restore')).checks.map((c) => c.name)).toEqual(['Restore']);
  });

  it('pages through the checks with next_cursor', async () => {
    for (const name of ['e', 'c', 'a', 'd', 'b']) await createCheck(h, { name });

    const page1 = await listChecks('?limit=2');
    expect(page1.checks.map((c) => c.name)).toEqual(['a', 'b']);
    expect(page1.next_cursor).toEqual(expect.any(String));

    const page2 = await listChecks(`?limit=2&cursor=${page1.next_cursor}`);
    expect(page2.checks.map((c) => c.name)).toEqual(['c', 'd']);

    const page3 = await listChecks(`?limit=2&cursor=${page2.next_cursor}`);
    expect(page3.checks.map((c) => c.name)).toEqual(['e']);
    expect(page3.next_cursor).toBeNull();
  });

  it('answers 400 naming the status for an unknown status filter', async () => {
    await expectApiError(await h.api('GET', '/checks?status=sleeping'), 400, /^query\.status: /);
  });

  it('answers 400 naming the limit for a limit of 0', async () => {
    await expectApiError(await h.api('GET', '/checks?limit=0'), 400, /^query\.limit: /);
  });
});

describe('GET /checks/:id', () => {
  it('answers with the last ping time and the next deadline', async () => {
    const check = await createCheck(h, { name: 'Backup', schedule: FIVE_MINUTES });
    await ping(check.id);
    const got = await getCheck(h, check.id);
    expect(got).toMatchObject({
      status: 'up',
      last_ping_at: iso(T0),
      next_deadline: iso(T0 + 300_000),
    });
  });

  it('accepts the id in upper case', async () => {
    const check = await createCheck(h, { name: 'Backup' });
    expect((await getCheck(h, check.id.toUpperCase())).id).toBe(check.id);
  });

  it('answers 404 for a check that does not exist', async () => {
    const res = await h.api('GET', '/checks/4b4e8d6a-0f59-4e2c-9d4b-8f1b1b7a7a7a');
    await expectApiError(res, 404, /check not found/);
  });

  it('answers 404 for another project’s check, exactly as for a nonexistent one', async () => {
    const theirs = await json<CheckView>(await h.api('POST', '/checks', { name: 'x' }, h.other.key));
    const res = await h.api('GET', `/checks/${theirs.id}`);
    const missing = await h.api('GET', '/checks/4b4e8d6a-0f59-4e2c-9d4b-8f1b1b7a7a7a');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(await missing.json());
  });

  it('answers 404 for an id that is not a UUID', async () => {
    await expectApiError(await h.api('GET', '/checks/not-a-uuid'), 404, /check not found/);
  });
});

describe('PATCH /checks/:id', () => {
  it('changes the given fields and keeps the others', async () => {
    const check = await createCheck(h, { name: 'Backup', tags: ['db'] });
    const res = await h.api('PATCH', `/checks/${check.id}`, { description: 'pg_dump of db1' });
    expect(res.status).toBe(200);
    expect(await json<CheckView>(res)).toMatchObject({
      name: 'Backup',
      tags: ['db'],
      description: 'pg_dump of db1',
    });
  });

  it('moves the next deadline when the schedule changes', async () => {
    const check = await createCheck(h, { name: 'Backup', schedule: FIVE_MINUTES });
    await ping(check.id);
    h.clock.advance(10_000);
    const res = await h.api('PATCH', `/checks/${check.id}`, {
      schedule: { kind: 'interval', period: 60, grace: 60 },
    });
    expect((await json<CheckView>(res)).next_deadline).toBe(iso(T0 + 60_000));
    expect((await getCheck(h, check.id)).next_deadline).toBe(iso(T0 + 60_000));
  });

  it('changes the schedule text with the schedule', async () => {
    const check = await createCheck(h, { name: 'Backup', schedule: FIVE_MINUTES });
    const res = await h.api('PATCH', `/checks/${check.id}`, {
      schedule: { kind: 'cron', expression: '0 2 * * *', timezone: 'Europe/Berlin' },
    });
    expect((await json<CheckView>(res)).schedule_text).toBe('at 02:00 Europe/Berlin');
  });

  it('answers 409 for a slug another check already uses', async () => {
    await createCheck(h, { name: 'Backup' });
    const other = await createCheck(h, { name: 'Restore' });
    const res = await h.api('PATCH', `/checks/${other.id}`, { slug: 'backup' });
    await expectApiError(res, 409, /slug "backup"/);
  });

  it('answers 404 for another project’s check', async () => {
    const theirs = await json<CheckView>(await h.api('POST', '/checks', { name: 'x' }, h.other.key));
    await expectApiError(await h.api('PATCH', `/checks/${theirs.id}`, { name: 'mine now' }), 404);
    const unchanged = await h.api('GET', `/checks/${theirs.id}`, undefined, h.other.key);
    expect((await json<CheckView>(unchanged)).name).toBe('x');
  });
});

describe('DELETE /checks/:id', () => {
  it('deletes the check (204) so it is not found afterwards', async () => {
    const check = await createCheck(h, { name: 'Backup' });
    const res = await h.api('DELETE', `/checks/${check.id}`);
    expect(res.status).toBe(204);
    await expectApiError(await h.api('GET', `/checks/${check.id}`), 404);
  });

  it('answers 404 for another project’s check and leaves it', async () => {
    const theirs = await json<CheckView>(await h.api('POST', '/checks', { name: 'x' }, h.other.key));
    await expectApiError(await h.api('DELETE', `/checks/${theirs.id}`), 404);
    expect((await h.api('GET', `/checks/${theirs.id}`, undefined, h.other.key)).status).toBe(200);
  });
});

describe('pause and resume', () => {
  it('pauses a check', async () => {
    const check = await createCheck(h, { name: 'Backup', schedule: FIVE_MINUTES });
    await ping(check.id);
    const res = await h.api('POST', `/checks/${check.id}/pause`);
    expect(res.status).toBe(200);
    expect(await json<CheckView>(res)).toMatchObject({ status: 'paused', next_deadline: null });
  });

  it('resumes a paused check as new', async () => {
    const check = await createCheck(h, { name: 'Backup' });
    await h.api('POST', `/checks/${check.id}/pause`);
    const res = await h.api('POST', `/checks/${check.id}/resume`);
    expect(res.status).toBe(200);
    expect((await json<CheckView>(res)).status).toBe('new');
  });

  it('records pausing and resuming as flips', async () => {
    const check = await createCheck(h, { name: 'Backup' });
    await h.api('POST', `/checks/${check.id}/pause`);
    h.clock.advance(1000);
    await h.api('POST', `/checks/${check.id}/resume`);
    const flips = await listFlips(h, check.id);
    expect(flips.map((f) => [f.from, f.to, f.reason])).toEqual([
      ['paused', 'new', 'resumed'],
      ['new', 'paused', 'paused'],
    ]);
  });
});

describe('GET /checks/:id/pings', () => {
  it('lists pings newest first, in pages linked by next_before', async () => {
    const check = await createCheck(h, { name: 'Backup' });
    for (let i = 0; i < 5; i++) {
      await ping(check.id);
      h.clock.advance(1000);
    }
    const page = async (query: string) => {
      const res = await h.api('GET', `/checks/${check.id}/pings${query}`);
      expect(res.status).toBe(200);
      return json<{ pings: { n: number; at: string }[]; next_before: number | null }>(res);
    };
    const page1 = await page('?limit=2');
    expect(page1.pings.map((p) => p.n)).toEqual([5, 4]);
    expect(page1.pings[0]!.at).toBe(iso(T0 + 4000));
    const page2 = await page(`?limit=2&before=${page1.next_before}`);
    expect(page2.pings.map((p) => p.n)).toEqual([3, 2]);
    const page3 = await page(`?limit=2&before=${page2.next_before}`);
    expect(page3.pings.map((p) => p.n)).toEqual([1]);
    expect(page3.next_before).toBeNull();
  });

  it('answers 404 for another project’s check', async () => {
    const theirs = await json<CheckView>(await h.api('POST', '/checks', { name: 'x' }, h.other.key));
    await expectApiError(await h.api('GET', `/checks/${theirs.id}/pings`), 404);
  });
});

describe('GET /checks/:id/flips', () => {
  it('lists the status changes newest first with their reasons', async () => {
    const check = await createCheck(h, { name: 'Backup' });
    await ping(`${check.id}/fail`);
    h.clock.advance(1000);
    await ping(check.id);
    const flips = await listFlips(h, check.id);
    expect(flips.map((f) => [f.from, f.to, f.reason, f.at])).toEqual([
      ['down', 'up', 'success ping received', iso(T0 + 1000)],
      ['new', 'down', 'run failed', iso(T0)],
    ]);
  });

  it('answers 404 for another project’s check', async () => {
    const theirs = await json<CheckView>(await h.api('POST', '/checks', { name: 'x' }, h.other.key));
    await expectApiError(await h.api('GET', `/checks/${theirs.id}/flips`), 404);
  });
});

describe('invalid requests', () => {
  it('answers 400 for a body that is not JSON', async () => {
    await expectApiError(await h.api('POST', '/checks', '{"name": "x"'), 400, /JSON/);
  });

  it('answers 400 naming an unknown field', async () => {
    const res = await h.api('POST', '/checks', { name: 'x', colour: 'red' });
    await expectApiError(res, 400, /unknown field "colour"/);
  });

  it('answers 400 naming an unknown field inside the schedule', async () => {
    const res = await h.api('POST', '/checks', { name: 'x', schedule: { ...FIVE_MINUTES, every: 3 } });
    await expectApiError(res, 400, /^schedule: unknown field "every"/);
  });

  it('answers 400 naming the field when a check has neither name nor slug', async () => {
    await expectApiError(
      await h.api('POST', '/checks', { tags: ['x'] }),
      400,
      /^name: give a name or a slug/,
    );
  });

  it('answers 400 naming schedule.period for a period of 0', async () => {
    const res = await h.api('POST', '/checks', { name: 'x', schedule: { kind: 'interval', period: 0 } });
    await expectApiError(res, 400, /^schedule\.period: must be at least 1 s/);
  });

  it('answers 400 naming schedule.period for a period over a year', async () => {
    const res = await h.api('POST', '/checks', {
      name: 'x',
      schedule: { kind: 'interval', period: 31_536_001 },
    });
    await expectApiError(res, 400, /^schedule\.period: must be at most 1 year/);
  });

  it('accepts a period of exactly one second and of exactly one year', async () => {
    for (const period of [1, 31_536_000]) {
      const res = await h.api('POST', '/checks', {
        name: `p${period}`,
        schedule: { kind: 'interval', period },
      });
      expect(res.status).toBe(201);
    }
  });

  it('answers 400 naming schedule.expression for an invalid cron expression', async () => {
    const res = await h.api('POST', '/checks', {
      name: 'x',
      schedule: { kind: 'cron', expression: '61 * * * *' },
    });
    await expectApiError(res, 400, /^schedule\.expression: invalid cron expression/);
  });

  it('answers 400 naming schedule.expression for a cron expression that never fires', async () => {
    const res = await h.api('POST', '/checks', {
      name: 'x',
      schedule: { kind: 'cron', expression: '0 0 30 2 *' },
    });
    await expectApiError(res, 400, /^schedule\.expression: .*never matches/);
  });

  it('answers 400 naming schedule.timezone for an unknown timezone', async () => {
    const res = await h.api('POST', '/checks', {
      name: 'x',
      schedule: { kind: 'cron', expression: '0 2 * * *', timezone: 'Mars/Olympus' },
    });
    await expectApiError(res, 400, /^schedule\.timezone: unknown timezone/);
  });

  it('answers 400 naming schedule.kind for an unknown schedule kind', async () => {
    const res = await h.api('POST', '/checks', { name: 'x', schedule: { kind: 'weekly' } });
    await expectApiError(res, 400, /^schedule\.kind: /);
  });

  it('answers 400 naming the field for a value of the wrong type', async () => {
    const res = await h.api('POST', '/checks', { name: 'x', failure_threshold: 'three' });
    await expectApiError(res, 400, /^failure_threshold: /);
  });

  it('answers 415 for a body that is not sent as JSON', async () => {
    const res = await rawApi(h, 'POST', '/checks', 'name=x', {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    await expectApiError(res, 415, /Content-Type: application\/json/);
  });

  it('answers 413 for a body over 64 KB', async () => {
    const res = await h.api('POST', '/checks', { name: 'x', description: 'a'.repeat(65 * 1024) });
    await expectApiError(res, 413, /64 KB/);
  });

  it('answers 413 for a body whose Content-Length is over 64 KB', async () => {
    const body = JSON.stringify({ name: 'x', description: 'a'.repeat(65 * 1024) });
    const res = await rawApi(h, 'POST', '/checks', body, { 'Content-Type': 'application/json' });
    await expectApiError(res, 413, /64 KB/);
  });

  it('answers 404 in JSON for an unknown route under /api', async () => {
    await expectApiError(await h.api('GET', '/nothing-here'), 404, /no route GET \/api\/v1\/nothing-here/);
  });

  it('answers 404 in JSON for an unknown API version', async () => {
    const res = await h.app.request('/api/v2/checks', { headers: { 'X-Api-Key': h.key } });
    await expectApiError(res, 404);
  });

  it.each([
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['a JSON string', '"name"'],
    ['a name that is a number', '{"name": 5}'],
    ['a period that is a string', '{"name":"x","schedule":{"kind":"interval","period":"60"}}'],
    ['a fractional period', '{"name":"x","schedule":{"kind":"interval","period":1.5}}'],
    ['a huge period', '{"name":"x","schedule":{"kind":"interval","period":1e308}}'],
    ['a schedule that is null', '{"name":"x","schedule":null}'],
    ['unique naming an unknown field', '{"name":"x","unique":["id"]}'],
    ['a tag with a quote', '{"name":"x","tags":["a\\"b"]}'],
    ['an empty name', '{"name":"   "}'],
    ['an empty body', ''],
    ['a "__proto__" field', '{"name":"x","__proto__":{"status":"up"}}'],
  ])('answers 400, never a 500, for %s', async (_what, body) => {
    await expectApiError(await h.api('POST', '/checks', body), 400);
  });

  it.each([
    ['a cursor that is not base64 JSON', '/checks?cursor=%%%'],
    ['a limit that is not a number', '/checks?limit=many'],
    ['a negative before', '/checks/4b4e8d6a-0f59-4e2c-9d4b-8f1b1b7a7a7a/pings?before=-1'],
    ['an id with escapes', '/checks/%E0%A4%A'],
  ])('never answers 500 for %s', async (_what, path) => {
    const res = await h.api('GET', path);
    expect(res.status).toBeLessThan(500);
  });

  it.each([
    ['[{},[1]]', '[{},[1]]'],
    ['a one-element array', '["a"]'],
    ['not base64 JSON', '%%%'],
  ])('answers 400 naming the cursor for a cursor that decodes to %s', async (_what, raw) => {
    const cursor = raw === '%%%' ? raw : Buffer.from(raw).toString('base64url');
    const error = await expectApiError(
      await h.api('GET', `/checks?cursor=${encodeURIComponent(cursor)}`),
      400,
    );
    expect(error.message).toMatch(/^cursor: /);
  });
});

describe('GET /openapi.json', () => {
  it('serves the OpenAPI document without a key', async () => {
    const res = await h.app.request('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = await json<{ openapi: string; paths: Record<string, unknown> }>(res);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/checks', '/checks/{id}']));
  });

  it('gives every pattern as a regular expression a client can use (no JavaScript flags pasted in)', async () => {
    const text = await (await h.app.request('/api/v1/openapi.json')).text();
    const patterns = [...text.matchAll(/"pattern":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`));
    expect(patterns.length).toBeGreaterThan(0);
    for (const p of patterns) {
      expect(p, p).toMatch(/\$$|^[^^]/);
      expect(() => new RegExp(p)).not.toThrow();
    }
    // the maintenance window's check ids: a UUID in either case matches as written
    const uuid = patterns.find((p) => p.includes('{12}'));
    expect(new RegExp(uuid!).test('0F8FAD5B-D9CB-469F-A165-70867728950E')).toBe(true);
  });

  it.each([
    ['POST', '/api/v1/openapi.json'],
    ['GET', '/api/v1/checks/openapi.json'],
    ['GET', '/api/v1/channels/openapi.json'],
  ])('answers 401, not 500, to %s %s without a key', async (method, path) => {
    await expectApiError(await h.app.request(path, { method }), 401);
  });
});

describe('API keys', () => {
  it('answers 401 without a key, saying how to send one', async () => {
    await expectApiError(await h.api('GET', '/checks', undefined, null), 401, /X-Api-Key/);
  });

  it('answers 401 for an unknown key', async () => {
    const res = await h.api('GET', '/checks', undefined, 'vk_nottherightkeyatall000000000');
    await expectApiError(res, 401, /not valid/);
  });

  it('answers 401 for a key of garbage', async () => {
    await expectApiError(await h.api('GET', '/checks', undefined, 'x'.repeat(500)), 401);
  });

  it('accepts the key as "Authorization: Bearer <key>"', async () => {
    const res = await h.app.request('/api/v1/checks', { headers: { Authorization: `Bearer ${h.key}` } });
    expect(res.status).toBe(200);
  });

  it('answers 401 for a Bearer header with a wrong key', async () => {
    const res = await h.app.request('/api/v1/checks', { headers: { Authorization: 'Bearer nope' } });
    await expectApiError(res, 401);
  });

  it('lets a read-only key read', async () => {
    const check = await createCheck(h, { name: 'Backup' });
    expect((await h.api('GET', '/checks', undefined, h.readOnlyKey)).status).toBe(200);
    expect((await h.api('GET', `/checks/${check.id}`, undefined, h.readOnlyKey)).status).toBe(200);
    expect((await h.api('GET', `/checks/${check.id}/pings`, undefined, h.readOnlyKey)).status).toBe(200);
  });

  it('answers 403 to a read-only key that tries to change anything', async () => {
    const check = await createCheck(h, { name: 'Backup' });
    const attempts: [string, string, unknown][] = [
      ['POST', '/checks', { name: 'x' }],
      ['PUT', '/checks/by-slug/x', { name: 'x' }],
      ['PATCH', `/checks/${check.id}`, { name: 'y' }],
      ['DELETE', `/checks/${check.id}`, undefined],
      ['POST', `/checks/${check.id}/pause`, undefined],
      ['POST', `/checks/${check.id}/resume`, undefined],
    ];
    for (const [method, path, body] of attempts) {
      await expectApiError(await h.api(method, path, body, h.readOnlyKey), 403, /read-only/);
    }
    expect(await getCheck(h, check.id)).toMatchObject({ name: 'Backup', status: 'new' });
  });
});

describe('methods a path does not take', () => {
  it.each([
    ['PUT', '/checks', 'GET, POST'],
    ['DELETE', '/channels', 'GET, POST'],
    ['GET', '/checks/00000000-0000-4000-8000-000000000000/pause', 'POST'],
  ])('answers %s %s with 405 and Allow', async (method, path, allow) => {
    const res = await h.api(method, path);
    await expectApiError(res, 405, /not allowed here/);
    expect(res.headers.get('allow')).toBe(allow);
  });
});
