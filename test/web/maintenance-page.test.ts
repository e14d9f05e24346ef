// The maintenance page at /maintenance: "quiet for" buttons, one-off windows given as
// wall-clock times in a timezone, recurring windows listed by their next occurrences across a
// daylight-saving change, and the guards every change passes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Maintenance } from '../../src/store/store.ts';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { type Browser, signIn } from '../helpers/web.ts';
import { createCheck, json } from '../http/api-helpers.ts';

const MINUTE = 60_000;

let h: Harness;
let owner: Browser;
beforeEach(async () => {
  h = await createHarness();
  owner = await signIn(h);
});
afterEach(() => h.close());

async function addWindow(fields: Partial<Maintenance> & Pick<Maintenance, 'kind'>): Promise<string> {
  const id = crypto.randomUUID();
  const base = {
    id,
    projectId: h.project.id,
    name: 'db upgrade',
    checkIds: [],
    tags: [],
    createdAt: T0,
    updatedAt: T0,
  };
  await h.store.insertMaintenance({
    ...base,
    startsAt: T0,
    endsAt: T0 + 30 * MINUTE,
    ...fields,
  } as Maintenance);
  return id;
}

/** The fields of a one-off window for the whole project, as the form posts them. */
const ONCE = { name: 'db upgrade', kind: 'once', scope: 'project' };

describe('GET /maintenance', () => {
  it('sends a visitor without a session to sign in', async () => {
    const res = await h.app.request('/maintenance');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fmaintenance');
  });

  it('shows active windows with when they end, and hides one-off windows that are over', async () => {
    await addWindow({ kind: 'once', name: 'running now', startsAt: T0 - MINUTE, endsAt: T0 + 20 * MINUTE });
    await addWindow({
      kind: 'once',
      name: 'long over',
      startsAt: T0 - 60 * MINUTE,
      endsAt: T0 - 30 * MINUTE,
    });
    await addWindow({ kind: 'once', name: 'theirs', projectId: h.other.project.id });
    const page = await (await owner.get('/maintenance')).text();
    expect(page).toContain('running now');
    expect(page).toContain('in 20 minutes');
    expect(page).toContain(`datetime="${new Date(T0 + 20 * MINUTE).toISOString()}"`);
    expect(page).not.toContain('long over');
    expect(page).not.toContain('theirs');
  });

  it('escapes a window name', async () => {
    await addWindow({ kind: 'once', name: '<script>alert(1)</script>' });
    const page = await (await owner.get('/maintenance')).text();
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('lists the next occurrences of a recurring window in Europe/Berlin across the change to summer time', async () => {
    // Friday 2026-03-27 13:00 in Berlin (CET, UTC+1); clocks go to CEST (UTC+2) on Sunday the 29th at 01:00 UTC
    h.clock.set(Date.UTC(2026, 2, 27, 12, 0));
    owner = await signIn(h); // a session from then
    const res = await owner.post('/maintenance', {
      name: 'morning backups',
      kind: 'recurring',
      cron: '30 9 * * *',
      duration: '60',
      timezone: 'Europe/Berlin',
      scope: 'project',
    });
    expect(res.status).toBe(303);
    const page = await (await owner.get('/maintenance')).text();
    // 09:30 local each day: 08:30 UTC while on CET, 07:30 UTC from Sunday on
    const starts = [...page.matchAll(/<li><time datetime="([^"]+)"/g)].map((m) => m[1]);
    expect(starts).toEqual([
      '2026-03-28T08:30:00.000Z',
      '2026-03-29T07:30:00.000Z',
      '2026-03-30T07:30:00.000Z',
    ]);
    expect(page).toContain('2026-03-29 09:30 Europe/Berlin');
    expect(page).toContain('datetime="2026-03-29T08:30:00.000Z"'); // its end, 60 real minutes later
  });

  it('shows a read-only member no buttons and no form', async () => {
    await addWindow({ kind: 'once', name: 'running now' });
    const reader = await signIn(h, { role: 'read-only' });
    const page = await (await reader.get('/maintenance')).text();
    expect(page).toContain('running now');
    expect(page).not.toContain('Quiet for 10 min');
    expect(page).not.toContain('action="/maintenance"');
    expect(page).not.toContain('/delete');
  });
});

describe('quiet for a while', () => {
  it('holds every alert of the project for 10 minutes from now', async () => {
    const check = await createCheck(h, { name: 'nightly', schedule: { kind: 'interval', period: 3600 } });
    const res = await owner.post('/maintenance/quiet', { duration: '600' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/maintenance?done=quiet');
    const [window] = await h.store.listMaintenance(h.project.id);
    expect(window).toMatchObject({
      kind: 'once',
      name: 'quiet for 10 minutes',
      startsAt: T0,
      endsAt: T0 + 10 * MINUTE,
      checkIds: [],
      tags: [],
    });
    const routes = await json<{ held: { name: string; until: string } | null }>(
      await h.api('GET', `/checks/${check.id}/routes`),
    );
    expect(routes.held).toMatchObject({
      name: 'quiet for 10 minutes',
      until: new Date(T0 + 10 * MINUTE).toISOString(),
    });
    expect(await (await owner.get('/maintenance')).text()).toContain('in 10 minutes');
  });

  it('refuses a duration outside the API limits (400)', async () => {
    const res = await owner.post('/maintenance/quiet', { duration: '5' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('must be at least 60 s');
    expect(await h.store.listMaintenance(h.project.id)).toEqual([]);
  });
});

describe('adding a window', () => {
  it('reads start and end as wall-clock times in the timezone, across a DST change', async () => {
    // 01:30 is still CET (UTC+1); at 02:00 Berlin clocks jump to 03:00 CEST, so 04:00 is UTC+2
    const res = await owner.post('/maintenance', {
      ...ONCE,
      starts: '2026-03-29T01:30',
      ends: '2026-03-29T04:00',
      timezone: 'Europe/Berlin',
    });
    expect(res.status).toBe(303);
    const [window] = await h.store.listMaintenance(h.project.id);
    expect(window).toMatchObject({
      kind: 'once',
      startsAt: Date.UTC(2026, 2, 29, 0, 30),
      endsAt: Date.UTC(2026, 2, 29, 2, 0),
    });
  });

  it('takes UTC when no timezone is given, and a scope of tags', async () => {
    const res = await owner.post('/maintenance', {
      ...ONCE,
      starts: '2026-02-01T22:00',
      ends: '2026-02-01T23:30',
      timezone: '',
      scope: 'tags',
      tags: 'db, prod',
    });
    expect(res.status).toBe(303);
    const [window] = await h.store.listMaintenance(h.project.id);
    expect(window).toMatchObject({
      startsAt: Date.UTC(2026, 1, 1, 22),
      endsAt: Date.UTC(2026, 1, 1, 23, 30),
      tags: ['db', 'prod'],
    });
  });

  it('covers the checks ticked', async () => {
    const check = await createCheck(h, { name: 'nightly' });
    await createCheck(h, { name: 'hourly' });
    const res = await owner.post('/maintenance', {
      ...ONCE,
      starts: '2026-02-01T22:00',
      ends: '2026-02-01T23:00',
      scope: 'checks',
      checks: [check.id],
    });
    expect(res.status).toBe(303);
    const [window] = await h.store.listMaintenance(h.project.id);
    expect(window?.checkIds).toEqual([check.id]);
  });

  it('answers 400 with a bad cron expression under its field, the input kept', async () => {
    const res = await owner.post('/maintenance', {
      name: 'backups',
      kind: 'recurring',
      cron: '99 * * * *',
      duration: '30',
      timezone: 'Europe/Berlin',
      scope: 'project',
    });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toMatch(/id="cron-error">invalid cron expression/);
    expect(page).toContain('value="99 * * * *"');
    expect(page).toContain('value="backups"');
    expect(await h.store.listMaintenance(h.project.id)).toEqual([]);
  });

  it('answers 400 for an end before the start and for an unknown timezone', async () => {
    const backwards = await owner.post('/maintenance', {
      ...ONCE,
      starts: '2026-02-01T22:00',
      ends: '2026-02-01T21:00',
    });
    expect(backwards.status).toBe(400);
    expect(await backwards.text()).toMatch(/id="ends-error">must be after the start/);
    const nowhere = await owner.post('/maintenance', {
      ...ONCE,
      starts: '2026-02-01T22:00',
      ends: '2026-02-01T23:00',
      timezone: 'Mars/Olympus',
    });
    expect(nowhere.status).toBe(400);
    expect(await nowhere.text()).toMatch(/id="timezone-error">unknown timezone/);
  });

  it("refuses another project's check (400)", async () => {
    const res = await h.api('POST', '/checks', { name: 'theirs' }, h.other.key);
    const theirs = await json<{ id: string }>(res);
    const page = await owner.post('/maintenance', {
      ...ONCE,
      starts: '2026-02-01T22:00',
      ends: '2026-02-01T23:00',
      scope: 'checks',
      checks: [theirs.id],
    });
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('no check with id');
  });
});

describe('guards and deleting', () => {
  it('refuses a POST without the CSRF token (403)', async () => {
    const res = await owner.post('/maintenance/quiet', { duration: '600' }, { csrf: null });
    expect(res.status).toBe(403);
    expect(await h.store.listMaintenance(h.project.id)).toEqual([]);
  });

  it('refuses every change by a read-only member (403)', async () => {
    const id = await addWindow({ kind: 'once' });
    const reader = await signIn(h, { role: 'read-only' });
    expect((await reader.post('/maintenance/quiet', { duration: '600' })).status).toBe(403);
    expect(
      (await reader.post('/maintenance', { ...ONCE, starts: '2026-02-01T22:00', ends: '2026-02-01T23:00' }))
        .status,
    ).toBe(403);
    expect((await reader.post(`/maintenance/${id}/delete`)).status).toBe(403);
    expect(await h.store.listMaintenance(h.project.id)).toHaveLength(1);
  });

  it("answers 404 for another project's window", async () => {
    const id = await addWindow({ kind: 'once', projectId: h.other.project.id });
    expect((await owner.post(`/maintenance/${id}/delete`)).status).toBe(404);
    expect(await h.store.getMaintenance(id)).not.toBeNull();
  });

  it('deletes a window, ending it now', async () => {
    const check = await createCheck(h, { name: 'nightly' });
    const id = await addWindow({ kind: 'once', startsAt: T0 - MINUTE, endsAt: T0 + 60 * MINUTE });
    const res = await owner.post(`/maintenance/${id}/delete`);
    expect(res.status).toBe(303);
    expect(await h.store.getMaintenance(id)).toBeNull();
    const routes = await json<{ held: unknown }>(await h.api('GET', `/checks/${check.id}/routes`));
    expect(routes.held).toBeNull();
  });
});
