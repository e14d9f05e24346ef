// The check fields issue 6 adds to /api/v1/checks: http checks and their probe (validation,
// write-only secret headers), success criteria, the source a discovered check came from and
// what of it the source owns, archived checks, and the OpenAPI document that describes them.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProbeInputSchema } from '../../src/http/api/probe-schema.ts';
import { defaultCheckConfig, newCheck } from '../../src/ingest/new-check.ts';
import type { Check, Source } from '../../src/store/store.ts';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { makeSource } from '../store/fixtures.ts';
import { type CheckView, createCheck, expectApiError, getCheck, json, listPings } from './api-helpers.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

const MINUTE = { kind: 'interval', period: 60, grace: 30 } as const;
const URL_OK = 'https://example.com/health';

function httpCheck(probe: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return h.api('POST', '/checks', {
    name: 'site',
    kind: 'http',
    schedule: MINUTE,
    probe: { url: URL_OK, ...probe },
    ...extra,
  });
}

describe('http checks', () => {
  it('are created with the probe’s defaults filled in', async () => {
    const check = await json<CheckView>(await httpCheck());
    expect(check).toMatchObject({
      kind: 'http',
      schedule: MINUTE,
      methods: 'any',
      probe: {
        method: 'GET',
        url: URL_OK,
        expected_status: ['200-299'],
        keyword: null,
        keyword_mode: 'contains',
        timeout: 10,
        headers: {},
        body: null,
      },
    });
  });

  it('are probed every minute when no schedule is given', async () => {
    const res = await h.api('POST', '/checks', { name: 'site', probe: { url: URL_OK } });
    expect(res.status).toBe(201);
    const check = await json<CheckView>(res);
    expect(check.kind).toBe('http');
    expect(check.schedule).toEqual({ kind: 'interval', period: 60, grace: 300 });
  });

  it('keep every probe setting they were given', async () => {
    const probe = {
      method: 'POST',
      url: 'http://10.0.0.5:8080/status?verbose=1',
      expected_status: ['200', '301-302'],
      keyword: 'ready',
      keyword_mode: 'not_contains',
      timeout: 30,
      headers: { Accept: 'application/json' },
      body: '{"check":true}',
    };
    const check = await json<CheckView>(
      await httpCheck(probe, { schedule: { kind: 'interval', period: 300 } }),
    );
    expect(check.probe).toEqual(probe);
    expect(await getCheck(h, check.id)).toMatchObject({ probe });
  });

  it('become push checks with kind "push", and push checks show no probe', async () => {
    const check = await json<CheckView>(await httpCheck());
    const res = await h.api('PATCH', `/checks/${check.id}`, { kind: 'push' });
    expect(await json<CheckView>(res)).toMatchObject({ kind: 'push', probe: null });
  });
});

describe('probe validation', () => {
  // each answers 400 and names the field to fix
  it.each<[string, Record<string, unknown>, Record<string, unknown>?]>([
    ['probe.url', { url: 'ftp://example.com/' }],
    ['probe.url', { url: 'not a url' }],
    ['probe.url', { url: `https://example.com/${'a'.repeat(2048)}` }],
    ['probe.url', { url: 'https://user:pw@example.com/' }],
    ['probe.method', { method: 'TRACE' }],
    ['probe.expected_status.0', { expected_status: ['600'] }],
    ['probe.expected_status.0', { expected_status: ['299-200'] }],
    ['probe.expected_status.1', { expected_status: ['200', 'ok'] }],
    ['probe.expected_status', { expected_status: [] }],
    ['probe.keyword', { keyword: '' }],
    ['probe.keyword', { keyword: 'k'.repeat(1001) }],
    ['probe.keyword_mode', { keyword_mode: 'regex' }],
    ['probe.timeout', { timeout: 0 }],
    ['probe.timeout', { timeout: 61 }],
    ['probe.timeout', { timeout: 1.5 }],
    ['probe.timeout', { timeout: 60 }, { schedule: MINUTE }],
    [
      'probe.headers',
      { headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v'])) },
    ],
    ['probe.headers', { headers: { 'X-A': 'a'.repeat(3000), 'X-B': 'b'.repeat(1200) } }],
    ['probe.headers', { headers: { 'X-Same': '1', 'x-same': '2' } }],
    ['probe.headers.Bad Header', { headers: { 'Bad Header': 'v' } }],
    ['probe.headers.Host', { headers: { Host: 'example.org' } }],
    ['probe.headers.X-Line', { headers: { 'X-Line': 'one\r\ntwo' } }],
    ['probe.body', { body: 'x' }],
    ['probe.body', { method: 'HEAD', body: 'x' }],
    ['probe.keyword', { method: 'HEAD', keyword: 'ok' }],
    ['probe', { follow_redirects: true }],
    ['probe.url', { url: undefined }],
    ['schedule', {}, { schedule: { kind: 'cron', expression: '* * * * *' } }],
    ['schedule', {}, { schedule: { kind: 'none' } }],
    ['schedule.period', {}, { schedule: { kind: 'interval', period: 5 } }],
    ['methods', {}, { methods: 'post' }],
    ['kind', {}, { kind: 'ftp' }],
    ['success_criteria', {}, { success_criteria: 's'.repeat(2001) }],
  ])('answers 400 naming %s', async (field, probe, extra = {}) => {
    const res = await httpCheck(probe, extra);
    const error = await expectApiError(res, 400);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
  });

  it('wants a probe for kind "http"', async () => {
    const res = await h.api('POST', '/checks', { name: 'site', kind: 'http', schedule: MINUTE });
    await expectApiError(res, 400, /^probe: an http check needs a probe/);
  });

  it('refuses a probe on a push check', async () => {
    const res = await h.api('POST', '/checks', { name: 'site', kind: 'push', probe: { url: URL_OK } });
    await expectApiError(res, 400, /^probe: only http checks have a probe/);
  });

  it('refuses an interval the probe cannot fit in when the schedule is edited', async () => {
    const check = await json<CheckView>(await httpCheck({ timeout: 20 }));
    const res = await h.api('PATCH', `/checks/${check.id}`, { schedule: { kind: 'interval', period: 15 } });
    await expectApiError(res, 400, /^probe\.timeout: must be shorter than the period \(15 s\)/);
    expect((await getCheck(h, check.id)).schedule).toEqual(MINUTE);
  });

  it('refuses turning a cron check into an http check without an interval', async () => {
    const created = await createCheck(h, {
      name: 'nightly',
      schedule: { kind: 'cron', expression: '0 2 * * *' },
    });
    const res = await h.api('PATCH', `/checks/${created.id}`, { probe: { url: URL_OK } });
    await expectApiError(res, 400, /^schedule: an http check needs an interval schedule/);
  });

  it('limits a probe’s body to 64 KiB', () => {
    const big = ProbeInputSchema.safeParse({ method: 'POST', url: URL_OK, body: 'x'.repeat(64 * 1024 + 1) });
    expect(big.success).toBe(false);
    expect(big.error?.issues[0]?.path).toEqual(['body']);
    expect(
      ProbeInputSchema.safeParse({ method: 'POST', url: URL_OK, body: 'x'.repeat(64 * 1024) }).success,
    ).toBe(true);
  });
});

describe('secret probe headers', () => {
  const headers = {
    Authorization: 'Bearer abcdefghijklmnop',
    'X-Api-Key': 'short',
    Accept: 'application/json',
  };
  const masked = { Authorization: '••••mnop', 'X-Api-Key': '••••', Accept: 'application/json' };

  it('are masked in every answer, as channel secrets are', async () => {
    const created = await json<CheckView>(await httpCheck({ headers }));
    expect(created.probe?.headers).toEqual(masked);
    expect((await getCheck(h, created.id)).probe?.headers).toEqual(masked);
    const list = await json<{ checks: CheckView[] }>(await h.api('GET', '/checks'));
    expect(list.checks[0]?.probe?.headers).toEqual(masked);
    expect(JSON.stringify(list)).not.toContain('abcdefghijklmnop');
    // stored as given
    expect((await h.store.getCheck(created.id))?.probe?.headers).toEqual(headers);
  });

  it('keep their stored value when the masked value comes back', async () => {
    const created = await json<CheckView>(await httpCheck({ headers }));
    const probe = { ...created.probe, headers: { ...created.probe!.headers, Accept: 'text/plain' } };
    const res = await h.api('PATCH', `/checks/${created.id}`, { probe });
    expect(res.status).toBe(200);
    expect((await h.store.getCheck(created.id))?.probe?.headers).toEqual({
      ...headers,
      Accept: 'text/plain',
    });
  });

  it('take a new value when one is sent', async () => {
    const created = await json<CheckView>(await httpCheck({ headers }));
    const probe = { url: URL_OK, headers: { authorization: 'Bearer a-new-token-value' } };
    expect((await h.api('PATCH', `/checks/${created.id}`, { probe })).status).toBe(200);
    expect((await h.store.getCheck(created.id))?.probe?.headers).toEqual({
      authorization: 'Bearer a-new-token-value',
    });
  });

  it('refuse a masked value that masks nothing stored', async () => {
    const created = await json<CheckView>(await httpCheck({ headers }));
    const probe = { url: URL_OK, headers: { 'X-Token': '••••mnop' } };
    const res = await h.api('PATCH', `/checks/${created.id}`, { probe });
    await expectApiError(res, 400, /^probe\.headers\.X-Token: looks masked; send the real value/);
  });
});

describe('success_criteria', () => {
  it('is written and read on any check', async () => {
    const created = await createCheck(h, { name: 'backup', success_criteria: 'a dump over 1 GB' });
    expect(created.success_criteria).toBe('a dump over 1 GB');
    const res = await h.api('PATCH', `/checks/${created.id}`, { success_criteria: 'a dump over 2 GB' });
    expect((await json<CheckView>(res)).success_criteria).toBe('a dump over 2 GB');
  });

  it('is empty when never set', async () => {
    expect((await createCheck(h, { name: 'backup' })).success_criteria).toBe('');
  });
});

describe('discovered checks', () => {
  async function discovered(overrides: Partial<Check> = {}): Promise<{ source: Source; check: Check }> {
    const source = makeSource(h.project.id, { name: 'db1', tags: [] });
    await h.store.insertSource(source);
    const check: Check = {
      ...newCheck(
        randomUUID(),
        h.project.id,
        {
          ...defaultCheckConfig('db1/vacuum'),
          schedule: { kind: 'cron', expression: '0 3 * * *', timezone: 'UTC', grace: 120 },
        },
        T0,
      ),
      origin: { sourceId: source.id, sourceKey: '42', details: {} },
      ...overrides,
    };
    await h.store.insertCheck(check);
    return { source, check };
  }

  it('show the source they came from', async () => {
    const { source, check } = await discovered();
    expect(await getCheck(h, check.id)).toMatchObject({
      source: { id: source.id, key: '42' },
      archived_at: null,
    });
  });

  it.each([
    ['name', { name: 'vacuum everything' }],
    ['slug', { slug: 'vacuum' }],
    ['schedule', { schedule: { kind: 'cron', expression: '0 4 * * *' } }],
    ['schedule', { schedule: { kind: 'cron', expression: '0 3 * * *', grace: 600 } }],
    ['kind', { kind: 'http', probe: { url: URL_OK } }],
  ])('refuse a change to %s, which the source owns', async (field, body) => {
    const { check } = await discovered();
    const res = await h.api('PATCH', `/checks/${check.id}`, body);
    await expectApiError(
      res,
      400,
      new RegExp(`^${field}: set by the source "db1" that discovered this check`),
    );
    expect(await h.store.getCheck(check.id)).toEqual(check);
  });

  it('refuse it through PUT by slug too', async () => {
    const { check } = await discovered();
    const res = await h.api('PUT', `/checks/by-slug/${encodeURIComponent(check.slug)}`, {
      schedule: { kind: 'interval', period: 60 },
    });
    await expectApiError(res, 400, /^schedule: set by the source "db1"/);
  });

  it('take the team’s own fields, and the source’s fields sent back unchanged', async () => {
    const { check } = await discovered();
    const channel = await json<{ id: string }>(
      await h.api('POST', '/channels', {
        kind: 'webhook',
        name: 'ops',
        config: { url: 'https://hooks.example.com/x' },
      }),
    );
    const team = {
      severity: 'critical',
      description: 'nightly VACUUM of the orders table',
      success_criteria: 'finishes before 04:00',
      tags: ['db'],
      channels: [channel.id],
      max_runtime: 1800,
      failure_threshold: 2,
      realert_every: 3600,
      manual_resume: true,
    };
    const res = await h.api('PATCH', `/checks/${check.id}`, {
      ...team,
      name: check.name,
      slug: check.slug,
      schedule: { kind: 'cron', expression: '0 3 * * *' },
    });
    expect(res.status).toBe(200);
    expect(await json<CheckView>(res)).toMatchObject({ ...team, name: check.name, slug: check.slug });
  });

  it('stay editable once archived, and keep taking pings', async () => {
    const { check } = await discovered({ archivedAt: T0 });
    const res = await h.api('PATCH', `/checks/${check.id}`, { description: 'the job was removed' });
    expect(await json<CheckView>(res)).toMatchObject({
      description: 'the job was removed',
      archived_at: new Date(T0).toISOString(),
    });
    expect((await h.app.request(`/ping/${check.id}`, { method: 'POST' })).status).toBe(200);
    expect(await listPings(h, check.id)).toHaveLength(1);
  });
});

describe('listing checks', () => {
  it('leaves archived checks out unless ?archived=true, which lists only them', async () => {
    const live = await createCheck(h, { name: 'a live one' });
    const gone = await createCheck(h, { name: 'b gone' });
    await h.store.updateCheck({ ...(await h.store.getCheck(gone.id))!, archivedAt: T0, rev: 1 }, 0);
    const ids = async (q: string) =>
      (await json<{ checks: CheckView[] }>(await h.api('GET', `/checks${q}`))).checks.map((c) => c.id);
    expect(await ids('')).toEqual([live.id]);
    expect(await ids('?archived=true')).toEqual([gone.id]);
    expect(await ids('?archived=false')).toEqual([live.id]);
  });

  it('lists a source’s checks with ?source=', async () => {
    const mine = await createCheck(h, { name: 'mine' });
    const sourceId = randomUUID();
    const found = await createCheck(h, { name: 'found' });
    const row = (await h.store.getCheck(found.id))!;
    await h.store.updateCheck(
      { ...row, origin: { sourceId, sourceKey: '7', details: {} }, rev: row.rev + 1 },
      row.rev,
    );
    const res = await h.api('GET', `/checks?source=${sourceId}`);
    const { checks } = await json<{ checks: CheckView[] }>(res);
    expect(checks.map((c) => c.id)).toEqual([found.id]);
    expect(checks[0]?.source).toEqual({ id: sourceId, key: '7', details: {} });
    expect(checks.map((c) => c.id)).not.toContain(mine.id);
  });

  it('answers 400 naming a bad archived filter', async () => {
    await expectApiError(await h.api('GET', '/checks?archived=yes'), 400, /^query\.archived: /);
  });
});

describe('the OpenAPI document', () => {
  interface Doc {
    components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    paths: Record<string, { get?: { parameters?: { name: string }[] } }>;
  }

  it('describes the new check fields, the probe and the list filters', async () => {
    const doc = await json<Doc>(await h.app.request('/api/v1/openapi.json'));
    const props = (name: string) => Object.keys(doc.components.schemas[name]?.properties ?? {});
    expect(props('Check')).toEqual(
      expect.arrayContaining(['kind', 'probe', 'success_criteria', 'source', 'archived_at']),
    );
    expect(props('CheckUpdate')).toEqual(expect.arrayContaining(['kind', 'probe', 'success_criteria']));
    expect(props('ProbeInput')).toEqual(
      expect.arrayContaining([
        'method',
        'url',
        'expected_status',
        'keyword',
        'keyword_mode',
        'timeout',
        'headers',
        'body',
      ]),
    );
    expect(props('Probe')).toEqual(expect.arrayContaining(['url', 'headers']));
    const params = doc.paths['/checks']?.get?.parameters?.map((p) => p.name);
    expect(params).toEqual(expect.arrayContaining(['archived', 'source']));
  });
});
