// vigil on Cloudflare Workers, end to end: the bundle wrangler builds, run in workerd with a
// local D1 database, its clock Durable Object and the cron trigger. Alerts reach a real HTTP
// receiver on loopback. The same app as on Node, so these check the Workers shell: that every
// part of the app answers there, that the clock delivers on time by itself, and what Workers
// cannot do is refused, saying why.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/notifiers/webhook.ts';
import { openD1Store } from '../../src/store/d1/d1-store.ts';
import { type Receiver, startReceiver } from '../e2e/receiver.ts';
import { type Bundle, buildWorker, type RunningWorker, runWorker } from './worker-harness.ts';

const KEY = 'vgl_worker-test-key-0123456789abcdef';
const ADMIN = { email: 'admin@example.com', password: 'correct horse battery' };
/** a Worker secret, as `openssl rand -base64 32 | npx wrangler secret put VIGIL_SECRET_KEY` sets it */
const SECRET_KEY = 'q9n3d0V1hVZ8m2r5yJ4kWcXbT7sLpA6uE1fGiHoRzN0=';

let bundle: Bundle;
let worker: RunningWorker;
let receiver: Receiver;

beforeAll(async () => {
  [bundle, receiver] = await Promise.all([buildWorker(), startReceiver()]);
  worker = await runWorker(bundle, {
    VIGIL_BASE_URL: 'https://vigil.test',
    VIGIL_BOOTSTRAP_KEY: KEY,
    VIGIL_ADMIN_EMAIL: ADMIN.email,
    VIGIL_ADMIN_PASSWORD: ADMIN.password,
    VIGIL_SECRET_KEY: SECRET_KEY,
    // the receiver is on 127.0.0.1
    VIGIL_ALLOW_PRIVATE_URLS: 'true',
    VIGIL_LOG_LEVEL: 'warn',
  });
});

afterAll(async () => {
  await worker?.close();
  await receiver?.close();
  bundle?.remove();
});

/** /api/v1 of a running Worker, with the bootstrap key. */
function apiOn(w: RunningWorker) {
  return (method: string, path: string, body?: unknown): Promise<Response> =>
    w.fetch(`/api/v1${path}`, {
      method,
      headers: { 'X-Api-Key': KEY, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}

/** A Worker of a spec's own (its own D1 and clock), bootstrapped with KEY; close it after. */
function ownWorker(env: Record<string, string> = {}): Promise<RunningWorker> {
  return runWorker(bundle, {
    VIGIL_BASE_URL: 'https://vigil.test',
    VIGIL_BOOTSTRAP_KEY: KEY,
    VIGIL_ALLOW_PRIVATE_URLS: 'true',
    VIGIL_LOG_LEVEL: 'warn',
    ...env,
  });
}

function api(method: string, path: string, body?: unknown): Promise<Response> {
  return apiOn(worker)(method, path, body);
}

async function json<T>(res: Response | Promise<Response>): Promise<T> {
  return (await res).json() as Promise<T>;
}

/** Signs the admin in through the sign-in form; returns the session cookie. */
async function signIn(): Promise<string> {
  const form = await worker.fetch('/login');
  const csrf = /vigil_login_csrf=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')?.[1];
  expect(csrf).toBeDefined();
  const res = await worker.fetch('/login', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', cookie: `vigil_login_csrf=${csrf}` },
    body: new URLSearchParams({ ...ADMIN, _csrf: csrf! }).toString(),
  });
  expect(res.status).toBe(303);
  const session = /vigil_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0];
  expect(session).toBeDefined();
  return session!;
}

async function createCheck(fields: Record<string, unknown>): Promise<{ id: string; ping_url: string }> {
  const res = await api('POST', '/checks', fields);
  expect(res.status).toBe(201);
  return json(res);
}

describe('the bundle', () => {
  it('leaves the Node-only code and libraries out', () => {
    const code = readFileSync(join(bundle.dir, 'index.js'), 'utf8');
    // esbuild marks where each module starts with a comment naming its file
    expect(code).toContain('// src/runtimes/workers/index.ts');
    const nodeOnly = [
      'src/server.ts',
      'src/config.ts',
      // the key file: a Worker's key is a secret, and it has no disk
      'src/secrets/key-file.ts',
      'src/node/',
      'src/cli/',
      'src/store/sqlite/sqlite-store.ts',
      'src/store/postgres/',
      ...['better-sqlite3', 'pg', 'pg-pool', 'nodemailer', 'pino', '@hono/node-server'].map(
        (lib) => `node_modules/${lib}/`,
      ),
    ];
    for (const path of nodeOnly) expect(code, path).not.toContain(`// ${path}`);
  });

  it('answers every request with a 500 that names a bad variable', async () => {
    const bad = await runWorker(
      bundle,
      { VIGIL_PING_RETENTION: 'lots', VIGIL_SMTP_HOST: 'smtp.example.com' },
      { quiet: true },
    );
    try {
      const res = await bad.fetch('/healthz');
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).toContain('VIGIL_SMTP_HOST: the Workers build of vigil has no SMTP client');
      expect(text).toContain('VIGIL_PING_RETENTION: ');
      expect((await bad.fetch('/ping/anything/job')).status).toBe(500);
    } finally {
      await bad.close();
    }
  });

  it('says to apply the migrations when the database has none', async () => {
    const empty = await runWorker(bundle, {}, { migrate: false, quiet: true });
    try {
      const res = await empty.fetch('/api/v1/checks');
      expect(res.status).toBe(500);
      expect(await res.text()).toContain('wrangler d1 migrations apply');
    } finally {
      await empty.close();
    }
  });
});

describe('first start', () => {
  it('makes the default project with VIGIL_BOOTSTRAP_KEY as its API key', async () => {
    const res = await api('GET', '/project');
    expect(res.status).toBe(200);
    expect(await json<{ name: string }>(res)).toMatchObject({ name: 'default' });
  });

  it('runs a pass of the clock on the cron trigger, which /healthz then reports', async () => {
    await worker.cron();
    const health = await json<{ ok: boolean; engine: string; scheduler: { ok: boolean } }>(
      worker.fetch('/healthz'),
    );
    expect(health).toMatchObject({ ok: true, engine: 'd1', runtime: 'workers', scheduler: { ok: true } });
  });
});

// The four specs below wait on the real clock (for deadlines, a probe's slot), each in a Worker
// of its own (or the shared one, which no other spec uses meanwhile) and with a receiver path
// of its own: they wait at the same time.
describe.concurrent('alerts', () => {
  it('sends the signed down alert when the deadline passes, and the recovery after the next ping', async () => {
    const channel = await json<{ id: string; config: { secret: string } }>(
      api('POST', '/channels', { kind: 'webhook', name: 'ops', config: { url: `${receiver.url}hook` } }),
    );
    // sealed in D1 with VIGIL_SECRET_KEY; the clock opens it to sign the alert below
    const [row] = (
      await worker.db
        .prepare('SELECT config FROM channels WHERE id = ?')
        .bind(channel.id)
        .all<{ config: string }>()
    ).results;
    expect(row?.config).toMatch(/^enc:v1:/);
    expect(row?.config).not.toContain(channel.config.secret);
    expect(row?.config).not.toContain('127.0.0.1');
    const check = await createCheck({
      name: 'nightly backup',
      schedule: { kind: 'interval', period: 2, grace: 1 },
      channels: [channel.id],
    });
    expect((await worker.fetch(`/ping/${check.id}`)).status).toBe(200);

    // no trigger: the clock's alarm is set to the deadline and fires by itself
    const down = await receiver.next(
      (d) => d.url === '/hook' && d.headers['x-vigil-event'] === 'down',
      20_000,
    );
    expect(
      await verifySignature(channel.config.secret, down.body, down.headers['x-vigil-signature'] as string),
    ).toBe(true);
    expect(JSON.parse(down.body)).toMatchObject({
      event: 'down',
      check: { id: check.id, name: 'nightly backup' },
    });

    expect((await worker.fetch(`/ping/${check.id}`)).status).toBe(200);
    const up = await receiver.next((d) => d.url === '/hook' && d.headers['x-vigil-event'] === 'up', 20_000);
    expect(JSON.parse(up.body)).toMatchObject({ event: 'up', check: { id: check.id } });
  });
});

describe.concurrent('the clock on the cron trigger alone (VIGIL_CLOCK_ALARMS=false)', () => {
  it('leaves a passed deadline to the next cron pass, which sends the alert', async () => {
    const cronOnly = await ownWorker({ VIGIL_CLOCK_ALARMS: 'false' });
    try {
      const call = apiOn(cronOnly);
      const channel = await json<{ id: string }>(
        call('POST', '/channels', { kind: 'webhook', name: 'cron', config: { url: `${receiver.url}cron` } }),
      );
      const check = await json<{ id: string }>(
        call('POST', '/checks', {
          name: 'cron only',
          schedule: { kind: 'interval', period: 1, grace: 1 },
          channels: [channel.id],
        }),
      );
      expect((await cronOnly.fetch(`/ping/${check.id}`)).status).toBe(200);
      const isDown = (d: { url: string; headers: Record<string, unknown> }) =>
        d.url === '/cron' && d.headers['x-vigil-event'] === 'down';
      // well past the deadline (2 s): no alarm, so no alert yet
      await new Promise((resolve) => setTimeout(resolve, 3500));
      expect((await json<{ status: string }>(call('GET', `/checks/${check.id}`))).status).toBe('up');
      await expect(receiver.next(isDown, 100, 'matching delivery')).rejects.toThrow(/no matching delivery/);
      await cronOnly.cron();
      const down = await receiver.next(isDown, 10_000);
      expect(JSON.parse(down.body)).toMatchObject({ event: 'down', check: { id: check.id } });
    } finally {
      await cronOnly.close();
    }
  });
});

describe.concurrent('held alerts', () => {
  it('releases an alert held by maintenance as soon as the window is deleted, without waiting for the cron', async () => {
    const fresh = await ownWorker();
    try {
      const call = apiOn(fresh);
      const channel = await json<{ id: string }>(
        call('POST', '/channels', { kind: 'webhook', name: 'held', config: { url: `${receiver.url}held` } }),
      );
      const check = await json<{ id: string }>(
        call('POST', '/checks', {
          name: 'held job',
          schedule: { kind: 'interval', period: 1, grace: 1 },
          channels: [channel.id],
        }),
      );
      const window = await json<{ id: string }>(call('POST', '/maintenance/now?duration=3600'));
      expect((await fresh.fetch(`/ping/${check.id}`)).status).toBe(200);
      // the alarm takes it down at its deadline; the window holds the alert
      let status = '';
      for (let i = 0; i < 50 && status !== 'down'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        status = (await json<{ status: string }>(call('GET', `/checks/${check.id}`))).status;
      }
      expect(status).toBe('down');
      const isDown = (d: { url: string; headers: Record<string, unknown> }) =>
        d.url === '/held' && d.headers['x-vigil-event'] === 'down';
      await expect(receiver.next(isDown, 300, 'matching delivery')).rejects.toThrow(/no matching delivery/);

      // the next pass without a wake would be up to a minute away; the delete wakes the clock
      expect((await call('DELETE', `/maintenance/${window.id}`)).status).toBe(204);
      const down = await receiver.next(isDown, 10_000);
      expect(JSON.parse(down.body)).toMatchObject({ event: 'down', check: { id: check.id } });
    } finally {
      await fresh.close();
    }
  });
});

describe.concurrent('probes', () => {
  it('probes an http check from the clock at its first slot and records the answer as a ping', async () => {
    // a Worker of its own: the cron pass below must not run the clock the alerts spec watches
    const own = await ownWorker();
    try {
      const call = apiOn(own);
      const made = await call('POST', '/checks', {
        name: 'site',
        kind: 'http',
        schedule: { kind: 'interval', period: 10, grace: 10 },
        probe: { url: `${receiver.url}health`, timeout: 5 },
      });
      expect(made.status).toBe(201);
      const check = await json<{ id: string }>(made);
      // the first slot is somewhere in the first period; the clock is woken for it
      const probe = await receiver.next((d) => d.url === '/health', 20_000);
      expect(probe.headers['user-agent']).toBe('vigil-probe');
      // a cron pass runs after the clock's pass in progress, so once it is done the result is stored
      await own.cron();
      const { pings } = await json<{ pings: { method: string; kind: string }[] }>(
        call('GET', `/checks/${check.id}/pings`),
      );
      expect(pings[0]).toMatchObject({ method: 'PROBE', kind: 'success' });
    } finally {
      await own.close();
    }
  });
});

describe('pings', () => {
  it('answers the Healthchecks-compatible ping URLs', async () => {
    const check = await createCheck({ name: 'job', schedule: { kind: 'interval', period: 3600 } });
    expect(await (await worker.fetch(`/ping/${check.id}/start`)).text()).toBe('OK');
    const fail = await worker.fetch(`/ping/${check.id}/1`, { method: 'POST', body: 'exit 1: disk full' });
    expect(fail.status).toBe(200);
    expect(fail.headers.get('ping-body-limit')).toBe(String(100 * 1024));
    expect((await worker.fetch(`/ping/${check.id}/fail`, { method: 'HEAD' })).status).toBe(200);
    expect((await worker.fetch('/ping/00000000-0000-4000-8000-000000000000')).status).toBe(404);

    const pings = await json<{ pings: { kind: string; body: string | null }[] }>(
      api('GET', `/checks/${check.id}/pings`),
    );
    expect(pings.pings.map((p) => p.kind)).toEqual(['fail', 'exit', 'start']);
    expect(pings.pings[1]!.body).toBe('exit 1: disk full');
  });

  it('creates a check by slug with ?create=1 under the project ping key', async () => {
    const check = await json<{ ping_urls: { by_slug: string } }>(
      api('GET', `/checks/${(await createCheck({ name: 'any' })).id}`),
    );
    const bySlug = new URL(check.ping_urls.by_slug).pathname.replace(/\/[^/]+$/, '/made-by-ping');
    const created = await worker.fetch(`${bySlug}?create=1`);
    expect(created.status).toBe(201);
    expect(await created.text()).toBe('Created');
    expect((await worker.fetch(bySlug)).status).toBe(200);
  });
});

describe('concurrent requests', () => {
  it('counts every one of many pings sent to one check at once', async () => {
    const check = await createCheck({ name: 'busy', schedule: { kind: 'interval', period: 3600 } });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => worker.fetch(`/ping/${check.id}`, { method: 'POST' })),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    const { pings } = await json<{ pings: unknown[] }>(api('GET', `/checks/${check.id}/pings?limit=100`));
    expect(pings).toHaveLength(20);
  });
});

describe('live events', () => {
  it('streams a ping to an event stream in the same isolate', async () => {
    const check = await createCheck({ name: 'watched', schedule: { kind: 'interval', period: 3600 } });
    const stream = await worker.fetch(`/api/v1/checks/${check.id}/events`, { headers: { 'X-Api-Key': KEY } });
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = stream.body!.getReader();
    await worker.fetch(`/ping/${check.id}`);
    let text = '';
    while (!text.includes('event: ping')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toContain(`"check_id":"${check.id}"`);
  });
});

describe('compatible APIs', () => {
  it('declares and pulses checks through the pulse API', async () => {
    const auth = { Authorization: `Bearer ${KEY}` };
    const config = await worker.fetch('/api/config', {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ checks: [{ name: 'etl', interval: 3600, grace: 60 }] }),
    });
    expect(await config.json()).toEqual({ success: true, count: 1 });
    const pulse = await worker.fetch('/api/pulse', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ check_name: 'etl', status: 'ok', message: '42 rows' }),
    });
    expect(await pulse.json()).toEqual({ success: true });
    const status = await json<{ checks: { name: string }[] }>(worker.fetch('/api/status', { headers: auth }));
    expect(status.checks.map((c) => c.name)).toContain('etl');
  });

  it('takes application heartbeats', async () => {
    const made = await worker.fetch('/api/applications', {
      method: 'POST',
      headers: { 'X-Api-Key': KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'billing', expected_interval: 60, grace_period: 30 }),
    });
    expect(made.status).toBe(201);
    const { uuid } = await json<{ uuid: string }>(made);
    expect(await json(worker.fetch(`/heartbeat/${uuid}`, { method: 'POST' }))).toEqual({ status: 'ok' });
  });

  it('registers daemons and takes their heartbeats', async () => {
    const headers = { 'X-Api-Key': KEY, 'Content-Type': 'application/json' };
    const register = await worker.fetch('/api/daemon/register', {
      method: 'POST',
      headers,
      body: JSON.stringify({ daemonId: 'worker-1', hostname: 'box', version: '1.0' }),
    });
    expect(register.status).toBe(201);
    const beat = await worker.fetch('/api/daemon/heartbeat', {
      method: 'POST',
      headers,
      body: JSON.stringify({ daemonId: 'worker-1', status: 'healthy', tasksProcessed: 1 }),
    });
    expect(beat.status).toBe(200);
    const health = await json<{ totalActive: number }>(worker.fetch('/api/daemon/health', { headers }));
    expect(health.totalActive).toBe(1);
  });

  it('serves /llms.txt with its own base URL', async () => {
    const res = await worker.fetch('/llms.txt');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('https://vigil.test/ping/<id>');
  });
});

describe('public pages', () => {
  it("serves a check's badge and a status page, with no key or session", async () => {
    const check = await createCheck({ name: 'public api', slug: 'public-api' });
    expect((await worker.fetch(`/ping/${check.id}`)).status).toBe(200);
    const store = await openD1Store(worker.db);
    const project = (await store.listProjects())[0]!;
    await store.insertStatusPage({
      id: randomUUID(),
      projectId: project.id,
      slug: 'acme',
      title: 'Acme status',
      checkIds: [check.id],
      createdAt: Date.now(),
      updatedAt: Date.now(),
    });

    const badge = await worker.fetch(`/badge/${project.badgeKey}/public-api.svg`);
    expect(badge.status).toBe(200);
    expect(badge.headers.get('content-type')).toContain('image/svg+xml');
    expect(await badge.text()).toContain('up');
    expect(await json(worker.fetch(`/badge/${project.badgeKey}/public-api.json`))).toMatchObject({
      message: 'up',
    });

    const page = await worker.fetch('/status/acme');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Acme status');
    expect(html).toContain('public api');
  });
});

describe('dashboard', () => {
  it('serves the sign-in page and its static assets', async () => {
    const page = await worker.fetch('/login');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('name="password"');
    const href = /href="(\/assets\/app\.css\?v=[^"]+)"/.exec(html)?.[1];
    expect(href).toBeDefined();
    const css = await worker.fetch(href!);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toBe(
      readFileSync(new URL('../../src/web/static/app.css', import.meta.url), 'utf8'),
    );
  });

  it('signs in the admin from VIGIL_ADMIN_EMAIL and shows the checks', async () => {
    const checks = await worker.fetch('/checks', { headers: { cookie: await signIn() } });
    expect(checks.status).toBe(200);
    expect(await checks.text()).toContain('nightly backup');
  });
});

describe('what Workers cannot do', () => {
  it('refuses an email channel with a 400 that points to an HTTP email API', async () => {
    const res = await api('POST', '/channels', {
      kind: 'email',
      name: 'ops',
      config: { to: 'ops@example.com' },
    });
    expect(res.status).toBe(400);
    const { error } = await json<{ error: { code: string; message: string; details: { field: string }[] } }>(
      res,
    );
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain('Cloudflare Workers');
    expect(error.message).toContain('HTTP email API');
    expect(error.details).toEqual([{ field: 'kind', message: expect.stringContaining('SMTP') }]);
  });

  it('says on the dashboard why there is no email channel here', async () => {
    const page = await worker.fetch('/channels/new?kind=email', { headers: { cookie: await signIn() } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Cloudflare Workers build cannot do');
    expect(html).not.toContain('name="to"');
  });

  it('refuses a pg_cron source with a 400 that points to running vigil on Node', async () => {
    const res = await api('POST', '/sources', {
      name: 'db',
      kind: 'pg_cron',
      config: { url: 'postgres://vigil:secret@db.example.com:5432/postgres' },
    });
    expect(res.status).toBe(400);
    const { error } = await json<{ error: { code: string; message: string } }>(res);
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain('TCP connection');
    expect(error.message).toContain('Run vigil on Node');
  });
});
