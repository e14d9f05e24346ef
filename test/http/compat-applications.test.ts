// The application heartbeat API: applications are interval checks tagged "application".
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, T0 } from '../helpers/harness.ts';
import { type CheckView, json } from './api-helpers.ts';

const SECOND = 1000;

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

interface Application {
  id: string;
  uuid: string;
  name: string;
  expected_interval: number | null;
  grace_period: number | null;
  last_heartbeat: string | null;
  is_active: boolean;
  created_at: string;
  updated_at: string;
}

function admin(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
  return Promise.resolve(
    h.app.request(path, {
      method,
      headers: headers ?? {
        'X-Api-Key': h.key,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

async function create(fields: Record<string, unknown> = {}): Promise<Application> {
  const res = await admin('POST', '/api/applications', {
    name: 'billing',
    expected_interval: 60,
    grace_period: 30,
    ...fields,
  });
  expect(res.status).toBe(201);
  return json<Application>(res);
}

const heartbeat = (uuid: string) => Promise.resolve(h.app.request(`/heartbeat/${uuid}`, { method: 'POST' }));

describe('POST /heartbeat/{uuid}', () => {
  it('records a heartbeat and answers {"status":"ok"}', async () => {
    const app = await create();
    const res = await heartbeat(app.uuid);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    const got = await json<Application>(await admin('GET', `/api/applications/${app.id}`));
    expect(got.last_heartbeat).toBe(new Date(T0).toISOString());
  });

  it('answers 404 for an unknown uuid', async () => {
    const res = await heartbeat('7c0ab2ec-4b8a-4a43-9f9a-63c6a0b6c5b1');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Application not found' });
  });

  it('answers 404 for a check that is not an application', async () => {
    const res = await h.api('POST', '/checks', { name: 'plain' });
    const check = await json<CheckView>(res);
    expect((await heartbeat(check.id)).status).toBe(404);
  });
});

describe('admin CRUD', () => {
  it('creates an application with a generated uuid (its check id)', async () => {
    const app = await create();
    expect(app).toEqual({
      id: app.uuid,
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'billing',
      expected_interval: 60,
      grace_period: 30,
      last_heartbeat: null,
      is_active: true,
      created_at: new Date(T0).toISOString(),
      updated_at: new Date(T0).toISOString(),
    });
    const check = await json<CheckView>(await h.api('GET', `/checks/${app.uuid}`));
    expect(check).toMatchObject({
      name: 'billing',
      tags: ['application'],
      schedule: { kind: 'interval', period: 60, grace: 30 },
    });
  });

  it('lists only applications', async () => {
    await create({ name: 'a' });
    await create({ name: 'b' });
    await h.api('POST', '/checks', { name: 'plain' });
    const res = await admin('GET', '/api/applications');
    expect(res.status).toBe(200);
    expect((await json<Application[]>(res)).map((a) => a.name)).toEqual(['a', 'b']);
  });

  it('takes the key as a Bearer token too', async () => {
    const res = await admin('GET', '/api/applications', undefined, { Authorization: `Bearer ${h.key}` });
    expect(res.status).toBe(200);
  });

  it('changes an application with PUT, and pauses it with is_active false', async () => {
    const app = await create();
    h.clock.set(T0 + SECOND);
    let res = await admin('PUT', `/api/applications/${app.id}`, {
      name: 'billing-v2',
      expected_interval: 120,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      name: 'billing-v2',
      expected_interval: 120,
      grace_period: 30,
      updated_at: new Date(T0 + SECOND).toISOString(),
    });
    res = await admin('PUT', `/api/applications/${app.id}`, { is_active: false });
    expect(await res.json()).toMatchObject({ is_active: false });
    expect((await json<CheckView>(await h.api('GET', `/checks/${app.id}`))).status).toBe('paused');
    res = await admin('PUT', `/api/applications/${app.id}`, { is_active: true });
    expect(await res.json()).toMatchObject({ is_active: true });
  });

  it('deletes an application', async () => {
    const app = await create();
    const res = await admin('DELETE', `/api/applications/${app.id}`);
    expect(res.status).toBe(204);
    expect((await admin('GET', `/api/applications/${app.id}`)).status).toBe(404);
    expect((await heartbeat(app.uuid)).status).toBe(404);
  });

  it('lists the heartbeat history, newest first', async () => {
    const app = await create();
    await heartbeat(app.uuid);
    h.clock.set(T0 + 10 * SECOND);
    await heartbeat(app.uuid);
    const res = await admin('GET', `/api/applications/${app.id}/heartbeats`);
    expect(res.status).toBe(200);
    const { heartbeats } = await json<{ heartbeats: { id: number; received_at: string }[] }>(res);
    expect(heartbeats.map((b) => [b.id, b.received_at])).toEqual([
      [2, new Date(T0 + 10 * SECOND).toISOString()],
      [1, new Date(T0).toISOString()],
    ]);
  });

  it('answers 400 for a missing field', async () => {
    const res = await admin('POST', '/api/applications', { name: 'x' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: 'Invalid application',
      details: expect.stringMatching(/expected_interval/),
    });
  });

  it('answers 401 without a key or with a wrong one', async () => {
    let res = await admin('GET', '/api/applications', undefined, {});
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Unauthorized' });
    res = await admin('GET', '/api/applications', undefined, { 'X-Api-Key': 'vgl_wrong' });
    expect(res.status).toBe(401);
  });

  it('answers 403 to a read-only key that writes', async () => {
    const res = await admin(
      'POST',
      '/api/applications',
      { name: 'x', expected_interval: 60 },
      {
        'X-Api-Key': h.readOnlyKey,
      },
    );
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: expect.stringMatching(/read-only/) });
  });

  it('answers 404 for another project’s application', async () => {
    const app = await create();
    const res = await admin('GET', `/api/applications/${app.id}`, undefined, { 'X-Api-Key': h.other.key });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Application not found' });
  });
});

describe('a missed application', () => {
  it('goes down after its interval plus grace and queues an alert through a channel', async () => {
    const channel = await h.api('POST', '/channels', {
      kind: 'webhook',
      name: 'hook',
      config: { url: 'http://127.0.0.1:9/hook' },
    });
    expect(channel.status).toBe(201);
    const app = await create({ expected_interval: 60, grace_period: 30 });
    await heartbeat(app.uuid);

    h.clock.set(T0 + 91 * SECOND);
    await h.scheduler.sweep(h.clock.now()); // late at 60 s, down at 90 s
    const check = await json<CheckView>(await h.api('GET', `/checks/${app.id}`));
    expect(check.status).toBe('down');
    const notes = await h.store.listNotifications(app.id, 10);
    expect(notes.map((n) => n.event)).toContain('down');
  });
});
