// The maintenance resource at /api/v1/maintenance: one-off and recurring windows, "quiet for
// N minutes", and what a window does to an alert: held while it runs, a fresh grace after it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { type Receiver, startReceiver } from '../notifiers/receiver.ts';
import { type CheckView, createCheck, expectApiError, iso, json, listFlips } from './api-helpers.ts';

interface Occurrence {
  starts_at: string;
  ends_at: string;
}

interface MaintenanceView {
  id: string;
  name: string;
  kind: 'once' | 'recurring';
  starts_at: string | null;
  ends_at: string | null;
  cron: string | null;
  duration: number | null;
  timezone: string | null;
  checks: string[];
  tags: string[];
  active: boolean;
  next: Occurrence[];
  created_at: string;
  updated_at: string;
}

interface NotificationView {
  event: string;
  status: string;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

async function createWindow(fields: Record<string, unknown>, key?: string): Promise<MaintenanceView> {
  const res = await h.api('POST', '/maintenance', { name: 'db upgrade', ...fields }, key);
  expect(res.status).toBe(201);
  return json<MaintenanceView>(res);
}

/** A one-off window from `start` to `end` (epoch ms). */
const onceFields = (start: number, end: number) => ({ starts_at: iso(start), ends_at: iso(end) });

async function quietNow(query: string, body?: unknown): Promise<MaintenanceView> {
  const res = await h.api('POST', `/maintenance/now${query}`, body);
  expect(res.status).toBe(201);
  return json<MaintenanceView>(res);
}

async function getWindow(id: string): Promise<MaintenanceView> {
  const res = await h.api('GET', `/maintenance/${id}`);
  expect(res.status).toBe(200);
  return json<MaintenanceView>(res);
}

/**
 * A 400 in the one error shape whose message starts with `field` and whose details name the
 * field with a message matching `message`.
 */
async function expectFieldError(res: Response, field: string, message: RegExp): Promise<void> {
  const escaped = field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const error = (await expectApiError(res, 400, new RegExp(`^${escaped}: `))) as {
    code: string;
    details?: { field: string; message: string }[];
  };
  expect(error.code).toBe('invalid_request');
  expect(error.details).toContainEqual({ field, message: expect.stringMatching(message) });
}

describe('POST /maintenance: one-off windows', () => {
  it('creates a window running now (201): kind once, active, with its occurrence in next', async () => {
    const window = await createWindow(onceFields(T0 - HOUR, T0 + HOUR));
    expect(window).toMatchObject({
      name: 'db upgrade',
      kind: 'once',
      starts_at: iso(T0 - HOUR),
      ends_at: iso(T0 + HOUR),
      cron: null,
      duration: null,
      timezone: null,
      checks: [],
      tags: [],
      active: true,
      next: [{ starts_at: iso(T0 - HOUR), ends_at: iso(T0 + HOUR) }],
      created_at: iso(T0),
      updated_at: iso(T0),
    });
    expect(window.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('creates a window that starts later as not active, still listing it in next', async () => {
    const window = await createWindow(onceFields(T0 + DAY, T0 + DAY + 2 * HOUR));
    expect(window.active).toBe(false);
    expect(window.next).toEqual([{ starts_at: iso(T0 + DAY), ends_at: iso(T0 + DAY + 2 * HOUR) }]);
  });

  it('lists nothing in next for a window that is over', async () => {
    const window = await createWindow(onceFields(T0 - 2 * HOUR, T0 - HOUR));
    expect(window).toMatchObject({ active: false, next: [] });
  });

  it('is not active at its end: the end is exclusive', async () => {
    const window = await createWindow(onceFields(T0 - HOUR, T0));
    expect(window.active).toBe(false);
  });

  it('keeps the checks and tags it is scoped to', async () => {
    const check = await createCheck(h, { name: 'db' });
    const window = await createWindow({ ...onceFields(T0, T0 + HOUR), checks: [check.id], tags: ['db'] });
    expect(window).toMatchObject({ checks: [check.id], tags: ['db'] });
  });

  it('accepts times with an offset and answers them in UTC', async () => {
    const window = await createWindow({
      starts_at: '2026-01-05T14:00:00+02:00',
      ends_at: '2026-01-05T15:00:00+02:00',
    });
    expect(window).toMatchObject({ starts_at: iso(T0), ends_at: iso(T0 + HOUR), active: true });
  });

  it('accepts a window of exactly 31 days', async () => {
    const window = await createWindow(onceFields(T0, T0 + 31 * DAY));
    expect(window.ends_at).toBe(iso(T0 + 31 * DAY));
  });
});

describe('POST /maintenance: recurring windows', () => {
  it('creates a recurring window (201) with the timezone spelt canonically', async () => {
    const window = await createWindow({ cron: '0 2 * * 0', duration: 7200, timezone: 'europe/berlin' });
    expect(window).toMatchObject({
      kind: 'recurring',
      cron: '0 2 * * 0',
      duration: 7200,
      timezone: 'Europe/Berlin',
      starts_at: null,
      ends_at: null,
    });
    expect((await getWindow(window.id)).timezone).toBe('Europe/Berlin');
  });

  it('defaults the timezone to UTC', async () => {
    const window = await createWindow({ cron: '0 3 * * *', duration: 3600 });
    expect(window.timezone).toBe('UTC');
    // T0 is 12:00Z, so the next 03:00Z is tomorrow's
    expect(window.next[0]).toEqual({ starts_at: iso(T0 + 15 * HOUR), ends_at: iso(T0 + 16 * HOUR) });
  });

  it('lists 3 occurrences at 02:00 local time across the spring-forward change', async () => {
    // Friday 2026-03-20. Europe/Berlin leaves CET (UTC+1) for CEST (UTC+2) on Sunday
    // 2026-03-29 at 02:00 local, which becomes 03:00: that day 02:00 does not exist and the
    // window starts at the first valid time after it, 03:00 CEST.
    h.clock.set(Date.UTC(2026, 2, 20, 12));
    const window = await createWindow({ cron: '0 2 * * 0', duration: 7200, timezone: 'Europe/Berlin' });
    expect(window.active).toBe(false);
    expect(window.next).toEqual([
      // Sunday 03-22, 02:00 CET
      { starts_at: '2026-03-22T01:00:00.000Z', ends_at: '2026-03-22T03:00:00.000Z' },
      // Sunday 03-29, 03:00 CEST (02:00 skipped)
      { starts_at: '2026-03-29T01:00:00.000Z', ends_at: '2026-03-29T03:00:00.000Z' },
      // Sunday 04-05, 02:00 CEST
      { starts_at: '2026-04-05T00:00:00.000Z', ends_at: '2026-04-05T02:00:00.000Z' },
    ]);
  });

  it('is active during an occurrence and lists that occurrence first', async () => {
    // Sunday 2026-01-11, 02:30 CET
    h.clock.set(Date.UTC(2026, 0, 11, 1, 30));
    const window = await createWindow({ cron: '0 2 * * 0', duration: 7200, timezone: 'Europe/Berlin' });
    expect(window.active).toBe(true);
    expect(window.next).toEqual([
      { starts_at: '2026-01-11T01:00:00.000Z', ends_at: '2026-01-11T03:00:00.000Z' },
      { starts_at: '2026-01-18T01:00:00.000Z', ends_at: '2026-01-18T03:00:00.000Z' },
      { starts_at: '2026-01-25T01:00:00.000Z', ends_at: '2026-01-25T03:00:00.000Z' },
    ]);
  });
});

describe('POST /maintenance: invalid windows', () => {
  it('answers 400 at cron for both one-off and recurring fields', async () => {
    const res = await h.api('POST', '/maintenance', {
      name: 'x',
      ...onceFields(T0, T0 + HOUR),
      cron: '0 2 * * *',
      duration: 3600,
    });
    await expectFieldError(res, 'cron', /either starts_at and ends_at .* or cron and duration/);
  });

  it('answers 400 at starts_at for neither one-off nor recurring fields', async () => {
    const res = await h.api('POST', '/maintenance', { name: 'x' });
    await expectFieldError(res, 'starts_at', /give starts_at and ends_at .* or cron and duration/);
  });

  it('answers 400 at ends_at for a one-off window without an end', async () => {
    const res = await h.api('POST', '/maintenance', { name: 'x', starts_at: iso(T0) });
    await expectFieldError(res, 'ends_at', /needs ends_at/);
  });

  it('answers 400 at ends_at for an end before the start', async () => {
    const res = await h.api('POST', '/maintenance', { name: 'x', ...onceFields(T0, T0 - MINUTE) });
    await expectFieldError(res, 'ends_at', /must be after starts_at/);
  });

  it('answers 400 at ends_at for an end equal to the start', async () => {
    const res = await h.api('POST', '/maintenance', { name: 'x', ...onceFields(T0, T0) });
    await expectFieldError(res, 'ends_at', /must be after starts_at/);
  });

  it('answers 400 at ends_at for a window longer than 31 days', async () => {
    const res = await h.api('POST', '/maintenance', { name: 'x', ...onceFields(T0, T0 + 31 * DAY + SECOND) });
    await expectFieldError(res, 'ends_at', /at most 31 days/);
  });

  it('answers 400 at starts_at for a time without a timezone', async () => {
    const res = await h.api('POST', '/maintenance', {
      name: 'x',
      starts_at: '2026-01-05T12:00:00',
      ends_at: iso(T0 + HOUR),
    });
    await expectFieldError(res, 'starts_at', /ISO 8601 time with a timezone/);
  });

  it('answers 400 at cron for an invalid cron expression', async () => {
    const res = await h.api('POST', '/maintenance', { name: 'x', cron: '61 * * * *', duration: 3600 });
    await expectFieldError(res, 'cron', /invalid cron expression/);
  });

  it('answers 400 at timezone for an unknown timezone', async () => {
    const res = await h.api('POST', '/maintenance', {
      name: 'x',
      cron: '0 2 * * *',
      duration: 3600,
      timezone: 'Mars/Olympus',
    });
    await expectFieldError(res, 'timezone', /unknown timezone/);
  });

  it('answers 400 at duration for a duration under 60 s', async () => {
    const res = await h.api('POST', '/maintenance', { name: 'x', cron: '0 2 * * *', duration: 59 });
    await expectFieldError(res, 'duration', /at least 60 s/);
  });

  it('answers 400 at duration for a recurring window without one', async () => {
    const res = await h.api('POST', '/maintenance', { name: 'x', cron: '0 2 * * *' });
    await expectFieldError(res, 'duration', /needs duration/);
  });

  it('answers 400 at name for a window without a name', async () => {
    const res = await h.api('POST', '/maintenance', onceFields(T0, T0 + HOUR));
    await expectFieldError(res, 'name', /./);
  });

  it('answers 400 naming an unknown field', async () => {
    const res = await h.api('POST', '/maintenance', {
      name: 'x',
      ...onceFields(T0, T0 + HOUR),
      colour: 'red',
    });
    await expectApiError(res, 400, /unknown field "colour"/);
  });

  it('answers 400 at checks.0 for a check id that is not a UUID', async () => {
    const res = await h.api('POST', '/maintenance', {
      name: 'x',
      ...onceFields(T0, T0 + HOUR),
      checks: ['backup'],
    });
    await expectFieldError(res, 'checks.0', /must be a check id/);
  });

  it('answers 400 for a check of another project, and creates nothing', async () => {
    const theirs = await json<CheckView>(await h.api('POST', '/checks', { name: 'theirs' }, h.other.key));
    const res = await h.api('POST', '/maintenance', {
      name: 'x',
      ...onceFields(T0, T0 + HOUR),
      checks: [theirs.id],
    });
    const error = await expectApiError(res, 400, /^checks: no check with id/);
    expect(error.message).toContain(theirs.id);
    const list = await json<{ maintenance: MaintenanceView[] }>(await h.api('GET', '/maintenance'));
    expect(list.maintenance).toEqual([]);
  });
});

describe('POST /maintenance/now', () => {
  it('without a body, quiets the whole project from now for `duration` seconds', async () => {
    const window = await quietNow('?duration=600');
    expect(window).toMatchObject({
      name: 'quiet for 10 minutes',
      kind: 'once',
      starts_at: iso(T0),
      ends_at: iso(T0 + 10 * MINUTE),
      checks: [],
      tags: [],
      active: true,
      next: [{ starts_at: iso(T0), ends_at: iso(T0 + 10 * MINUTE) }],
    });
  });

  it('takes an empty body sent as JSON, as curl -H "Content-Type: application/json" sends it', async () => {
    const res = await h.app.request('/api/v1/maintenance/now?duration=600', {
      method: 'POST',
      headers: { 'X-Api-Key': h.key, 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(201);
    const bad = await h.app.request('/api/v1/maintenance/now?duration=600', {
      method: 'POST',
      headers: { 'X-Api-Key': h.key, 'Content-Type': 'application/json' },
      body: '{"tags": [',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);
  });

  it('takes its scope and name from a JSON body', async () => {
    const window = await quietNow('?duration=3600', { tags: ['db'], name: 'db failover' });
    expect(window).toMatchObject({ name: 'db failover', tags: ['db'], checks: [], ends_at: iso(T0 + HOUR) });
  });

  it('names the window after the duration when the body gives no name', async () => {
    const window = await quietNow('?duration=5400', { tags: ['db'] });
    expect(window).toMatchObject({ name: 'quiet for 1 hour 30 minutes', tags: ['db'] });
  });

  it.each([
    ['missing', ''],
    ['not a number', '?duration=soon'],
    ['fractional', '?duration=90.5'],
    ['under 60 s', '?duration=30'],
    ['over 7 days', '?duration=604801'],
  ])('answers 400 at query.duration for a duration that is %s', async (_what, query) => {
    await expectFieldError(await h.api('POST', `/maintenance/now${query}`), 'query.duration', /./);
  });

  it('answers 400 for a check of another project in the body', async () => {
    const theirs = await json<CheckView>(await h.api('POST', '/checks', { name: 'theirs' }, h.other.key));
    const res = await h.api('POST', '/maintenance/now?duration=600', { checks: [theirs.id] });
    await expectApiError(res, 400, /^checks: no check with id/);
  });

  it('answers 400 naming an unknown field in the body', async () => {
    const res = await h.api('POST', '/maintenance/now?duration=600', { checks: [], minutes: 10 });
    await expectApiError(res, 400, /unknown field "minutes"/);
  });
});

describe('GET /maintenance', () => {
  it('lists the project’s windows, not another project’s, each with active and next', async () => {
    const running = await createWindow({ name: 'running', ...onceFields(T0 - HOUR, T0 + HOUR) });
    const weekly = await createWindow({ name: 'weekly', cron: '0 2 * * 0', duration: 7200 });
    await createWindow({ name: 'theirs', ...onceFields(T0, T0 + HOUR) }, h.other.key);

    const res = await h.api('GET', '/maintenance');
    expect(res.status).toBe(200);
    const { maintenance } = await json<{ maintenance: MaintenanceView[] }>(res);
    const byName = (a: MaintenanceView, b: MaintenanceView) => a.name.localeCompare(b.name);
    expect([...maintenance].sort(byName)).toEqual([running, weekly]);
  });

  it('answers one window as it was created', async () => {
    const window = await createWindow(onceFields(T0, T0 + HOUR));
    expect(await getWindow(window.id)).toEqual(window);
  });

  it('says active and next as of the time of the request', async () => {
    const window = await createWindow(onceFields(T0 + HOUR, T0 + 2 * HOUR));
    h.clock.advance(90 * MINUTE);
    expect(await getWindow(window.id)).toMatchObject({ active: true });
    h.clock.advance(HOUR);
    expect(await getWindow(window.id)).toMatchObject({ active: false, next: [] });
  });

  it('answers 404 for an id that is not a UUID', async () => {
    await expectApiError(await h.api('GET', '/maintenance/not-a-uuid'), 404, /maintenance window not found/);
  });

  it('lets a read-only key read', async () => {
    const window = await createWindow(onceFields(T0, T0 + HOUR));
    expect((await h.api('GET', '/maintenance', undefined, h.readOnlyKey)).status).toBe(200);
    expect((await h.api('GET', `/maintenance/${window.id}`, undefined, h.readOnlyKey)).status).toBe(200);
  });
});

describe('another project’s window', () => {
  it('answers 404 to GET, PATCH and DELETE, and leaves the window as it was', async () => {
    const theirs = await createWindow(onceFields(T0, T0 + HOUR), h.other.key);
    await expectApiError(
      await h.api('GET', `/maintenance/${theirs.id}`),
      404,
      /maintenance window not found/,
    );
    await expectApiError(await h.api('PATCH', `/maintenance/${theirs.id}`, { name: 'mine' }), 404);
    await expectApiError(await h.api('DELETE', `/maintenance/${theirs.id}`), 404);
    const still = await h.api('GET', `/maintenance/${theirs.id}`, undefined, h.other.key);
    expect(await json<MaintenanceView>(still)).toEqual(theirs);
  });
});

describe('read-only keys', () => {
  it('answers 403 to POST, PATCH and DELETE and changes nothing', async () => {
    const window = await createWindow(onceFields(T0, T0 + HOUR));
    const attempts: [string, string, unknown][] = [
      ['POST', '/maintenance', { name: 'x', ...onceFields(T0, T0 + HOUR) }],
      ['POST', '/maintenance/now?duration=600', undefined],
      ['PATCH', `/maintenance/${window.id}`, { name: 'y' }],
      ['DELETE', `/maintenance/${window.id}`, undefined],
    ];
    for (const [method, path, body] of attempts) {
      await expectApiError(await h.api(method, path, body, h.readOnlyKey), 403, /read-only/);
    }
    const { maintenance } = await json<{ maintenance: MaintenanceView[] }>(
      await h.api('GET', '/maintenance'),
    );
    expect(maintenance).toEqual([window]);
  });
});

describe('PATCH /maintenance/:id', () => {
  it('changes the name and keeps everything else', async () => {
    const window = await createWindow(onceFields(T0, T0 + HOUR));
    h.clock.advance(MINUTE);
    const res = await h.api('PATCH', `/maintenance/${window.id}`, { name: 'kernel upgrade' });
    expect(res.status).toBe(200);
    const changed = await json<MaintenanceView>(res);
    expect(changed).toEqual({ ...window, name: 'kernel upgrade', updated_at: iso(T0 + MINUTE) });
    expect(await getWindow(window.id)).toEqual(changed);
  });

  it('turns a one-off window into a recurring one when sent cron and duration', async () => {
    const window = await createWindow(onceFields(T0, T0 + HOUR));
    const res = await h.api('PATCH', `/maintenance/${window.id}`, { cron: '0 3 * * *', duration: 3600 });
    expect(res.status).toBe(200);
    const expected = {
      kind: 'recurring',
      starts_at: null,
      ends_at: null,
      cron: '0 3 * * *',
      duration: 3600,
      timezone: 'UTC',
      active: false,
      next: [
        { starts_at: iso(T0 + 15 * HOUR), ends_at: iso(T0 + 16 * HOUR) },
        { starts_at: iso(T0 + 15 * HOUR + DAY), ends_at: iso(T0 + 16 * HOUR + DAY) },
        { starts_at: iso(T0 + 15 * HOUR + 2 * DAY), ends_at: iso(T0 + 16 * HOUR + 2 * DAY) },
      ],
    };
    expect(await json<MaintenanceView>(res)).toMatchObject(expected);
    expect(await getWindow(window.id)).toMatchObject(expected);
  });

  it('turns a recurring window into a one-off one when sent starts_at and ends_at', async () => {
    const window = await createWindow({ cron: '0 2 * * 0', duration: 7200, timezone: 'Europe/Berlin' });
    const res = await h.api('PATCH', `/maintenance/${window.id}`, onceFields(T0, T0 + HOUR));
    expect(await json<MaintenanceView>(res)).toMatchObject({
      kind: 'once',
      starts_at: iso(T0),
      ends_at: iso(T0 + HOUR),
      cron: null,
      duration: null,
      timezone: null,
      active: true,
    });
  });

  it('answers 400 at ends_at when the merged window would end before it starts, and keeps it', async () => {
    const window = await createWindow(onceFields(T0, T0 + HOUR));
    const res = await h.api('PATCH', `/maintenance/${window.id}`, { ends_at: iso(T0 - HOUR) });
    await expectFieldError(res, 'ends_at', /must be after starts_at/);
    expect(await getWindow(window.id)).toEqual(window);
  });

  it('answers 400 at duration when a one-off window is sent a cron alone', async () => {
    const window = await createWindow(onceFields(T0, T0 + HOUR));
    const res = await h.api('PATCH', `/maintenance/${window.id}`, { cron: '0 3 * * *' });
    await expectFieldError(res, 'duration', /needs duration/);
  });

  it('answers 400 at duration for a recurring window sent a duration under 60 s', async () => {
    const window = await createWindow({ cron: '0 2 * * 0', duration: 7200 });
    const res = await h.api('PATCH', `/maintenance/${window.id}`, { duration: 30 });
    await expectFieldError(res, 'duration', /at least 60 s/);
  });

  it('answers 400 naming an unknown field', async () => {
    const window = await createWindow(onceFields(T0, T0 + HOUR));
    const res = await h.api('PATCH', `/maintenance/${window.id}`, { colour: 'red' });
    await expectApiError(res, 400, /unknown field "colour"/);
  });

  it('answers 400 for a check of another project', async () => {
    const window = await createWindow(onceFields(T0, T0 + HOUR));
    const theirs = await json<CheckView>(await h.api('POST', '/checks', { name: 'theirs' }, h.other.key));
    const res = await h.api('PATCH', `/maintenance/${window.id}`, { checks: [theirs.id] });
    await expectApiError(res, 400, /^checks: no check with id/);
    expect((await getWindow(window.id)).checks).toEqual([]);
  });
});

describe('DELETE /maintenance/:id', () => {
  it('deletes the window (204) so it is not found afterwards', async () => {
    const window = await createWindow(onceFields(T0, T0 + HOUR));
    const res = await h.api('DELETE', `/maintenance/${window.id}`);
    expect(res.status).toBe(204);
    await expectApiError(await h.api('GET', `/maintenance/${window.id}`), 404);
    const { maintenance } = await json<{ maintenance: MaintenanceView[] }>(
      await h.api('GET', '/maintenance'),
    );
    expect(maintenance).toEqual([]);
  });
});

describe('methods a path does not take', () => {
  it.each([
    ['PUT', '/maintenance', 'GET, POST'],
    ['PUT', '/maintenance/00000000-0000-4000-8000-000000000000', 'GET, PATCH, DELETE'],
    ['GET', '/maintenance/now', 'POST'],
    ['DELETE', '/maintenance/now', 'POST'],
    ['PUT', '/maintenance/now', 'POST'],
  ])('answers %s %s with 405 and Allow', async (method, path, allow) => {
    const res = await h.api(method, path);
    await expectApiError(res, 405, /not allowed here/);
    expect(res.headers.get('allow')).toBe(allow);
  });
});

describe('a window holds alerts', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(() => receiver.close());

  async function notifications(id: string): Promise<NotificationView[]> {
    const res = await h.api('GET', `/checks/${id}/notifications`);
    expect(res.status).toBe(200);
    return (await json<{ notifications: NotificationView[] }>(res)).notifications;
  }

  /** A check every 60 s with 30 s grace, pinged at T0, with a webhook channel that takes its alerts. */
  async function pingedCheck(fields: Record<string, unknown> = {}): Promise<CheckView> {
    const channel = await h.api('POST', '/channels', {
      kind: 'webhook',
      name: 'hook',
      config: { url: `${receiver.url}/hook` },
    });
    expect(channel.status).toBe(201);
    const check = await createCheck(h, {
      name: 'heartbeat',
      schedule: { kind: 'interval', period: 60, grace: 30 },
      ...fields,
    });
    expect((await h.app.request(`/ping/${check.id}`)).status).toBe(200);
    return check;
  }

  /** Moves the clock to `t` and runs the deadline sweep there. */
  async function sweepAt(t: number): Promise<void> {
    h.clock.set(t);
    await h.scheduler.sweep(t);
  }

  it('holds the down alert while it runs, then gives a fresh grace once it is deleted, then sends it', async () => {
    const check = await pingedCheck();
    const window = await quietNow('?duration=600');

    // deadline T0+60 s, grace 30 s: down from T0+90 s
    await sweepAt(T0 + 91 * SECOND);
    let [flip] = await listFlips(h, check.id);
    expect(flip).toMatchObject({
      from: 'up',
      to: 'down',
      event: 'down',
      alert: 'held',
      release_at: iso(T0 + 10 * MINUTE),
    });
    expect(flip!.alert_note).toContain('"quiet for 10 minutes"');
    expect(await notifications(check.id)).toEqual([]);

    // deleting the window brings the release forward to now
    const deletedAt = T0 + 2 * MINUTE;
    h.clock.set(deletedAt);
    expect((await h.api('DELETE', `/maintenance/${window.id}`)).status).toBe(204);
    [flip] = await listFlips(h, check.id);
    expect(flip!.alert).toBe('held');
    expect(Date.parse(flip!.release_at!)).toBeLessThanOrEqual(deletedAt);

    // the pings were missed during the window: a fresh grace of 30 s before the alert
    await h.scheduler.runTimers(deletedAt);
    [flip] = await listFlips(h, check.id);
    expect(flip).toMatchObject({ alert: 'grace', release_at: iso(deletedAt + 30 * SECOND) });
    expect(await notifications(check.id)).toEqual([]);

    h.clock.set(deletedAt + 29 * SECOND);
    await h.scheduler.runTimers(h.clock.now());
    expect((await listFlips(h, check.id))[0]!.alert).toBe('grace');

    h.clock.set(deletedAt + 30 * SECOND);
    await h.scheduler.runTimers(h.clock.now());
    [flip] = await listFlips(h, check.id);
    expect(flip).toMatchObject({ alert: 'released', release_at: null });
    const queued = await notifications(check.id);
    expect(queued.map((n) => [n.event, n.status])).toEqual([['down', 'pending']]);

    await h.dispatcher.runOnce(h.clock.now());
    expect(receiver.requests).toHaveLength(1);
    expect(JSON.parse(receiver.requests[0]!.body.toString('utf8'))).toMatchObject({ event: 'down' });
  });

  it('keeps holding while it runs: the timers leave a held alert alone until its release time', async () => {
    const check = await pingedCheck();
    await quietNow('?duration=600');
    await sweepAt(T0 + 91 * SECOND);
    h.clock.set(T0 + 5 * MINUTE);
    await h.scheduler.runTimers(h.clock.now());
    expect((await listFlips(h, check.id))[0]).toMatchObject({
      alert: 'held',
      release_at: iso(T0 + 10 * MINUTE),
    });
    expect(await notifications(check.id)).toEqual([]);
  });

  it('holds the alert of a check it names by its id in upper case, as the checks API accepts it', async () => {
    const check = await pingedCheck();
    await quietNow('?duration=600', { checks: [check.id.toUpperCase()] });
    await sweepAt(T0 + 91 * SECOND);
    expect((await listFlips(h, check.id))[0]).toMatchObject({ to: 'down', alert: 'held' });
    expect(await notifications(check.id)).toEqual([]);
  });

  it('does not hold the alert of a check outside its scope', async () => {
    const check = await pingedCheck({ tags: ['web'] });
    await quietNow('?duration=600', { tags: ['db'] });
    await sweepAt(T0 + 91 * SECOND);
    expect((await listFlips(h, check.id))[0]).toMatchObject({
      to: 'down',
      alert: 'queued',
      release_at: null,
    });
    expect((await notifications(check.id)).map((n) => n.event)).toEqual(['down']);
  });
});
