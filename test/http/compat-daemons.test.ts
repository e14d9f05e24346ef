// The daemon registry API: daemons are interval checks (slug daemon/<id>, tag "daemon") whose
// interval is the stale-after time.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { type CheckView, json, listFlips } from './api-helpers.ts';

const SECOND = 1000;
const DAY = 86_400 * SECOND;

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

function call(method: string, path: string, body?: unknown, key: string | null = h.key) {
  return Promise.resolve(
    h.app.request(`/api/daemon${path}`, {
      method,
      headers: {
        ...(key === null ? {} : { 'X-API-Key': key }),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

const register = (daemonId = 'worker-1', fields: Record<string, unknown> = {}) =>
  call('POST', '/register', {
    daemonId,
    version: '1.4.2',
    capabilities: ['email', 'pdf'],
    pollInterval: 5000,
    registeredAt: '2026-01-05T11:59:00.000Z',
    ...fields,
  });

const heartbeat = (status: string, fields: Record<string, unknown> = {}) =>
  call('POST', '/heartbeat', {
    daemonId: 'worker-1',
    status,
    tasksProcessed: 12,
    currentTask: 'render invoice 42',
    lastHeartbeat: new Date(h.clock.now()).toISOString(),
    ...fields,
  });

interface Health {
  activeDaemons: Record<string, unknown>[];
  stale: Record<string, unknown>[];
  totalActive: number;
}

async function health(): Promise<Health> {
  const res = await call('GET', '/health');
  expect(res.status).toBe(200);
  return json<Health>(res);
}

async function daemonCheck(daemonId = 'worker-1'): Promise<CheckView> {
  const res = await h.api('GET', `/checks?slug=daemon/${daemonId}`);
  const [check] = (await json<{ checks: CheckView[] }>(res)).checks;
  expect(check).toBeDefined();
  return check!;
}

async function channel(name: string, events?: string[]): Promise<string> {
  const res = await h.api('POST', '/channels', {
    kind: 'webhook',
    name,
    config: { url: `http://127.0.0.1:9/${name}` },
    ...(events ? { events } : {}),
  });
  expect(res.status).toBe(201);
  return (await json<{ id: string }>(res)).id;
}

describe('authentication', () => {
  it('answers 401 without a key, with a wrong key and with a Bearer token', async () => {
    for (const res of [
      await call('GET', '/health', undefined, null),
      await call('GET', '/health', undefined, 'vgl_wrong'),
      await Promise.resolve(
        h.app.request('/api/daemon/health', { headers: { Authorization: `Bearer ${h.key}` } }),
      ),
    ]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'Unauthorized' });
    }
  });

  it('answers 400 Invalid JSON for a body that is not JSON', async () => {
    const res = await call('POST', '/register', 'daemonId=worker-1');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'Invalid JSON', details: expect.any(String) });
  });
});

describe('POST /api/daemon/register', () => {
  it('registers a daemon as a check and answers 201', async () => {
    const res = await register();
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({
      success: true,
      daemonId: 'worker-1',
      registeredAt: '2026-01-05T11:59:00.000Z',
    });
    expect(await daemonCheck()).toMatchObject({
      name: 'daemon worker-1',
      slug: 'daemon/worker-1',
      tags: ['daemon'],
      schedule: { kind: 'interval', period: 60, grace: 0 },
      status: 'new',
    });
  });

  it('updates the registration when the daemon registers again', async () => {
    await register();
    const first = await daemonCheck();
    const res = await register('worker-1', { version: '1.5.0', capabilities: ['email'] });
    expect(res.status).toBe(201);
    expect((await daemonCheck()).id).toBe(first.id);
    expect((await health()).activeDaemons).toEqual([
      expect.objectContaining({ version: '1.5.0', capabilities: ['email'] }),
    ]);
  });

  it('answers 400 for an id that cannot be a slug part', async () => {
    for (const daemonId of ['', 'has space', 'log']) {
      const res = await register(daemonId);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'Invalid registration' });
    }
  });

  it('answers 403 to a read-only key', async () => {
    const res = await call('POST', '/register', { daemonId: 'w' }, h.readOnlyKey);
    expect(res.status).toBe(403);
  });
});

describe('a daemon id whose check a source discovered', () => {
  it('is refused with a 400 saying why, and the check keeps its name and schedule', async () => {
    // a pg_cron source named "daemon" with a job "worker-9" owns the slug daemon/worker-9
    const created = await json<CheckView>(
      await h.api('POST', '/checks', {
        slug: 'daemon/worker-9',
        schedule: { kind: 'interval', period: 600 },
      }),
    );
    const row = (await h.store.getCheck(created.id))!;
    const origin = { sourceId: crypto.randomUUID(), sourceKey: '9', details: {} };
    await h.store.updateCheck({ ...row, origin, rev: row.rev + 1 }, row.rev);

    const res = await register('worker-9');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; details: string };
    expect(body.error).toBe('Invalid request');
    expect(body.details).toMatch(/^name: set by the source .* that discovered this check/);
    expect(await h.store.getCheck(created.id)).toMatchObject({ name: row.name, schedule: row.schedule });
  });
});

describe('POST /api/daemon/heartbeat', () => {
  beforeEach(async () => {
    await register();
  });

  it('records a healthy heartbeat as a success ping', async () => {
    const res = await heartbeat('healthy');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true });
    expect((await daemonCheck()).status).toBe('up');
  });

  it('records an unhealthy heartbeat as a failure', async () => {
    await heartbeat('unhealthy');
    const check = await daemonCheck();
    expect(check.status).toBe('down');
    expect((await listFlips(h, check.id))[0]).toMatchObject({ event: 'failed' });
  });

  it('answers 404 for a daemon that never registered', async () => {
    const res = await heartbeat('healthy', { daemonId: 'ghost' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Daemon not registered' });
  });

  it('answers 400 for an unknown status', async () => {
    const res = await heartbeat('sleepy');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'Invalid heartbeat' });
  });

  it('alerts a degraded daemon only through channels that take "late" events', async () => {
    const lateOnly = await channel('late-only', ['late']);
    const downOnly = await channel('down-only');
    await heartbeat('healthy');
    h.clock.set(T0 + 10 * SECOND);
    await heartbeat('degraded');

    const check = await daemonCheck();
    expect(check.status).toBe('late');
    const notes = await h.store.listNotifications(check.id, 10);
    expect(notes.map((n) => [n.channelId, n.event])).toEqual([[lateOnly, 'late']]);
    expect(notes.map((n) => n.channelId)).not.toContain(downOnly);
  });
});

describe('the warning ping behind "degraded"', () => {
  it('is not accepted by the public ping routes', async () => {
    await register();
    const check = await daemonCheck();
    expect((await h.app.request(`/ping/${check.id}/warn`)).status).toBe(404);
    expect((await h.app.request(`/ping/${h.project.pingKey}/daemon/worker-1/warn`)).status).toBe(404);
    expect((await daemonCheck()).status).toBe('new');
  });
});

describe('GET /api/daemon/health', () => {
  it('lists a daemon with its registration and last heartbeat', async () => {
    await register();
    await heartbeat('healthy');
    expect(await health()).toEqual({
      activeDaemons: [
        {
          daemonId: 'worker-1',
          version: '1.4.2',
          capabilities: ['email', 'pdf'],
          pollInterval: 5000,
          registeredAt: '2026-01-05T11:59:00.000Z',
          lastHeartbeat: new Date(T0).toISOString(),
          status: 'healthy',
          tasksProcessed: 12,
          currentTask: 'render invoice 42',
        },
      ],
      stale: [],
      totalActive: 1,
    });
  });

  it('calls a daemon stale after 60 s without a heartbeat, and forgets it after a week', async () => {
    await register();
    await heartbeat('healthy');
    h.clock.set(T0 + 61 * SECOND);
    let body = await health();
    expect(body).toMatchObject({ activeDaemons: [], totalActive: 0 });
    expect(body.stale).toEqual([expect.objectContaining({ daemonId: 'worker-1', status: 'healthy' })]);

    h.clock.set(T0 + 8 * DAY);
    body = await health();
    expect(body).toEqual({ activeDaemons: [], stale: [], totalActive: 0 });
    // the check and its history stay
    expect((await daemonCheck()).slug).toBe('daemon/worker-1');
  });

  it('shows only the key’s project', async () => {
    await register();
    const res = await call('GET', '/health', undefined, h.other.key);
    expect(await res.json()).toEqual({ activeDaemons: [], stale: [], totalActive: 0 });
  });
});

describe('a daemon that stops sending heartbeats', () => {
  it('goes down at the stale-after time and queues an alert through a channel', async () => {
    const hook = await channel('hook');
    await register();
    await heartbeat('healthy');
    h.clock.set(T0 + 60 * SECOND);
    await h.scheduler.sweep(h.clock.now());
    const check = await daemonCheck();
    expect(check.status).toBe('down');
    const notes = await h.store.listNotifications(check.id, 10);
    expect(notes.map((n) => [n.channelId, n.event])).toEqual([[hook, 'down']]);
  });
});

describe('VIGIL_DAEMON_STALE_AFTER', () => {
  it('defaults to 60 seconds and can be set', () => {
    expect(loadConfig({}).daemonStaleAfter).toBe(60);
    expect(loadConfig({ VIGIL_DAEMON_STALE_AFTER: '300' }).daemonStaleAfter).toBe(300);
  });

  it('refuses a value below 10 seconds, naming the variable', () => {
    expect(() => loadConfig({ VIGIL_DAEMON_STALE_AFTER: '5' })).toThrow(ConfigError);
    expect(() => loadConfig({ VIGIL_DAEMON_STALE_AFTER: '5' })).toThrow(/VIGIL_DAEMON_STALE_AFTER/);
  });
});
