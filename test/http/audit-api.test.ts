// The audit log at /api/v1/audit: every change appears once, with who made it (an API key, a
// dashboard user, a ping that creates its check), never a secret, never another project's, and
// never a change that failed. Runs on SQLite and D1 (vitest.config.ts); the CLI's entries are
// in test/cli/audit.test.ts.
import type { z } from '@hono/zod-openapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntrySchema } from '../../src/http/api/audit.ts';
import type { ApiKey } from '../../src/store/store.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { signIn } from '../helpers/web.ts';
import { type CheckView, createCheck, expectApiError, json } from './api-helpers.ts';

type Entry = z.infer<typeof AuditEntrySchema>;

const HOOK_TOKEN = 'hook-token-7f3a9c';
const HOOK_SECRET = 'signing-secret-2b8e41';
const NEW_TOKEN = 'hook-token-new-5d0c66';
const PROBE_SECRET = 'probe-bearer-91ac07';
const SUPABASE_TOKEN = 'sbp_0123456789abcdef0123456789abcdef01234567';
const SECRETS = [HOOK_TOKEN, HOOK_SECRET, NEW_TOKEN, PROBE_SECRET, SUPABASE_TOKEN];

let h: Harness;
let rw: ApiKey;
beforeEach(async () => {
  h = await createHarness();
  rw = (await h.store.listApiKeys(h.project.id)).find((k) => !k.readOnly)!;
  h.clock.advance(1000); // after the harness's own setup entries
});
afterEach(() => h.close());

/** The project's log, oldest first, as `key` reads it; without vigil's own setup entries. */
async function log(key?: string, query = ''): Promise<Entry[]> {
  const res = await h.api('GET', `/audit?limit=500${query}`, undefined, key);
  expect(res.status).toBe(200);
  const { entries } = await json<{ entries: Entry[] }>(res);
  return entries.filter((e) => e.actor.kind !== 'system').reverse();
}

async function ok(res: Response | Promise<Response>, status = 200): Promise<{ id: string }> {
  const r = await res;
  expect(r.status, await r.clone().text()).toBe(status);
  return status === 204 ? { id: '' } : json<{ id: string }>(r);
}

describe('changes through the API', () => {
  it('are each recorded once, with the key that made them and where from', async () => {
    const check = await createCheck(h, { name: 'Backup', schedule: { kind: 'interval', period: 60 } });
    await ok(h.api('PATCH', `/checks/${check.id}`, { name: 'Nightly backup' }));
    await ok(h.api('POST', `/checks/${check.id}/pause`));
    await ok(h.api('POST', `/checks/${check.id}/resume`));
    await ok(h.api('DELETE', `/checks/${check.id}`), 204);
    const channel = await ok(
      h.api('POST', '/channels', {
        kind: 'webhook',
        name: 'hook',
        config: { url: `https://hooks.example.com/in?token=${HOOK_TOKEN}`, secret: HOOK_SECRET },
      }),
      201,
    );
    await ok(
      h.api('PATCH', `/channels/${channel.id}`, {
        config: { url: `https://hooks.example.com/in?token=${NEW_TOKEN}` },
      }),
    );
    await ok(h.api('DELETE', `/channels/${channel.id}`), 204);
    const window = await ok(
      h.api('POST', '/maintenance', {
        name: 'db upgrade',
        starts_at: '2026-01-06T02:00:00Z',
        ends_at: '2026-01-06T03:00:00Z',
      }),
      201,
    );
    await ok(h.api('PATCH', `/maintenance/${window.id}`, { ends_at: '2026-01-06T04:00:00Z' }));
    await ok(h.api('DELETE', `/maintenance/${window.id}`), 204);
    await ok(h.api('PATCH', '/project', { silence_period: 600 }));
    const source = await ok(
      h.api('POST', '/sources', {
        name: 'edge',
        kind: 'supabase',
        config: { project_ref: 'abcdefghijklmnopqrst', access_token: SUPABASE_TOKEN },
      }),
      201,
    );
    await ok(h.api('PATCH', `/sources/${source.id}`, { severity: 'critical' }));
    await ok(h.api('DELETE', `/sources/${source.id}`), 204);

    const entries = await log();
    expect(entries.map((e) => `${e.action} ${e.target.name}`)).toEqual([
      'check.created Backup',
      'check.updated Nightly backup',
      'check.paused Nightly backup',
      'check.resumed Nightly backup',
      'check.deleted Nightly backup',
      'channel.created hook',
      'channel.updated hook',
      'channel.deleted hook',
      'maintenance.created db upgrade',
      'maintenance.updated db upgrade',
      'maintenance.deleted db upgrade',
      'project.updated main',
      'source.created edge',
      'source.updated edge',
      'source.deleted edge',
    ]);
    for (const e of entries) {
      expect(e.actor).toEqual({
        kind: 'api_key',
        id: rw.id,
        label: `${rw.name} (${rw.prefix}…)`,
        address: '127.0.0.1',
      });
    }
    expect(entries[0]!.target).toEqual({ kind: 'check', id: check.id, name: 'Backup' });
    expect(entries[5]!.target).toEqual({ kind: 'channel', id: channel.id, name: 'hook' });
  });

  it('say what an update changed: old and new values, secrets by name only', async () => {
    const check = await createCheck(h, {
      name: 'Site',
      kind: 'http',
      probe: { url: 'https://example.com/health', headers: { Authorization: `Bearer ${PROBE_SECRET}` } },
    });
    await ok(
      h.api('PATCH', `/checks/${check.id}`, {
        severity: 'critical',
        tags: ['web'],
        probe: { url: 'https://example.com/up', headers: { Authorization: `Bearer ${PROBE_SECRET}x` } },
      }),
    );
    const channel = await ok(
      h.api('POST', '/channels', {
        kind: 'webhook',
        name: 'hook',
        config: { url: `https://hooks.example.com/in?token=${HOOK_TOKEN}`, secret: HOOK_SECRET },
      }),
      201,
    );
    await ok(
      h.api('PATCH', `/channels/${channel.id}`, {
        name: 'ops hook',
        config: { url: `https://hooks.example.com/in?token=${NEW_TOKEN}` },
      }),
    );
    const [, checkEdit, , channelEdit] = await log();
    expect(checkEdit!.changes).toEqual({
      severity: { from: 'important', to: 'critical' },
      tags: { from: [], to: ['web'] },
      probe: { hidden: 'secret' },
    });
    expect(channelEdit!.changes).toEqual({
      name: { from: 'hook', to: 'ops hook' },
      'config.url': { hidden: 'secret' },
    });
  });

  it('never hold a secret: not a channel’s token or signing secret, a probe header, or a source’s token', async () => {
    const check = await createCheck(h, {
      name: 'Site',
      kind: 'http',
      probe: { url: 'https://example.com/health', headers: { Authorization: `Bearer ${PROBE_SECRET}` } },
    });
    await ok(
      h.api('PATCH', `/checks/${check.id}`, {
        probe: { url: 'https://example.com/health', headers: { 'X-Token': PROBE_SECRET } },
      }),
    );
    const channel = await ok(
      h.api('POST', '/channels', {
        kind: 'webhook',
        name: 'hook',
        config: { url: `https://hooks.example.com/in?token=${HOOK_TOKEN}`, secret: HOOK_SECRET },
      }),
      201,
    );
    await ok(
      h.api('PATCH', `/channels/${channel.id}`, {
        config: { url: `https://hooks.example.com/in?token=${NEW_TOKEN}`, secret: `${HOOK_SECRET}2` },
      }),
    );
    await ok(h.api('DELETE', `/channels/${channel.id}`), 204);
    const source = await ok(
      h.api('POST', '/sources', {
        name: 'edge',
        kind: 'supabase',
        config: { project_ref: 'abcdefghijklmnopqrst', access_token: SUPABASE_TOKEN },
      }),
      201,
    );
    await ok(h.api('PATCH', `/sources/${source.id}`, { config: { access_token: `${SUPABASE_TOKEN}9` } }));
    const text = await (await h.api('GET', '/audit?limit=500')).text();
    expect(JSON.parse(text).entries.length).toBeGreaterThanOrEqual(7);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).not.toContain(h.project.pingKey);
  });

  it('that change nothing are not recorded', async () => {
    const check = await createCheck(h, { name: 'Backup' });
    await ok(h.api('PATCH', `/checks/${check.id}`, { name: 'Backup' }));
    await ok(h.api('POST', `/checks/${check.id}/resume`)); // not paused: nothing to resume
    expect((await log()).map((e) => e.action)).toEqual(['check.created']);
  });

  it('that fail are not recorded, even when part of it was written before it failed', async () => {
    await createCheck(h, { name: 'Backup', slug: 'backup' });
    const other = await createCheck(h, { name: 'Other', slug: 'other' });
    await expectApiError(await h.api('PATCH', `/checks/${other.id}`, { slug: 'backup' }), 409);
    await expectApiError(
      await h.api('POST', '/maintenance', {
        name: 'x',
        starts_at: '2026-01-06T02:00:00Z',
        ends_at: '2026-01-06T03:00:00Z',
        checks: ['4b4e8d6a-0f59-4e2c-9d4b-8f1b1b7a7a7a'],
      }),
      400,
    );
    // the pulse API declares checks in one transaction: "new-one" is created, then "site" (an
    // http check) cannot become an event check, and the whole declaration is rolled back
    await createCheck(h, {
      name: 'site',
      slug: 'site',
      kind: 'http',
      probe: { url: 'https://example.com/' },
    });
    const pulse = await h.app.request('/api/config', {
      method: 'PUT',
      headers: { Authorization: `Bearer ${h.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ checks: [{ name: 'new-one' }, { name: 'site', type: 'event' }] }),
    });
    expect(pulse.status).toBe(400);
    expect(await h.store.getCheckBySlug(h.project.id, 'new-one')).toBeNull();
    expect((await log()).map((e) => `${e.action} ${e.target.name}`)).toEqual([
      'check.created Backup',
      'check.created Other',
      'check.created site',
    ]);
  });
});

describe('changes made elsewhere', () => {
  it('name the signed-in user for dashboard changes', async () => {
    const check = await createCheck(h, { name: 'Backup' });
    const owner = await signIn(h);
    expect((await owner.post(`/checks/${check.id}/pause`)).status).toBe(303);
    expect((await owner.post('/keys', { name: 'deploy script' })).status).toBe(200);
    const made = (await h.store.listApiKeys(h.project.id)).find((k) => k.name === 'deploy script')!;
    expect((await owner.post(`/keys/${made.id}/delete`)).status).toBe(303);
    expect((await owner.post('/maintenance/quiet', { duration: '3600' })).status).toBe(303);
    const mine = (await log()).filter((e) => e.actor.kind === 'user');
    expect(mine.map((e) => e.action)).toEqual([
      'check.paused',
      'key.created',
      'key.revoked',
      'maintenance.created',
    ]);
    for (const e of mine)
      expect(e.actor).toEqual({ kind: 'user', id: owner.userId, label: owner.email, address: '127.0.0.1' });
    expect(mine[1]!.target).toEqual({ kind: 'key', id: made.id, name: `deploy script (${made.prefix}…)` });
    expect(mine[1]!.changes).toEqual({ read_only: { to: false } });
  });

  it('name the signed-in user who acknowledged an incident', async () => {
    const check = await createCheck(h, {
      name: 'Backup',
      schedule: { kind: 'interval', period: 60, grace: 30 },
    });
    expect((await h.app.request(`/ping/${check.id}`)).status).toBe(200);
    h.clock.advance(91_000);
    await h.scheduler.sweep(h.clock.now());
    const [incident] = await h.store.listIncidents([h.project.id], {
      checkId: check.id,
      open: true,
      limit: 1,
    });
    const owner = await signIn(h);
    expect((await owner.post(`/incidents/${incident!.id}/acknowledge`)).status).toBe(303);
    expect((await log()).filter((e) => e.actor.kind === 'user')).toEqual([
      expect.objectContaining({
        action: 'incident.acknowledged',
        actor: { kind: 'user', id: owner.userId, label: owner.email, address: '127.0.0.1' },
        target: { kind: 'incident', id: String(incident!.id), name: 'Backup' },
      }),
    ]);
  });

  it('name the ping that created its check with ?create=1', async () => {
    const res = await h.app.request(`/ping/${h.project.pingKey}/made-by-ping?create=1`);
    expect(res.status).toBe(201);
    const [entry] = await log();
    expect(entry).toMatchObject({
      action: 'check.created',
      actor: { kind: 'ping', id: null, address: '127.0.0.1' },
      target: { kind: 'check', name: 'made-by-ping' },
    });
  });

  it('name the key a compat API was called with', async () => {
    const res = await h.app.request('/api/daemon/register', {
      method: 'POST',
      headers: { 'X-API-Key': h.key, 'Content-Type': 'application/json' },
      body: JSON.stringify({ daemonId: 'worker-1' }),
    });
    expect(res.status).toBe(201);
    const [entry] = await log();
    expect(entry).toMatchObject({ action: 'check.created', actor: { kind: 'api_key', id: rw.id } });
  });

  it('include vigil’s own, made when the project was set up', async () => {
    const res = await h.api('GET', '/audit?target_kind=project');
    const { entries } = await json<{ entries: Entry[] }>(res);
    expect(entries.map((e) => [e.action, e.actor.kind, e.target.id])).toEqual([
      ['project.created', 'system', h.project.id],
    ]);
  });
});

describe('reading the log', () => {
  it('shows a project only its own entries', async () => {
    await createCheck(h, { name: 'Mine' });
    const res = await h.api('POST', '/checks', { name: 'Theirs' }, h.other.key);
    expect(res.status).toBe(201);
    expect((await log()).map((e) => e.target.name)).toEqual(['Mine']);
    expect((await log(h.other.key)).map((e) => e.target.name)).toEqual(['Theirs']);
    const theirs = await json<CheckView>(res);
    expect(await log(undefined, `&target_id=${theirs.id}`)).toEqual([]);
  });

  it('refuses read-only keys: the log names people', async () => {
    await expectApiError(await h.api('GET', '/audit', undefined, h.readOnlyKey), 403, /read-write key/);
    await expectApiError(await h.api('GET', '/audit', undefined, null), 401);
  });

  it('filters by target, action and time, and pages with a cursor', async () => {
    const a = await createCheck(h, { name: 'A' });
    h.clock.advance(60_000);
    const b = await createCheck(h, { name: 'B' });
    await ok(h.api('PATCH', `/checks/${a.id}`, { name: 'A2' }));
    expect((await log(undefined, `&target_id=${a.id}`)).map((e) => e.action)).toEqual([
      'check.created',
      'check.updated',
    ]);
    expect((await log(undefined, '&action=check.updated')).map((e) => e.target.id)).toEqual([a.id]);
    const since = encodeURIComponent(new Date(h.clock.now()).toISOString());
    expect((await log(undefined, `&since=${since}&target_kind=check`)).map((e) => e.target.name)).toEqual([
      'B',
      'A2',
    ]);
    expect((await log(undefined, `&until=${since}&target_kind=check`)).map((e) => e.target.name)).toEqual([
      'A',
    ]);

    const first = await json<{ entries: Entry[]; next_cursor: string }>(
      await h.api('GET', '/audit?limit=2&target_kind=check'),
    );
    expect(first.entries.map((e) => e.target.name)).toEqual(['A2', 'B']);
    const second = await json<{ entries: Entry[]; next_cursor: string | null }>(
      await h.api('GET', `/audit?limit=2&target_kind=check&cursor=${encodeURIComponent(first.next_cursor)}`),
    );
    expect(second.entries.map((e) => e.target.id)).toEqual([a.id]);
    expect(second.next_cursor).toBeNull();
    expect(b.id).not.toBe(a.id);
  });

  it('says what to fix in a bad query', async () => {
    await expectApiError(await h.api('GET', '/audit?cursor=nonsense'), 400, /cursor/);
    await expectApiError(await h.api('GET', '/audit?action=check.exploded'), 400, /action/);
    await expectApiError(await h.api('GET', '/audit?since=yesterday'), 400, /since/);
    await expectApiError(await h.api('GET', '/audit?limit=501'), 400, /limit/);
    await expectApiError(await h.api('POST', '/audit'), 405);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await json<{
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    }>(await h.app.request('/api/v1/openapi.json'));
    expect(doc.paths['/audit']).toHaveProperty('get');
    expect(doc.components.schemas).toHaveProperty('AuditEntry');
  });
});
