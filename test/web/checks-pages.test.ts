// The checks list: who may see and change what, escaping, filters, sorting, pages, the live row
// and its strip of recent results. (The detail page is in check-detail.test.ts.)
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { type Browser, signIn } from '../helpers/web.ts';
import { createCheck, MINUTE, ping, SECOND } from '../scheduler/fixtures.ts';

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

/** The ids of the rows in a list page, in order. */
function rowIds(page: string): string[] {
  return [...page.matchAll(/<tr id="check-([0-9a-f-]{36})"/g)].map((m) => m[1]!);
}

describe('access', () => {
  it('sends a visitor without a session to sign in, and back after', async () => {
    const id = await createCheck(h);
    for (const path of ['/checks?tag=db', `/checks/${id}`, `/checks/${id}/row`, '/checks/new']) {
      const res = await h.app.request(path);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
  });

  it('treats another project’s check as one that does not exist', async () => {
    const theirs = await createCheck(h, { name: 'their job' }, h.other.key);
    for (const path of [`/checks/${theirs}`, `/checks/${theirs}/row`, `/checks/${theirs}/edit`]) {
      expect((await browser.get(path)).status).toBe(404);
    }
    expect((await browser.post(`/checks/${theirs}/pause`)).status).toBe(404);
    expect((await browser.post(`/checks/${theirs}/delete`)).status).toBe(404);
    expect((await h.store.getCheck(theirs))?.status).toBe('new');
    expect(await html(browser.get('/checks'))).not.toContain('their job');
  });

  it('refuses a change without the CSRF token', async () => {
    const id = await createCheck(h);
    const res = await browser.post(`/checks/${id}/pause`, {}, { csrf: null });
    expect(res.status).toBe(403);
    expect((await h.store.getCheck(id))?.status).toBe('new');
  });

  it('shows a read-only member no buttons that change things, and refuses their changes', async () => {
    const id = await createCheck(h, { name: 'nightly' });
    const reader = await signIn(h, { role: 'read-only' });
    const list = await html(reader.get('/checks'));
    expect(list).toContain('nightly');
    expect(list).not.toContain('New check');
    const detail = await html(reader.get(`/checks/${id}`));
    expect(detail).not.toContain(`/checks/${id}/edit`);
    expect(detail).not.toContain(`/checks/${id}/pause`);
    expect(detail).not.toContain(`/checks/${id}/delete`);
    for (const path of [`/checks/${id}/pause`, `/checks/${id}/delete`, `/checks/${id}/edit`, '/checks/new']) {
      expect((await reader.post(path, { name: 'x' })).status).toBe(403);
    }
    expect((await reader.get(`/checks/${id}/edit`)).status).toBe(403);
    expect((await reader.get('/checks/new')).status).toBe(403);
    expect((await h.store.getCheck(id))?.status).toBe('new');
  });

  it('escapes what users typed in the list and on the detail page', async () => {
    const id = await createCheck(h, {
      name: '<script>alert(1)</script>',
      description: '<img src=x onerror=alert(2)>',
    });
    for (const page of [await html(browser.get('/checks')), await html(browser.get(`/checks/${id}`))]) {
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page).not.toContain('<script>alert(1)');
      expect(page).not.toContain('<img src=x');
    }
  });
});

describe('GET /checks', () => {
  it('lists the project’s checks with their status, schedule and a link to each', async () => {
    const id = await createCheck(h, { name: 'db backup', tags: ['db', 'nightly'] });
    const page = await html(browser.get('/checks'));
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('data-events="/api/v1/events"');
    expect(page).toContain(
      `<tr id="check-${id}" data-live-check="${id}" hx-get="/checks/${id}/row" hx-trigger="live" hx-swap="outerHTML">`,
    );
    expect(page).toContain(`<a href="/checks/${id}">db backup</a>`);
    expect(page).toContain('status status-new');
    expect(page).toContain('every 1 minute');
    expect(page).toContain('<span>nightly</span>');
    expect(page).toContain('href="/checks/new"');
  });

  it('marks the checks vigil probes itself', async () => {
    const probed = await createCheck(h, {
      name: 'shop',
      kind: 'http',
      schedule: { kind: 'interval', period: 60, grace: 30 },
      probe: { url: 'https://shop.example.com/health' },
    });
    const pushed = await createCheck(h, { name: 'db backup' });
    const page = await html(browser.get('/checks'));
    const row = (id: string) => page.slice(page.indexOf(`<tr id="check-${id}"`)).split('</tr>')[0]!;
    expect(row(probed)).toContain('HTTP probe, every 1 minute');
    expect(row(pushed)).not.toContain('HTTP probe');
  });

  it('says how to begin when the project has no checks', async () => {
    const page = await html(browser.get('/checks'));
    expect(page).toContain('No checks yet');
    expect(page).not.toContain('<table');
  });

  it('filters by tag, status and name', async () => {
    const db = await createCheck(h, { name: 'DB backup', tags: ['db'] });
    const web = await createCheck(h, { name: 'web cache warm', tags: ['web'] });
    const report = await createCheck(h, { name: 'report', tags: ['db'] });
    await ping(h, web);
    expect(rowIds(await html(browser.get('/checks?tag=db')))).toEqual([db, report]);
    expect(rowIds(await html(browser.get('/checks?status=up')))).toEqual([web]);
    expect(rowIds(await html(browser.get('/checks?q=backup')))).toEqual([db]);
    expect(rowIds(await html(browser.get('/checks?q=&tag=db&status=new')))).toEqual([db, report]);
    const none = await html(browser.get('/checks?q=nothing-like-this'));
    expect(none).toContain('No checks match these filters');
  });

  it('answers a bad filter with the form and what to fix', async () => {
    const page = await html(browser.get('/checks?status=sideways'), 400);
    expect(page).toContain('status:');
    expect(page).toContain('name="q"');
  });

  it('sorts down checks first, and by last ping', async () => {
    const a = await createCheck(h, { name: 'a' });
    const b = await createCheck(h, { name: 'b' });
    const c = await createCheck(h, { name: 'c' });
    await ping(h, c);
    h.clock.advance(SECOND);
    await pingAt(b, '/fail');
    expect(rowIds(await html(browser.get('/checks')))).toEqual([a, b, c]);
    expect(rowIds(await html(browser.get('/checks?sort=status')))).toEqual([b, c, a]);
    expect(rowIds(await html(browser.get('/checks?sort=last')))).toEqual([b, c, a]);
  });

  it('pages through 50 checks at a time', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 55; i++)
      ids.push(await createCheck(h, { name: `job ${String(i).padStart(2, '0')}` }));
    const first = await html(browser.get('/checks'));
    expect(rowIds(first)).toEqual(ids.slice(0, 50));
    const next = /href="(\/checks\?after=[^"]+)">Next page/.exec(first)?.[1];
    expect(next).toBeDefined();
    const second = await html(browser.get(next!.replaceAll('&amp;', '&')));
    expect(rowIds(second)).toEqual(ids.slice(50));
    expect(second).not.toContain('Next page');
    expect(second).toContain('First page');
  });

  it('answers htmx with the results alone', async () => {
    await createCheck(h, { name: 'solo' });
    const part = await html(browser.get('/checks?q=solo', { 'HX-Request': 'true' }));
    expect(part).toMatch(/^<div id="checks-results">/);
    expect(part).not.toContain('<html');
  });

  it('draws the last results: success, failure and missed pings, oldest first', async () => {
    const id = await createCheck(h, { schedule: { kind: 'interval', period: 60, grace: 30 } });
    await pingAt(id); // ok
    h.clock.advance(MINUTE);
    await h.scheduler.sweep(h.clock.now()); // late: not a result
    h.clock.advance(30 * SECOND);
    await h.scheduler.sweep(h.clock.now()); // down: missed
    for (const suffix of ['', '/fail', '/0', '/3', '/start', '/log']) {
      h.clock.advance(10 * SECOND);
      await pingAt(id, suffix);
    }
    const row = await html(browser.get(`/checks/${id}/row`));
    expect(row).toMatch(new RegExp(`^<tr id="check-${id}"`));
    const classes = [...row.matchAll(/<span class="(ok|fail|missed)"/g)].map((m) => m[1]);
    expect(classes).toEqual(['ok', 'missed', 'ok', 'fail', 'ok', 'fail']);
  });

  // Timing, not behaviour: run with VIGIL_PERF=1 to print how long the first page of 10,000 takes.
  it.skipIf(!process.env.VIGIL_PERF)('renders the first page of 10,000 checks', async () => {
    const { defaultCheckConfig, newCheck } = await import('../../src/ingest/new-check.ts');
    await h.store.transaction(async (tx) => {
      for (let i = 0; i < 10_000; i++) {
        const slug = `job-${i}`;
        const config = { ...defaultCheckConfig(slug), tags: i % 3 === 0 ? ['db'] : [] };
        await tx.insertCheck(newCheck(crypto.randomUUID(), h.project.id, config, h.clock.now()));
      }
    });
    // the checks on the first page have a history: 100 pings with 1 KB bodies and some flips each
    const { checks } = await h.store.listChecks(h.project.id, {}, { limit: 50 });
    await h.store.transaction(async (tx) => {
      for (const check of checks) {
        for (let n = 1; n <= 100; n++) {
          const at = h.clock.now() + n * MINUTE;
          const kind = n % 10 === 0 ? 'fail' : n % 2 === 0 ? 'success' : 'start';
          await tx.insertPing(
            {
              checkId: check.id,
              n,
              at,
              clientAt: null,
              kind,
              exitStatus: null,
              method: 'POST',
              source: '10.0.0.1',
              userAgent: 'curl',
              rid: null,
              durationMs: n % 2 === 0 ? 1000 + n : null,
              body: 'x'.repeat(1000),
              truncated: false,
            },
            1000,
          );
          if (n % 25 === 0)
            await tx.insertFlip({
              checkId: check.id,
              at: at + 1,
              from: 'up',
              to: 'down',
              reason: 'no ping',
              event: 'down',
            });
        }
      }
    });
    await html(browser.get('/checks')); // warm up
    const started = performance.now();
    const page = await html(browser.get('/checks'));
    const ms = performance.now() - started;
    const filtered = performance.now();
    await html(browser.get('/checks?tag=db&sort=status'));
    console.log(
      `first page of 10,000 checks: ${ms.toFixed(1)} ms (${rowIds(page).length} rows, ${page.length} bytes); ` +
        `filtered by tag: ${(performance.now() - filtered).toFixed(1)} ms`,
    );
  });
});
