// The project-token pulse API, mapped onto ordinary checks tagged "pulse".
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { type CheckView, json, listFlips, listPings } from './api-helpers.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

function call(method: string, path: string, body?: unknown, token: string | null = h.key): Promise<Response> {
  return Promise.resolve(
    h.app.request(path, {
      method,
      headers: {
        ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

const config = (checks: unknown[]) => call('PUT', '/api/config', { checks });
const pulse = (body: Record<string, unknown>, token?: string) => call('POST', '/api/pulse', body, token);

async function checkBySlug(slug: string): Promise<CheckView> {
  const res = await h.api('GET', `/checks?slug=${encodeURIComponent(slug)}`);
  const [check] = (await json<{ checks: CheckView[] }>(res)).checks;
  expect(check).toBeDefined();
  return check!;
}

interface PulseStatusView {
  projects: { id: string; name: string }[];
  checks: Record<string, unknown>[];
}

async function status(): Promise<PulseStatusView> {
  const res = await call('GET', '/api/status');
  expect(res.status).toBe(200);
  return json<PulseStatusView>(res);
}

describe('authentication', () => {
  it('answers 401 Unauthorized without a token', async () => {
    const res = await call('GET', '/api/status', undefined, null);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Unauthorized' });
  });

  it('answers 403 Invalid Token for a token it does not know', async () => {
    const res = await call('GET', '/api/status', undefined, 'vgl_not-a-real-key');
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'Invalid Token' });
  });

  it('lets a read-only token read the status but not write', async () => {
    expect((await call('GET', '/api/status', undefined, h.readOnlyKey)).status).toBe(200);
    const res = await call('PUT', '/api/config', { checks: [] }, h.readOnlyKey);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'Read-only Token' });
  });

  it('answers 400 Invalid JSON for a body that is not JSON', async () => {
    const res = await call('PUT', '/api/config', '{"checks": [');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'Invalid JSON', details: expect.any(String) });
  });
});

describe('PUT /api/config', () => {
  it('creates checks by name with the documented defaults', async () => {
    const res = await config([{ name: 'nightly-etl', display_name: 'Nightly ETL' }]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, count: 1 });
    expect(await checkBySlug('nightly-etl')).toMatchObject({
      name: 'Nightly ETL',
      tags: ['pulse'],
      schedule: { kind: 'interval', period: 300, grace: 60 },
      failure_threshold: 1,
      realert_every: 900,
    });
  });

  it('maps type, interval, grace, threshold and cooldown', async () => {
    await config([
      { name: 'api', type: 'heartbeat', interval: 60, grace: 10, threshold: 3, cooldown: 3600 },
      { name: 'payments', type: 'event', cooldown: 0 },
    ]);
    expect(await checkBySlug('api')).toMatchObject({
      name: 'api',
      schedule: { kind: 'interval', period: 60, grace: 10 },
      failure_threshold: 3,
      realert_every: 3600,
    });
    expect(await checkBySlug('payments')).toMatchObject({ schedule: { kind: 'none' }, realert_every: null });
  });

  it('updates a check that has the name already instead of adding one', async () => {
    await config([{ name: 'api', interval: 60 }]);
    const first = await checkBySlug('api');
    const res = await config([{ name: 'api', display_name: 'API', interval: 120 }]);
    expect(await res.json()).toEqual({ success: true, count: 1 });
    const again = await checkBySlug('api');
    expect(again.id).toBe(first.id);
    expect(again).toMatchObject({ name: 'API', schedule: { kind: 'interval', period: 120 } });
  });

  it('shows the checks in the checks API like any other', async () => {
    await config([{ name: 'api' }, { name: 'worker' }]);
    const res = await h.api('GET', '/checks?tag=pulse');
    const { checks } = await json<{ checks: CheckView[] }>(res);
    expect(checks.map((c) => c.slug).sort()).toEqual(['api', 'worker']);
  });

  it('answers 400 with details naming the field for an invalid config', async () => {
    const res = await config([{ name: 'Not A Slug', interval: 0 }]);
    expect(res.status).toBe(400);
    const body = await json<{ error: string; details: string }>(res);
    expect(body.error).toBe('Invalid config');
    expect(body.details).toMatch(/checks\.0\.name/);
    expect(body.details).toMatch(/checks\.0\.interval/);
  });

  it('refuses a name given twice', async () => {
    const res = await config([{ name: 'api' }, { name: 'api' }]);
    expect(res.status).toBe(400);
    expect((await json<{ details: string }>(res)).details).toMatch(/checks\.1\.name: named twice/);
  });
});

describe('POST /api/pulse', () => {
  beforeEach(async () => {
    await config([{ name: 'api', interval: 60, grace: 30 }]);
  });

  it('records an ok pulse as a success ping with its message and latency', async () => {
    const res = await pulse({ check_name: 'api', status: 'ok', message: 'all good', latency: 123.4 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true });
    const check = await checkBySlug('api');
    expect(check.status).toBe('up');
    const [ping] = await listPings(h, check.id);
    expect(ping).toMatchObject({ kind: 'success', body: 'all good', duration_ms: 123 });
  });

  it('records an error pulse as a failure that makes the check down', async () => {
    await pulse({ check_name: 'api', status: 'error', message: 'timeout talking to db' });
    const check = await checkBySlug('api');
    expect(check.status).toBe('down');
    const [flip] = await listFlips(h, check.id);
    expect(flip).toMatchObject({ to: 'down', event: 'failed' });
  });

  it('answers 404 for a check that was never registered', async () => {
    const res = await pulse({ check_name: 'nope', status: 'ok' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Check not found (please register first)' });
  });

  it('answers 400 for an unknown status', async () => {
    const res = await pulse({ check_name: 'api', status: 'fine' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'Invalid pulse', details: expect.stringMatching(/^status: /) });
  });

  it('does not reach another project’s check of the same name', async () => {
    const res = await pulse({ check_name: 'api', status: 'ok' }, h.other.key);
    expect(res.status).toBe(404);
  });
});

describe('GET /api/status', () => {
  it('lists the project and its pulse checks, never a token', async () => {
    await config([
      { name: 'api', display_name: 'API', interval: 60, grace: 30 },
      { name: 'payments', type: 'event' },
      { name: 'worker', interval: 60, grace: 30 },
    ]);
    h.clock.set(T0 + 10 * SECOND);
    await pulse({ check_name: 'api', status: 'ok', message: 'fine' });
    await pulse({ check_name: 'payments', status: 'error', message: 'card declined' });
    await pulse({ check_name: 'worker', status: 'ok' });
    // the worker stops: down by missed pings
    h.clock.set(T0 + 2 * MINUTE);
    await pulse({ check_name: 'api', status: 'ok', message: 'still fine' });
    await h.scheduler.sweep(h.clock.now());

    const body = await status();
    expect(body.projects).toEqual([{ id: h.project.id, name: 'main' }]);
    expect(body.checks).toEqual([
      {
        name: 'api',
        display_name: 'API',
        type: 'heartbeat',
        status: 'ok',
        failure_count: 0,
        last_seen: (T0 + 2 * MINUTE) / 1000,
        last_message: 'still fine',
      },
      {
        name: 'payments',
        display_name: 'payments',
        type: 'event',
        status: 'error',
        failure_count: 1,
        last_seen: (T0 + 10 * SECOND) / 1000,
        last_message: 'card declined',
      },
      {
        name: 'worker',
        display_name: 'worker',
        type: 'heartbeat',
        status: 'dead',
        failure_count: 0,
        last_seen: (T0 + 10 * SECOND) / 1000,
        last_message: null,
      },
    ]);
    const text = JSON.stringify(body);
    expect(text).not.toContain(h.key);
    expect(text).not.toContain(h.project.pingKey);
  });

  it('shows a check that was never pulsed as ok with nothing seen', async () => {
    await config([{ name: 'api' }]);
    expect((await status()).checks).toEqual([
      expect.objectContaining({ status: 'ok', last_seen: null, last_message: null }),
    ]);
  });
});

describe('POST /api/maintenance/:projectId', () => {
  async function windows() {
    const res = await h.api('GET', '/maintenance');
    return (await json<{ maintenance: { name: string; active: boolean; ends_at: string }[] }>(res))
      .maintenance;
  }

  it('opens a quiet window for the whole project for the duration', async () => {
    const res = await call('POST', `/api/maintenance/${h.project.id}?duration=600`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, mode: 'maintenance' });
    const [window] = await windows();
    expect(window).toMatchObject({
      active: true,
      checks: [],
      tags: [],
      ends_at: new Date(T0 + 10 * MINUTE).toISOString(),
    });
  });

  it('holds the alerts of a check that goes down meanwhile', async () => {
    await config([{ name: 'api', interval: 60, grace: 30 }]);
    await pulse({ check_name: 'api', status: 'ok' });
    await call('POST', `/api/maintenance/${h.project.id}?duration=600`);
    await pulse({ check_name: 'api', status: 'error' });
    const [flip] = await listFlips(h, (await checkBySlug('api')).id);
    expect(flip).toMatchObject({ to: 'down', alert: 'held' });
  });

  it('ends the window with duration=0, and a new call replaces the last', async () => {
    await call('POST', `/api/maintenance/${h.project.id}?duration=600`);
    await call('POST', `/api/maintenance/${h.project.id}?duration=1200`);
    expect(await windows()).toHaveLength(1);
    const res = await call('POST', `/api/maintenance/${h.project.id}?duration=0`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, mode: 'active' });
    expect(await windows()).toEqual([]);
  });

  it('leaves windows made another way alone', async () => {
    expect((await h.api('POST', '/maintenance/now?duration=600')).status).toBe(201);
    await call('POST', `/api/maintenance/${h.project.id}?duration=0`);
    expect(await windows()).toHaveLength(1);
  });

  it('answers 403 Invalid Token for another project’s token', async () => {
    const res = await call('POST', `/api/maintenance/${h.project.id}?duration=600`, undefined, h.other.key);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'Invalid Token' });
    expect(await windows()).toEqual([]);
  });

  it('answers 400 for a duration that is not a number of seconds', async () => {
    const res = await call('POST', `/api/maintenance/${h.project.id}?duration=soon`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'Invalid duration' });
  });
});
