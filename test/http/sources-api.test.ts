// The sources resource at /api/v1/sources: adding a source with its health check, secrets that
// never come back, settings changes, removal that archives, sync on demand, and the summary.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { drive, fail, jobCheck, start, success, withRunner } from '../sources/fixtures.ts';
import { type FakeSupabase, fn, startFakeSupabase } from '../sources/supabase-api.ts';
import { expectApiError, json } from './api-helpers.ts';

const TOKEN = 'sbp_0123456789abcdef0123456789abcdef01234567';
const REF = 'abcdefghijklmnopqrst';

interface SourceView {
  id: string;
  name: string;
  kind: string;
  config: Record<string, unknown>;
  severity: string;
  tags: string[];
  sync_interval: number;
  grace: number;
  next_sync_at: string;
  last_sync_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  health_check_id: string;
  check_count: number;
}

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

const supabase = (fields: Record<string, unknown> = {}) => ({
  name: 'edge',
  kind: 'supabase',
  config: { project_ref: REF, access_token: TOKEN },
  ...fields,
});

async function add(fields: Record<string, unknown> = {}, key?: string): Promise<SourceView> {
  const res = await h.api('POST', '/sources', supabase(fields), key);
  expect(res.status).toBe(201);
  return json<SourceView>(res);
}

describe('POST /sources', () => {
  it('adds a source (201) due for a sync now, with the defaults and the token masked', async () => {
    const res = await h.api('POST', '/sources', supabase());
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(text).not.toContain(TOKEN);
    expect(JSON.parse(text)).toMatchObject({
      name: 'edge',
      kind: 'supabase',
      config: { project_ref: REF, access_token: '••••4567', api_url: 'https://api.supabase.com' },
      severity: 'important',
      tags: [],
      sync_interval: 60,
      grace: 120,
      next_sync_at: new Date(T0).toISOString(),
      last_sync_at: null,
      last_success_at: null,
      last_error: null,
      check_count: 0,
    });
  });

  it('adds the source’s health check, which the checks API shows', async () => {
    const source = await add({ severity: 'critical', tags: ['edge'], sync_interval: 300, grace: 600 });
    const res = await h.api('GET', `/checks/${source.health_check_id}`);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({
      slug: 'edge',
      name: 'edge (source)',
      schedule: { kind: 'interval', period: 300, grace: 600 },
      severity: 'critical',
      tags: ['edge'],
    });
  });

  it('refuses an unknown kind, listing the kinds', async () => {
    const res = await h.api('POST', '/sources', supabase({ kind: 'mysql' }));
    await expectApiError(res, 400, /^kind: unknown source kind "mysql"; use one of: pg_cron, supabase$/);
  });

  it('refuses a config its kind cannot use, naming the field', async () => {
    const res = await h.api(
      'POST',
      '/sources',
      supabase({ config: { project_ref: 'nope', access_token: TOKEN } }),
    );
    const err = await expectApiError(res, 400, /^config\.project_ref: a project ref is 20 lowercase letters/);
    expect(err.code).toBe('invalid_request');
    const extra = await h.api(
      'POST',
      '/sources',
      supabase({ config: { project_ref: REF, access_token: TOKEN, x: 1 } }),
    );
    await expectApiError(extra, 400, /unknown field "x"/);
  });

  it('refuses less grace than one sync interval, and names that are not slug-safe', async () => {
    await expectApiError(
      await h.api('POST', '/sources', supabase({ sync_interval: 300, grace: 60 })),
      400,
      /^grace: must be at least the sync interval \(300 s\)/,
    );
    await expectApiError(await h.api('POST', '/sources', supabase({ name: 'Edge Fns' })), 400, /^name: /);
    await expectApiError(
      await h.api('POST', '/sources', supabase({ sync_interval: 86_401 })),
      400,
      /sync_interval/,
    );
  });

  it('refuses a second source with the same name (409), and a name a check slug has', async () => {
    await add();
    await expectApiError(
      await h.api('POST', '/sources', supabase()),
      409,
      /a source named "edge" exists already/,
    );
    await h.api('PUT', '/checks/by-slug/backups', { schedule: { kind: 'interval', period: 60 } });
    await expectApiError(
      await h.api('POST', '/sources', supabase({ name: 'backups' })),
      409,
      /the slug "backups" is already used by a check/,
    );
  });

  it('is not open to read-only keys nor to requests without a key', async () => {
    await expectApiError(await h.api('POST', '/sources', supabase(), h.readOnlyKey), 403, /read-only/);
    await expectApiError(await h.api('POST', '/sources', supabase(), null), 401);
  });
});

describe('GET /sources', () => {
  it('lists the project’s sources by name with their health and job counts; read-only keys may read', async () => {
    const edge = await add();
    await add({ name: 'another' });
    await add({ name: 'theirs' }, h.other.key);
    await jobCheck(h, edge, 'fn-1', 'send-email');
    const res = await h.api('GET', '/sources', undefined, h.readOnlyKey);
    expect(res.status).toBe(200);
    const { sources } = await json<{ sources: SourceView[] }>(res);
    expect(sources.map((s) => [s.name, s.check_count])).toEqual([
      ['another', 0],
      ['edge', 1],
    ]);
    expect(JSON.stringify(sources)).not.toContain(TOKEN);
  });

  it('shows the last error without the secrets it might quote', async () => {
    const source = await add();
    const stored = (await h.store.getSource(source.id))!;
    await h.store.updateSource({
      ...stored,
      lastSyncAt: T0,
      lastError: `request with token ${TOKEN} failed`,
      lastErrorAt: T0,
    });
    const view = await json<SourceView>(await h.api('GET', `/sources/${source.id}`));
    expect(view.last_error).toBe('request with token •••• failed');
    expect(view.last_error_at).toBe(new Date(T0).toISOString());
  });

  it('answers 404 for another project’s source, and for ids that are none', async () => {
    const theirs = await add({}, h.other.key);
    for (const path of [`/sources/${theirs.id}`, `/sources/${theirs.id}/summary`, '/sources/not-an-id']) {
      await expectApiError(await h.api('GET', path), 404, /^source not found$/);
    }
    await expectApiError(await h.api('PATCH', `/sources/${theirs.id}`, { tags: [] }), 404);
    await expectApiError(await h.api('DELETE', `/sources/${theirs.id}`), 404);
    await expectApiError(await h.api('POST', `/sources/${theirs.id}/sync`), 404);
  });
});

describe('PATCH /sources/:id', () => {
  it('keeps the stored token when the masked one comes back, and merges the config', async () => {
    const source = await add();
    const res = await h.api('PATCH', `/sources/${source.id}`, {
      config: { ...source.config, api_url: 'https://supabase.internal.example.com/' },
    });
    expect(res.status).toBe(200);
    expect((await json<SourceView>(res)).config).toEqual({
      project_ref: REF,
      access_token: '••••4567',
      api_url: 'https://supabase.internal.example.com',
    });
    expect((await h.store.getSource(source.id))!.config).toMatchObject({ access_token: TOKEN });

    // a config without the token keeps it too: the patch is merged
    await h.api('PATCH', `/sources/${source.id}`, { config: { project_ref: 'zyxwvutsrqponmlkjihg' } });
    expect((await h.store.getSource(source.id))!.config).toMatchObject({
      project_ref: 'zyxwvutsrqponmlkjihg',
      access_token: TOKEN,
    });
  });

  it('replaces the token when a new one is sent, and refuses a mask it cannot restore', async () => {
    const source = await add();
    await h.api('PATCH', `/sources/${source.id}`, {
      config: { access_token: 'sbp_new_token_abcdefghijklmnop' },
    });
    expect((await h.store.getSource(source.id))!.config.access_token).toBe('sbp_new_token_abcdefghijklmnop');
    await expectApiError(
      await h.api('PATCH', `/sources/${source.id}`, { config: { access_token: '••••zzzz' } }),
      400,
      /^config\.access_token: looks masked/,
    );
  });

  it('moves the health check’s schedule with the sync interval', async () => {
    const source = await add();
    const res = await h.api('PATCH', `/sources/${source.id}`, { sync_interval: 600, grace: 900 });
    expect(await json(res)).toMatchObject({ sync_interval: 600, grace: 900 });
    const health = await json<{ schedule: unknown }>(await h.api('GET', `/checks/${source.health_check_id}`));
    expect(health.schedule).toEqual({ kind: 'interval', period: 600, grace: 900 });
  });

  it('refuses a new name, and timings that do not fit', async () => {
    const source = await add();
    await expectApiError(
      await h.api('PATCH', `/sources/${source.id}`, { name: 'renamed' }),
      400,
      /^name: a source’s name cannot change/,
    );
    await expectApiError(
      await h.api('PATCH', `/sources/${source.id}`, { sync_interval: 600 }),
      400,
      /^grace: /,
    );
    await expectApiError(await h.api('PATCH', `/sources/${source.id}`, { tags: [] }, h.readOnlyKey), 403);
  });
});

describe('DELETE /sources/:id', () => {
  it('removes the source and archives its checks, which leave the list but keep their history', async () => {
    const source = await add();
    const job = await jobCheck(h, source, 'fn-1', 'send-email');
    const res = await h.api('DELETE', `/sources/${source.id}`);
    expect(res.status).toBe(204);
    await expectApiError(await h.api('GET', `/sources/${source.id}`), 404);
    const { checks } = await json<{ checks: { id: string }[] }>(await h.api('GET', '/checks'));
    expect(checks).toEqual([]);
    for (const id of [job.id, source.health_check_id]) {
      expect(await h.store.getCheck(id)).toMatchObject({ status: 'paused', archivedAt: T0 });
    }
  });
});

describe('POST /sources/:id/sync', () => {
  it('says so (503) when this server cannot sync on demand', async () => {
    const source = await add();
    const err = await expectApiError(
      await h.api('POST', `/sources/${source.id}/sync`),
      503,
      /^this server does not sync sources on demand; "edge" is read every 60 s$/,
    );
    expect(err.code).toBe('unavailable');
    await expectApiError(await h.api('POST', `/sources/${source.id}/sync`, undefined, h.readOnlyKey), 403);
  });
});

describe('POST /sources/:id/sync with a runner', () => {
  let fake: FakeSupabase;
  beforeEach(async () => {
    fake = await startFakeSupabase([fn('send-email', { name: 'Send email' }), fn('nightly-report')]);
  });
  afterEach(() => fake.close());

  const post = (app: ReturnType<typeof withRunner>['app'], path: string) =>
    Promise.resolve(app.request(`/api/v1${path}`, { method: 'POST', headers: { 'X-Api-Key': h.key } }));

  it('reads the source now and reports what changed; its jobs become event checks', async () => {
    const { app } = withRunner(h);
    const source = await add({ config: { project_ref: REF, access_token: TOKEN, api_url: fake.url } });
    const res = await post(app, `/sources/${source.id}/sync`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      ok: true,
      error: null,
      jobs: 2,
      runs: 0,
      created: 2,
      updated: 0,
      archived: 0,
      at: new Date(T0).toISOString(),
    });
    const view = await json<SourceView>(await h.api('GET', `/sources/${source.id}`));
    expect(view).toMatchObject({
      check_count: 2,
      last_success_at: new Date(T0).toISOString(),
      last_error: null,
    });
    const summary = await json<{ total: number; jobs: { slug: string; schedule: string }[] }>(
      await h.api('GET', `/sources/${source.id}/summary`),
    );
    expect(summary.total).toBe(2);
    expect(summary.jobs.map((j) => [j.slug, j.schedule])).toEqual([
      ['edge/nightly-report', 'no schedule (events only)'],
      ['edge/send-email', 'no schedule (events only)'],
    ]);
  });

  it('reports a source it cannot read, in the provider’s words, and shows it as the last error', async () => {
    const { app } = withRunner(h);
    const source = await add({
      config: { project_ref: REF, access_token: 'sbp_revoked_token_0000000000', api_url: fake.url },
    });
    const report = await json<{ ok: boolean; error: string }>(await post(app, `/sources/${source.id}/sync`));
    expect(report).toMatchObject({
      ok: false,
      error: 'Supabase: access token rejected (HTTP 401): Unauthorized; check access_token',
    });
    const summary = await json<{ last_error: string }>(await h.api('GET', `/sources/${source.id}/summary`));
    expect(summary.last_error).toBe(report.error);
  });
});

describe('GET /sources/:id/summary', () => {
  it('counts the jobs by outcome and lists each, with why a failed one failed', async () => {
    const source = await add();
    const every5 = { kind: 'interval' as const, period: 300, grace: 120 };
    await drive(h, await jobCheck(h, source, '1', 'healthy', every5), success);
    await drive(h, await jobCheck(h, source, '2', 'broken', every5), fail);
    const missed = await drive(h, await jobCheck(h, source, '3', 'stopped', every5), success);
    await drive(h, await jobCheck(h, source, '4', 'long', every5), success, start('r1'));
    await drive(h, await jobCheck(h, source, '5', 'off', every5), { type: 'pause' });
    const dark = await jobCheck(h, source, '6', 'dark', every5);
    await drive(h, dark, success, { type: 'blind' });
    const gone = await jobCheck(h, source, '7', 'gone', every5);
    await h.store.updateCheck({ ...gone, archivedAt: T0, rev: gone.rev + 1 }, gone.rev);
    h.clock.advance(300_000);
    await drive(h, missed, { type: 'deadline' });
    h.clock.advance(120_000);
    await drive(h, missed, { type: 'deadline' });

    const res = await h.api('GET', `/sources/${source.id}/summary`, undefined, h.readOnlyKey);
    expect(res.status).toBe(200);
    const summary = await json<Record<string, unknown> & { jobs: Record<string, unknown>[] }>(res);
    expect(summary).toMatchObject({
      source_id: source.id,
      name: 'edge',
      kind: 'supabase',
      total: 6,
      healthy: 2,
      failed: 1,
      missed: 1,
      running: 1,
      unknown: 1,
      paused: 1,
      archived: 1,
      checked_at: null,
      last_error: null,
    });
    const bySlug = Object.fromEntries(summary.jobs.map((j) => [j.slug, j]));
    expect(Object.keys(bySlug).sort()).toEqual([
      'edge/broken',
      'edge/dark',
      'edge/healthy',
      'edge/long',
      'edge/off',
      'edge/stopped',
    ]);
    expect(bySlug['edge/broken']).toMatchObject({
      outcome: 'failed',
      status: 'down',
      schedule: 'every 5 minutes',
      last_message: 'ERROR:  relation "tmp" does not exist',
      last_run_at: new Date(T0).toISOString(),
    });
    expect(bySlug['edge/stopped']).toMatchObject({ outcome: 'missed', last_message: expect.any(String) });
    expect(bySlug['edge/long']).toMatchObject({ outcome: 'healthy', running: true });
    expect(bySlug['edge/healthy']).not.toHaveProperty('last_message');
  });
});

describe('unknown methods', () => {
  it('answers 405 with the methods a sources path takes', async () => {
    const res = await h.api('PUT', '/sources');
    await expectApiError(res, 405, /use GET, POST/);
    expect(res.headers.get('allow')).toBe('GET, POST');
  });
});
