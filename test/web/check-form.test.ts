// Creating and editing checks with the dashboard form: the schedule preview, validation by the
// API's rules with errors under their fields, and edits that change only what was changed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Channel } from '../../src/store/store.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { type Browser, signIn } from '../helpers/web.ts';
import { createCheck } from '../scheduler/fixtures.ts';

/** The error the form shows under a field, or undefined. */
function errorUnder(page: string, field: string): string | undefined {
  return new RegExp(`<small id="${field}-error" class="error">([^<]*)</small>`).exec(page)?.[1];
}

let h: Harness;
let browser: Browser;
beforeEach(async () => {
  h = await createHarness();
  browser = await signIn(h);
});
afterEach(() => h.close());

const decode = (s: string) =>
  s
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

function attrs(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1]!, decode(m[2]!)]));
}

/** What a browser would submit for the first form on the page with `action`, as rendered. */
function formFields(page: string, action: string): Record<string, string | string[]> {
  const start = page.indexOf(`action="${action}"`);
  const form = page.slice(start, page.indexOf('</form>', start));
  const fields: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const had = fields[name];
    fields[name] = had === undefined ? value : [had, value].flat();
  };
  for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
    const a = attrs(tag);
    if (!a.name || a.name === '_csrf') continue;
    if ((a.type === 'radio' || a.type === 'checkbox') && !/\schecked=""/.test(tag)) continue;
    add(a.name, a.value ?? '');
  }
  for (const m of form.matchAll(/<select\b([^>]*)>(.*?)<\/select>/gs)) {
    const options = [...m[2]!.matchAll(/<option\b([^>]*)>/g)].map((o) => o[1]!);
    const chosen = options.find((o) => /\sselected=""/.test(o)) ?? options[0]!;
    add(attrs(m[1]!).name!, attrs(chosen).value ?? '');
  }
  for (const m of form.matchAll(/<textarea\b([^>]*)>(.*?)<\/textarea>/gs))
    add(attrs(m[1]!).name!, decode(m[2]!));
  return fields;
}

async function html(res: Response | Promise<Response>, status = 200): Promise<string> {
  const r = await res;
  expect(r.status).toBe(status);
  return r.text();
}

async function addChannel(name: string): Promise<Channel> {
  const channel: Channel = {
    id: crypto.randomUUID(),
    projectId: h.project.id,
    kind: 'webhook',
    name,
    config: { url: 'http://127.0.0.1:9/hook' },
    events: ['down', 'up'],
    minSeverity: 'low',
    maxSeverity: 'critical',
    tags: [],
    brokenReason: null,
    brokenAt: null,
    createdAt: h.clock.now(),
    updatedAt: h.clock.now(),
  };
  await h.store.insertChannel(channel);
  return channel;
}

const BERLIN_CRON = { kind: 'cron', expression: '30 2 * * *', timezone: 'Europe/Berlin' };

// Friday 27 March 2026, 13:00 in Berlin. Clocks there jump from 02:00 CET to 03:00 CEST early on
// Sunday the 29th, so 02:30 does not exist that night: croner fires at the first valid time
// after the gap, 03:00 CEST (01:00 UTC). From Monday on, 02:30 CEST is 00:30 UTC.
const BEFORE_DST = Date.UTC(2026, 2, 27, 12, 0, 0);
const BERLIN_RUNS = [
  ['Sat 2026-03-28 02:30 CET', '2026-03-28 01:30:00 UTC'],
  ['Sun 2026-03-29 03:00 CEST', '2026-03-29 01:00:00 UTC'],
  ['Mon 2026-03-30 02:30 CEST', '2026-03-30 00:30:00 UTC'],
  ['Tue 2026-03-31 02:30 CEST', '2026-03-31 00:30:00 UTC'],
  ['Wed 2026-04-01 02:30 CEST', '2026-04-01 00:30:00 UTC'],
];

function expectBerlinRuns(page: string) {
  const shown = [
    ...page.matchAll(/<li><time datetime="[^"]+">([^<]+)<\/time><small class="muted"> \(([^)]+)\)/g),
  ];
  expect(shown.map((m) => [m[1], m[2]])).toEqual(BERLIN_RUNS);
}

describe('schedule preview', () => {
  it('lists the next five runs of a Berlin cron in local time and UTC, across the DST change', async () => {
    h.clock.set(BEFORE_DST);
    browser = await signIn(h);
    const part = await html(browser.get(`/checks/preview?${new URLSearchParams(BERLIN_CRON)}`));
    expect(part).toMatch(/^<div id="preview"/);
    expect(part).toContain('at 02:30 Europe/Berlin');
    expectBerlinRuns(part);
  });

  it('shows the problem with a bad expression or timezone', async () => {
    const bad = await html(browser.get('/checks/preview?kind=cron&expression=61+*+*+*+*'));
    expect(bad).toContain('class="error">invalid cron expression');
    const zone = await html(browser.get('/checks/preview?kind=cron&expression=0+2+*+*+*&timezone=Mars/Base'));
    expect(zone).toContain('unknown timezone');
  });

  it('shows when an interval check is due if a ping came now', async () => {
    const part = await html(browser.get('/checks/preview?kind=interval&period=90'));
    expect(part).toContain('every 90 seconds');
    const due = [...part.matchAll(/<time datetime="[^"]+">([^<]+)<\/time>/g)].map((m) => m[1]);
    expect(due).toEqual([
      'Mon 2026-01-05 12:01:30 UTC',
      'Mon 2026-01-05 12:03 UTC',
      'Mon 2026-01-05 12:04:30 UTC',
      'Mon 2026-01-05 12:06 UTC',
      'Mon 2026-01-05 12:07:30 UTC',
    ]);
  });
});

describe('creating a check', () => {
  it('offers the form with the schedule fields wired to the preview', async () => {
    const page = await html(browser.get('/checks/new'));
    expect(page).toContain('action="/checks/new"');
    expect(page).toContain('<datalist id="timezones"><option value="UTC"></option>');
    expect(page).toContain('<option value="Europe/Berlin"></option>');
    expect(page).toMatch(
      /name="expression"[^>]*hx-get="\/checks\/preview" hx-trigger="input changed delay:300ms, change" hx-include="closest form" hx-target="#preview"/,
    );
    expect(page).toContain('<div id="preview"');
  });

  it('creates a cron check in Europe/Berlin and shows its next five local runs', async () => {
    h.clock.set(BEFORE_DST);
    browser = await signIn(h);
    const ops = await addChannel('ops hook');
    const fields = {
      ...formFields(await html(browser.get('/checks/new')), '/checks/new'),
      name: 'Nightly backup',
      tags: 'db, nightly, db',
      ...BERLIN_CRON,
      grace: '15',
      grace_unit: 'minutes',
      max_runtime: '2',
      max_runtime_unit: 'hours',
      realert_every: '1',
      realert_unit: 'hours',
      severity: 'critical',
      channels: [ops.id],
    };
    const res = await browser.post('/checks/new', fields);
    expect(res.status).toBe(303);
    const id = /^\/checks\/([0-9a-f-]{36})$/.exec(res.headers.get('location') ?? '')?.[1];
    const check = (await h.store.getCheck(id!))!;
    expect(check).toMatchObject({
      name: 'Nightly backup',
      slug: 'nightly-backup',
      tags: ['db', 'nightly'],
      schedule: { kind: 'cron', expression: '30 2 * * *', timezone: 'Europe/Berlin', grace: 900 },
      maxRuntime: 7200,
      realertEvery: 3600,
      severity: 'critical',
      channels: [ops.id],
    });
    expect(h.committed.at(-1)?.check.id).toBe(id);
    // the form shows the same preview without JavaScript
    expectBerlinRuns(await html(browser.get(`/checks/${id}/edit`)));
  });

  it('shows a bad cron expression under its field, keeping what was typed', async () => {
    const page = await html(
      browser.post('/checks/new', {
        name: 'broken <b>',
        kind: 'cron',
        expression: '0 25 * * *',
        timezone: 'UTC',
      }),
      400,
    );
    expect(page).toMatch(
      /name="expression" value="0 25 \* \* \*"[^>]*aria-invalid="true" aria-describedby="expression-error"/,
    );
    expect(page).toMatch(/<small id="expression-error" class="error">invalid cron expression[^<]*<\/small>/);
    expect(page).toContain('value="broken &lt;b&gt;"');
    const { checks } = await h.store.listChecks(h.project.id, {}, { limit: 10 });
    expect(checks).toEqual([]);
  });

  it('applies the API’s limits and says what to fix under each field', async () => {
    const page = await html(
      browser.post('/checks/new', {
        name: 'x',
        slug: 'Not A Slug',
        tags: 'ok, bad tag!',
        kind: 'interval',
        period: 'soon',
        period_unit: 'minutes',
        max_runtime: '0.5',
        max_runtime_unit: 'seconds',
        realert_every: '10',
        realert_unit: 'seconds',
        failure_threshold: '0',
      }),
      400,
    );
    const under = (field: string) => errorUnder(page, field);
    expect(under('slug')).toContain('lowercase letters');
    expect(under('tags')).toContain('&quot;bad tag!&quot;');
    expect(under('period')).toBe('must be a number, such as 5 or 1.5');
    expect(under('max_runtime')).toBe('must be a whole number of seconds');
    expect(under('realert_every')).toBe('must be at least 60 s');
    expect(under('failure_threshold')).toBeDefined();
  });

  it('refuses a slug another check has', async () => {
    await createCheck(h, { slug: 'taken' });
    const page = await html(browser.post('/checks/new', { name: 'n', slug: 'taken', kind: 'none' }), 400);
    expect(page).toContain('<small id="slug-error" class="error">the slug &quot;taken&quot; is already used');
  });
});

describe('editing a check', () => {
  it('changes what was changed and keeps every other setting', async () => {
    const ops = await addChannel('ops');
    await addChannel('unused');
    const id = await createCheck(h, {
      name: 'db backup',
      slug: 'db/backup',
      description: 'pg_dump & upload',
      tags: ['db', 'prod'],
      schedule: { kind: 'interval', period: 5400, grace: 45 },
      max_runtime: 600,
      failure_threshold: 3,
      severity: 'low',
      manual_resume: true,
      methods: 'post',
      channels: [ops.id],
      realert_every: 86_400,
    });
    const before = (await h.store.getCheck(id))!;
    const fields = formFields(await html(browser.get(`/checks/${id}/edit`)), `/checks/${id}/edit`);
    expect(fields).toMatchObject({
      period: '90',
      period_unit: 'minutes',
      grace: '45',
      grace_unit: 'seconds',
    });
    const res = await browser.post(`/checks/${id}/edit`, { ...fields, name: 'database backup' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/checks/${id}`);
    const after = (await h.store.getCheck(id))!;
    expect(after).toEqual({ ...before, name: 'database backup', rev: after.rev, updatedAt: after.updatedAt });
    expect(h.committed.at(-1)?.check.name).toBe('database backup');
  });

  it('switches the schedule to cron and back to none', async () => {
    const id = await createCheck(h);
    const fields = formFields(await html(browser.get(`/checks/${id}/edit`)), `/checks/${id}/edit`);
    expect((await browser.post(`/checks/${id}/edit`, { ...fields, ...BERLIN_CRON })).status).toBe(303);
    expect((await h.store.getCheck(id))?.schedule).toEqual({ ...BERLIN_CRON, grace: 30 });
    expect((await browser.post(`/checks/${id}/edit`, { ...fields, kind: 'none', period: 'x' })).status).toBe(
      303,
    );
    expect((await h.store.getCheck(id))?.schedule).toEqual({ kind: 'none' });
  });

  it('keeps an emptied name out and says so', async () => {
    const id = await createCheck(h, { name: 'keep me' });
    const fields = formFields(await html(browser.get(`/checks/${id}/edit`)), `/checks/${id}/edit`);
    const page = await html(browser.post(`/checks/${id}/edit`, { ...fields, name: '  ' }), 400);
    expect(page).toContain('<small id="name-error" class="error">must not be empty</small>');
    expect((await h.store.getCheck(id))?.name).toBe('keep me');
  });
});

describe('http checks in the form', () => {
  const probeFields = {
    check_kind: 'http',
    probe_method: 'GET',
    probe_url: 'https://example.com/health',
    probe_expected: '200-299, 301',
    probe_keyword: 'ok',
    probe_keyword_mode: 'contains',
    probe_timeout: '5',
    probe_headers: 'Authorization: Bearer abcdefghijklmnop\r\nAccept: text/plain',
    probe_body: '',
  };

  it('creates an http check with its probe and success criteria', async () => {
    const fields = {
      ...formFields(await html(browser.get('/checks/new')), '/checks/new'),
      name: 'Shop',
      kind: 'interval',
      period: '1',
      period_unit: 'minutes',
      success_criteria: 'the shop answers within 5 s',
      ...probeFields,
    };
    const res = await browser.post('/checks/new', fields);
    expect(res.status).toBe(303);
    const id = /^\/checks\/([0-9a-f-]{36})$/.exec(res.headers.get('location') ?? '')?.[1];
    expect(await h.store.getCheck(id!)).toMatchObject({
      schedule: { kind: 'interval', period: 60 },
      successCriteria: 'the shop answers within 5 s',
      probe: {
        method: 'GET',
        url: 'https://example.com/health',
        expectedStatus: ['200-299', '301'],
        keyword: 'ok',
        keywordMode: 'contains',
        timeout: 5,
        headers: { Authorization: 'Bearer abcdefghijklmnop', Accept: 'text/plain' },
        body: null,
      },
    });
  });

  it('offers push and http, with the probe fields shown only for http', async () => {
    const page = await html(browser.get('/checks/new'));
    expect(page).toMatch(/<input type="radio" name="check_kind" value="push" checked=""/);
    expect(page).toContain('<fieldset class="if-http">');
    expect(page).toContain('name="probe_url"');
  });

  it('shows what is wrong with a probe under its fields', async () => {
    const page = await html(
      browser.post('/checks/new', {
        name: 'Shop',
        kind: 'interval',
        period: '5',
        period_unit: 'seconds',
        ...probeFields,
        probe_url: 'ftp://example.com/',
        probe_timeout: 'soon',
        probe_headers: 'no colon here',
      }),
      400,
    );
    const under = (field: string) => errorUnder(page, field);
    expect(under('probe_url')).toBe('URL must be an http:// or https:// URL');
    expect(under('probe_timeout')).toBe('must be a whole number of seconds');
    expect(under('probe_headers')).toContain('write each header as &quot;Name: value&quot;');
    const { checks } = await h.store.listChecks(h.project.id, {}, { limit: 10 });
    expect(checks).toEqual([]);
  });

  it('says under the period when it is too short for a probe', async () => {
    const page = await html(
      browser.post('/checks/new', {
        name: 'Shop',
        kind: 'interval',
        period: '5',
        period_unit: 'seconds',
        ...probeFields,
      }),
      400,
    );
    expect(page).toContain(
      '<small id="period-error" class="error">must be at least 10 s for an http check</small>',
    );
  });

  it('keeps a secret header that is saved back as the form showed it', async () => {
    const id = await createCheck(h, {
      name: 'Shop',
      kind: 'http',
      probe: { url: 'https://example.com/health', headers: { Authorization: 'Bearer abcdefghijklmnop' } },
    });
    const before = (await h.store.getCheck(id))!;
    const page = await html(browser.get(`/checks/${id}/edit`));
    expect(page).toContain('Authorization: ••••mnop');
    expect(page).not.toContain('abcdefghijklmnop');
    const fields = formFields(page, `/checks/${id}/edit`);
    expect((await browser.post(`/checks/${id}/edit`, { ...fields, description: 'the shop' })).status).toBe(
      303,
    );
    const after = (await h.store.getCheck(id))!;
    expect(after).toEqual({ ...before, description: 'the shop', rev: after.rev, updatedAt: after.updatedAt });
  });
});

describe('a discovered check in the form', () => {
  async function discovered() {
    const sourceId = crypto.randomUUID();
    await h.store.insertSource({
      id: sourceId,
      projectId: h.project.id,
      name: 'db1',
      kind: 'pg_cron',
      config: { url: 'postgres://monitor:secret@db.example:5432/app' },
      severity: 'important',
      tags: [],
      syncInterval: 60,
      grace: 120,
      cursor: null,
      nextSyncAt: h.clock.now(),
      lastSyncAt: null,
      lastSuccessAt: null,
      lastError: null,
      lastErrorAt: null,
      healthCheckId: null,
      createdAt: h.clock.now(),
      updatedAt: h.clock.now(),
    });
    const id = await createCheck(h, {
      name: 'db1 vacuum',
      slug: 'db1/vacuum',
      schedule: { kind: 'cron', expression: '0 3 * * *' },
    });
    const row = (await h.store.getCheck(id))!;
    await h.store.updateCheck(
      { ...row, origin: { sourceId, sourceKey: '42', details: {} }, rev: row.rev + 1 },
      row.rev,
    );
    return id;
  }

  it('says the source manages its name, slug and schedule, and shows them read-only', async () => {
    const id = await discovered();
    const page = await html(browser.get(`/checks/${id}/edit`));
    expect(page).toContain('Found by the source <strong>db1</strong>');
    expect(page).toMatch(/name="name" value="db1 vacuum" maxlength="200" readonly=""/);
    expect(page).toMatch(/name="slug" value="db1\/vacuum"[^>]*readonly=""/);
    expect(page).toContain('<fieldset disabled="">');
  });

  it('saves the team’s fields and keeps what the source owns, whatever is posted', async () => {
    const id = await discovered();
    const before = (await h.store.getCheck(id))!;
    const fields = formFields(await html(browser.get(`/checks/${id}/edit`)), `/checks/${id}/edit`);
    const res = await browser.post(`/checks/${id}/edit`, {
      ...fields,
      name: 'renamed',
      kind: 'interval',
      period: '5',
      severity: 'critical',
      success_criteria: 'done by 04:00',
    });
    expect(res.status).toBe(303);
    const after = (await h.store.getCheck(id))!;
    expect(after).toEqual({
      ...before,
      severity: 'critical',
      successCriteria: 'done by 04:00',
      rev: after.rev,
      updatedAt: after.updatedAt,
    });
  });
});
