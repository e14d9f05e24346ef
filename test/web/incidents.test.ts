// The incidents page of the dashboard: what it lists across the user's projects, the live
// table it re-fetches, and acknowledging, with the role, project and CSRF checks around it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveEvent } from '../../src/events/bus.ts';
import type { Incident } from '../../src/store/store.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { type Browser, signIn } from '../helpers/web.ts';
import { createCheck, MINUTE, ping, SECOND } from '../scheduler/fixtures.ts';

let h: Harness;
let browser: Browser;
beforeEach(async () => {
  h = await createHarness();
  browser = await signIn(h, { projectIds: [h.project.id, h.other.project.id] });
});
afterEach(() => h.close());

/** Pings the check now, then sweeps past its grace: it is down with an open incident. */
async function takeDown(checkId: string): Promise<Incident> {
  await ping(h, checkId);
  h.clock.advance(MINUTE);
  await h.scheduler.sweep(h.clock.now());
  h.clock.advance(30 * SECOND);
  await h.scheduler.sweep(h.clock.now());
  return (
    await h.store.listIncidents([h.project.id, h.other.project.id], { checkId, open: true, limit: 1 })
  )[0]!;
}

async function html(res: Response | Promise<Response>): Promise<string> {
  const r = await res;
  expect(r.status).toBe(200);
  return r.text();
}

function events(): LiveEvent[] {
  const seen: LiveEvent[] = [];
  h.bus.listen((e) => seen.push(e));
  return seen;
}

describe('GET /incidents', () => {
  it('lists open incidents of all the user’s projects and the resolved ones', async () => {
    const db = await createCheck(h, { name: 'db backup' });
    const theirs = await createCheck(h, { name: 'their cron' }, h.other.key);
    const fixed = await createCheck(h, { name: 'nightly report' });
    await takeDown(db);
    await takeDown(theirs);
    await takeDown(fixed);
    h.clock.advance(5 * MINUTE);
    await ping(h, fixed);

    const page = await html(browser.get('/incidents'));
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('data-events="/api/v1/events"');
    const [open, resolved] = page.split('Recently resolved');
    expect(open).toContain(`href="/checks/${db}"`);
    expect(open).toContain(`href="/checks/${theirs}?project=${h.other.project.id}"`);
    expect(open).toContain('their cron');
    expect(open).toContain('>other<'); // its project
    expect(open).not.toContain('nightly report');
    expect(open).toMatch(/<time datetime="[^"]+" data-relative/);
    expect(resolved).toContain('nightly report');
    expect(resolved).toContain('5 minutes'); // how long it lasted
  });

  it('shows another project’s incidents only to its members', async () => {
    const theirs = await createCheck(h, { name: 'their cron' }, h.other.key);
    await takeDown(theirs);
    const outsider = await signIn(h); // main project only
    expect(await html(outsider.get('/incidents'))).not.toContain('their cron');
  });

  it('has a live table that GET /incidents/table renders alone', async () => {
    await takeDown(await createCheck(h, { name: 'db backup' }));
    const page = await html(browser.get('/incidents'));
    expect(page).toContain(
      '<div id="incidents" data-live="incident.opened incident.resolved incident.acknowledged" hx-get="/incidents/table" hx-trigger="live" hx-swap="outerHTML">',
    );
    const table = await html(browser.get('/incidents/table', { 'HX-Request': 'true' }));
    expect(table).toMatch(/^<div id="incidents"/);
    expect(table).toContain('db backup');
  });

  it('escapes check names', async () => {
    await takeDown(await createCheck(h, { name: '<script>alert(1)</script>' }));
    const page = await html(browser.get('/incidents'));
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('sends a signed-out visitor to the sign-in page', async () => {
    const res = await h.app.request('/incidents');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fincidents');
  });
});

describe('POST /incidents/:id/acknowledge', () => {
  it('acknowledges, publishes incident.acknowledged and goes back to the page it came from', async () => {
    const id = await createCheck(h, { name: 'db backup' });
    const incident = await takeDown(id);
    const seen = events();
    const res = await h.app.request(`/incidents/${incident.id}/acknowledge`, {
      method: 'POST',
      headers: {
        cookie: browser.cookie,
        'content-type': 'application/x-www-form-urlencoded',
        referer: `http://vigil.test/checks/${id}`,
      },
      body: new URLSearchParams({ _csrf: browser.csrf }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/checks/${id}`);
    const stored = (await h.store.getIncident(incident.id))!;
    expect(stored).toMatchObject({ acknowledgedAt: h.clock.now(), acknowledgedBy: browser.email });
    expect(seen).toMatchObject([
      {
        type: 'incident.acknowledged',
        checkId: id,
        data: {
          check: { id, name: 'db backup', status: 'down' },
          incident_id: incident.id,
          by: browser.email,
        },
      },
    ]);
    expect(await html(browser.get('/incidents'))).toContain(browser.email);
  });

  it('goes to /incidents when the Referer is another site', async () => {
    const incident = await takeDown(await createCheck(h));
    const res = await h.app.request(`/incidents/${incident.id}/acknowledge`, {
      method: 'POST',
      headers: {
        cookie: browser.cookie,
        'content-type': 'application/x-www-form-urlencoded',
        referer: 'https://evil.example/phish',
      },
      body: new URLSearchParams({ _csrf: browser.csrf }),
    });
    expect(res.headers.get('location')).toBe('/incidents');
  });

  it('answers an htmx request with the refreshed table', async () => {
    const incident = await takeDown(await createCheck(h, { name: 'db backup' }));
    const res = await browser.post(`/incidents/${incident.id}/acknowledge`, {}, { htmx: true });
    const table = await html(res);
    expect(table).toMatch(/^<div id="incidents"/);
    expect(table).toContain(browser.email);
    expect(table).not.toContain('>Acknowledge<');
  });

  it('keeps the first acknowledgement and publishes once', async () => {
    const incident = await takeDown(await createCheck(h));
    const first = await signIn(h, { email: 'first@example.com' });
    await first.post(`/incidents/${incident.id}/acknowledge`);
    const seen = events();
    expect((await browser.post(`/incidents/${incident.id}/acknowledge`)).status).toBe(303);
    expect((await h.store.getIncident(incident.id))?.acknowledgedBy).toBe('first@example.com');
    expect(seen).toEqual([]);
  });

  it('answers 404 for an incident of a project the user is not in, or no such incident', async () => {
    const incident = await takeDown(await createCheck(h, {}, h.other.key));
    const outsider = await signIn(h);
    expect((await outsider.post(`/incidents/${incident.id}/acknowledge`)).status).toBe(404);
    expect((await outsider.post('/incidents/999999/acknowledge')).status).toBe(404);
    expect((await outsider.post('/incidents/abc/acknowledge')).status).toBe(404);
    expect((await h.store.getIncident(incident.id))?.acknowledgedAt).toBeNull();
  });

  it('answers 403 to a read-only member and shows them no button', async () => {
    const incident = await takeDown(await createCheck(h));
    const reader = await signIn(h, { role: 'read-only' });
    expect(await html(reader.get('/incidents'))).not.toContain('>Acknowledge<');
    expect((await reader.post(`/incidents/${incident.id}/acknowledge`)).status).toBe(403);
    expect((await h.store.getIncident(incident.id))?.acknowledgedAt).toBeNull();
  });

  it('answers 403 without the CSRF token', async () => {
    const incident = await takeDown(await createCheck(h));
    expect((await browser.post(`/incidents/${incident.id}/acknowledge`, {}, { csrf: null })).status).toBe(
      403,
    );
    expect((await browser.post(`/incidents/${incident.id}/acknowledge`, {}, { csrf: 'wrong' })).status).toBe(
      403,
    );
    expect((await h.store.getIncident(incident.id))?.acknowledgedAt).toBeNull();
  });

  it('leaves a resolved incident as it is', async () => {
    const id = await createCheck(h);
    const incident = await takeDown(id);
    await ping(h, id);
    expect((await browser.post(`/incidents/${incident.id}/acknowledge`)).status).toBe(303);
    expect((await h.store.getIncident(incident.id))?.acknowledgedAt).toBeNull();
  });
});
