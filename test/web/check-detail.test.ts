// A check's detail page: its ping URLs and snippets, the live header, ping log and history,
// a ping's full body, and pausing, resuming and deleting the check.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { type Browser, signIn } from '../helpers/web.ts';
import { createCheck, ping, SECOND } from '../scheduler/fixtures.ts';

let h: Harness;
let browser: Browser;
beforeEach(async () => {
  h = await createHarness();
  browser = await signIn(h);
});
afterEach(() => h.close());

async function html(res: Response | Promise<Response>, status = 200): Promise<string> {
  const r = await res;
  expect(r.status).toBe(status);
  return r.text();
}

async function pingAt(checkId: string, suffix = '', body?: string) {
  const res = await h.app.request(`/ping/${checkId}${suffix}`, { method: 'POST', body });
  expect(res.status).toBe(200);
}

describe('GET /checks/:id', () => {
  it('shows the check, its ping URLs with copy buttons, and snippets', async () => {
    const id = await createCheck(h, { name: 'db backup', slug: 'db-backup', description: 'pg_dump to S3' });
    const page = await html(browser.get(`/checks/${id}`));
    expect(page).toContain(`data-events="/api/v1/checks/${id}/events"`);
    expect(page).toContain('<h1>db backup</h1>');
    expect(page).toContain('pg_dump to S3');
    const url = `http://vigil.test/ping/${id}`;
    for (const u of [url, `${url}/start`, `${url}/fail`, `${url}/log`, `${url}/$?`]) {
      expect(page).toContain(`data-copy="${u}"`);
    }
    expect(page).toContain(`data-copy="http://vigil.test/ping/${h.project.pingKey}/db-backup"`);
    expect(page).toContain(`curl -fsS -m 10 --retry 5 ${url}`);
    expect(page).toContain('vigil run db-backup -- ');
    expect(page).toContain('urllib.request.urlopen(&quot;');
    expect(page).toContain('import { ping } from &#39;@vigil/sdk&#39;');
    expect(page).toContain('24 h <strong>–</strong>');
  });

  it('keeps the header, ping log and history live, each from its own partial', async () => {
    const id = await createCheck(h);
    const page = await html(browser.get(`/checks/${id}`));
    for (const part of ['header', 'pings', 'history']) {
      expect(page).toContain(
        `data-live-check="${id}" hx-get="/checks/${id}/${part}" hx-trigger="live" hx-swap="outerHTML"`,
      );
      const fragment = await html(browser.get(`/checks/${id}/${part}`, { 'HX-Request': 'true' }));
      expect(fragment).toMatch(/^<section id="check-/);
    }
  });

  it('logs pings with a body preview, durations and a chart of run durations', async () => {
    const id = await createCheck(h);
    await pingAt(id, '/start');
    h.clock.advance(12 * SECOND);
    await pingAt(id, '', `${'x'.repeat(150)} done`);
    const page = await html(browser.get(`/checks/${id}`));
    expect(page).toContain(`<code>${'x'.repeat(100)}…</code>`);
    expect(page).toContain(`href="/checks/${id}/pings/2"`);
    expect(page).toContain('12.0 s');
    expect(page).toMatch(/<svg class="duration-chart"[^>]*role="img"/);
    expect(page).toContain('<rect class="bar"');
  });

  it('shows a ping’s full body as a page, and as a fragment to htmx', async () => {
    const id = await createCheck(h);
    await pingAt(id, '', 'line 1\n<b>line 2</b>');
    const page = await html(browser.get(`/checks/${id}/pings/1`));
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<pre class="body">line 1\n&lt;b&gt;line 2&lt;/b&gt;</pre>');
    const part = await html(browser.get(`/checks/${id}/pings/1`, { 'HX-Request': 'true' }));
    expect(part).toMatch(/^<article id="ping-1">/);
    expect((await browser.get(`/checks/${id}/pings/9`)).status).toBe(404);
    expect((await browser.get(`/checks/${id}/pings/abc`)).status).toBe(404);
  });

  it('pages through older pings', async () => {
    const id = await createCheck(h);
    for (let i = 0; i < 55; i++) await pingAt(id, '/log', `entry ${i}`);
    const page = await html(browser.get(`/checks/${id}`));
    expect(page).toContain(`href="/checks/${id}/pings?before=6"`);
    const older = await html(browser.get(`/checks/${id}/pings?before=6`));
    expect(older).toContain('entry 4');
    expect(older).not.toContain('entry 5<');
    expect(older).not.toContain('data-live-check');
  });

  it('lists status changes and incidents, with a way to acknowledge an open one', async () => {
    const id = await createCheck(h);
    await pingAt(id, '/fail');
    const page = await html(browser.get(`/checks/${id}`));
    expect(page).toContain(
      '<span class="status status-new">new</span> → <span class="status status-down">down</span>',
    );
    const incident = (await h.store.listIncidents([h.project.id], { checkId: id, limit: 1 }))[0]!;
    expect(page).toContain(`action="/incidents/${incident.id}/acknowledge"`);
    expect(page).toContain('<strong>open</strong>');
  });
});

describe('pause, resume and delete', () => {
  it('pauses and resumes the check, and tells the live clients', async () => {
    const id = await createCheck(h);
    await ping(h, id);
    const paused = await browser.post(`/checks/${id}/pause`);
    expect(paused.status).toBe(303);
    expect(paused.headers.get('location')).toBe(`/checks/${id}`);
    expect((await h.store.getCheck(id))?.status).toBe('paused');
    expect(h.committed.at(-1)?.check.status).toBe('paused');
    const page = await html(browser.get(`/checks/${id}`));
    expect(page).toContain('status status-paused');
    expect(page).toContain(`action="/checks/${id}/resume"`);

    expect((await browser.post(`/checks/${id}/resume`)).status).toBe(303);
    expect((await h.store.getCheck(id))?.status).not.toBe('paused');
    expect(await html(browser.get(`/checks/${id}`))).toContain(`action="/checks/${id}/pause"`);
  });

  it('asks before deleting, then deletes', async () => {
    const id = await createCheck(h, { name: 'old job' });
    const confirm = await html(browser.get(`/checks/${id}/delete`));
    expect(confirm).toContain(`action="/checks/${id}/delete"`);
    expect(await h.store.getCheck(id)).not.toBeNull();
    const res = await browser.post(`/checks/${id}/delete`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/checks');
    expect(await h.store.getCheck(id)).toBeNull();
  });
});

describe('GET /checks/:id of an http check', () => {
  it('shows the probe with secret headers masked, and the success criteria', async () => {
    const id = await createCheck(h, {
      name: 'shop',
      kind: 'http',
      success_criteria: 'answers within 5 s',
      probe: {
        method: 'POST',
        url: 'https://shop.example.com/health',
        expected_status: ['200', '204'],
        keyword: 'ok',
        timeout: 5,
        headers: { 'X-Api-Key': 'abcdefghijklmnop' },
        body: '{}',
      },
    });
    const page = await html(browser.get(`/checks/${id}`));
    expect(page).toContain('<code>POST https://shop.example.com/health</code>');
    expect(page).toContain('status 200, 204, body contains “ok”, within 5 s');
    expect(page).toContain('<code>X-Api-Key: ••••mnop</code>');
    expect(page).not.toContain('abcdefghijklmnop');
    expect(page).toContain('<strong>Success criteria:</strong> answers within 5 s');
    // vigil sends its requests itself: no ping URLs to copy
    expect(page).not.toContain('id="ping-urls"');
    expect(page).not.toContain(`/ping/${id}`);
  });

  it('shows the source that found a discovered check', async () => {
    const id = await createCheck(h, { name: 'vacuum' });
    const sourceId = crypto.randomUUID();
    const row = (await h.store.getCheck(id))!;
    await h.store.updateCheck(
      { ...row, origin: { sourceId, sourceKey: '42', details: {} }, rev: row.rev + 1 },
      row.rev,
    );
    const page = await html(browser.get(`/checks/${id}`));
    // the source is gone: its id stands in for its name
    expect(page).toContain(`Found by the source <a href="/sources">${sourceId}</a>`);
    expect(page).toContain('name, slug and schedule are managed there');
    expect(page).not.toContain('class="job-command"');
  });

  it('shows what a discovered pg_cron job runs, escaped', async () => {
    const id = await createCheck(h, { name: 'purge' });
    const row = (await h.store.getCheck(id))!;
    const details = {
      jobid: 7,
      command: "DELETE FROM t WHERE at < now() - '1 day' AND x <> 1",
      database: 'app',
      username: 'etl',
    };
    await h.store.updateCheck(
      { ...row, origin: { sourceId: crypto.randomUUID(), sourceKey: '7', details }, rev: row.rev + 1 },
      row.rev,
    );
    const page = await html(browser.get(`/checks/${id}`));
    expect(page).toContain(
      'Runs <code class="job-command">DELETE FROM t WHERE at &lt; now() - &#39;1 day&#39; AND x &lt;&gt; 1</code>',
    );
    expect(page).toContain('in app as etl');
  });
});
