// The Supabase adapter against a loopback server speaking the Management API's documented
// list of functions: what each function becomes, and how refusals and outages read.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { SourceUnreachable, type SyncContext } from '../../src/sources/adapter.ts';
import { supabaseAdapter, supabaseConfigSchema } from '../../src/sources/supabase.ts';
import type { Source } from '../../src/store/store.ts';
import { startReceiver } from '../notifiers/receiver.ts';
import { type FakeSupabase, fn, REF, startFakeSupabase, TOKEN } from './supabase-api.ts';

let api: FakeSupabase;
beforeEach(async () => {
  api = await startFakeSupabase();
});
afterEach(() => api.close());

function source(config: Record<string, unknown> = {}): Source {
  return {
    id: '6f1c1f8e-5b3a-4c1e-9a43-2f0e4bd1a001',
    projectId: 'p',
    name: 'edge',
    kind: 'supabase',
    config: supabaseConfigSchema.parse({
      project_ref: REF,
      access_token: TOKEN,
      api_url: api.url,
      ...config,
    }),
    severity: 'important',
    tags: [],
    syncInterval: 60,
    grace: 120,
    cursor: null,
    nextSyncAt: 0,
    lastSyncAt: null,
    lastSuccessAt: null,
    lastError: null,
    lastErrorAt: null,
    healthCheckId: null,
    createdAt: 0,
    updatedAt: 0,
  };
}

function ctx(timeoutMs = 2000): SyncContext {
  return {
    now: Date.UTC(2026, 0, 5),
    signal: new AbortController().signal,
    http: createHttpClient({ allowPrivateAddresses: true, timeoutMs }),
    allowPrivateTargets: true,
  };
}

async function unreachable(s: Source, c = ctx()): Promise<string> {
  const err = await supabaseAdapter.sync(s, c).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SourceUnreachable);
  return (err as Error).message;
}

describe('supabase source config', () => {
  it('takes a 20-character project ref and defaults the API to api.supabase.com', () => {
    const config = supabaseConfigSchema.parse({ project_ref: REF, access_token: TOKEN });
    expect(config.api_url).toBe('https://api.supabase.com');
  });

  it('refuses a project ref that is not one, and a masked token', () => {
    const bad = supabaseConfigSchema.safeParse({ project_ref: 'My-Project', access_token: '••••4567' });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^project_ref: a project ref is 20 lowercase letters/),
      'access_token: looks masked; send the real value',
    ]);
  });

  it('marks the access token as the secret', () => {
    expect(supabaseAdapter.secretFields).toEqual(['access_token']);
  });
});

describe('supabase sync', () => {
  it('lists each edge function as an event job, keyed by its id', async () => {
    api.functions = [
      fn('send-email', { id: 'f6a1c2d3-0000-4000-8000-000000000001', name: 'Send email', version: 7 }),
      fn('Old_Hook', { id: 'f6a1c2d3-0000-4000-8000-000000000002', status: 'REMOVED' }),
    ];
    const result = await supabaseAdapter.sync(source(), ctx());
    expect(result).toEqual({
      runs: [],
      cursor: null,
      jobs: [
        {
          key: 'f6a1c2d3-0000-4000-8000-000000000001',
          name: 'send-email',
          displayName: 'Send email',
          schedule: { kind: 'none' },
          active: true,
          details: {
            slug: 'send-email',
            status: 'ACTIVE',
            version: 7,
            updated_at: '2026-01-02T03:04:05.000Z',
          },
        },
        {
          key: 'f6a1c2d3-0000-4000-8000-000000000002',
          name: 'old_hook',
          displayName: 'Old_Hook',
          schedule: { kind: 'none' },
          active: false,
          details: {
            slug: 'Old_Hook',
            status: 'REMOVED',
            version: 1,
            updated_at: '2026-01-02T03:04:05.000Z',
          },
        },
      ],
    });
  });

  it('asks for the project’s functions with the token as a bearer', async () => {
    await supabaseAdapter.sync(source(), ctx());
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatchObject({
      method: 'GET',
      url: `/v1/projects/${REF}/functions`,
      headers: expect.objectContaining({ authorization: `Bearer ${TOKEN}` }),
    });
  });

  it('says the access token was rejected, without quoting it', async () => {
    const message = await unreachable(source({ access_token: 'sbp_wrong_token_0000000000' }));
    expect(message).toBe('Supabase: access token rejected (HTTP 401): Unauthorized; check access_token');
    expect(message).not.toContain('sbp_');
  });

  it('says the project was not found', async () => {
    const message = await unreachable(source({ project_ref: 'zzzzzzzzzzzzzzzzzzzz' }));
    expect(message).toBe('Supabase: project not found: zzzzzzzzzzzzzzzzzzzz (HTTP 404): Project not found');
  });

  it('treats a server error as unreachable', async () => {
    api.failWith = { status: 503, body: '{"message":"Service unavailable"}' };
    expect(await unreachable(source())).toBe(
      'Supabase Management API answered HTTP 503: Service unavailable',
    );
  });

  it('treats no answer in time as unreachable', async () => {
    const silent = await startReceiver(() => new Promise(() => {}));
    try {
      const message = await unreachable(source({ api_url: silent.url }), ctx(200));
      expect(message).toMatch(/^Supabase Management API: 127\.0\.0\.1:\d+ did not answer within 200 ms$/);
    } finally {
      await silent.close();
    }
  });

  it('treats an answer of another shape as unreachable, naming what is wrong', async () => {
    api.failWith = { status: 200, body: '{"functions":[]}' };
    expect(await unreachable(source())).toMatch(/^Supabase Management API: unexpected list of functions/);
    api.failWith = { status: 200, body: '<html>' };
    expect(await unreachable(source())).toBe('Supabase Management API: the answer is not JSON');
  });
});
