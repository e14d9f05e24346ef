// The channels resource at /api/v1/channels: webhook channels with secrets that are shown once
// and masked after, and a test alert sent to a real HTTP receiver on loopback.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/notifiers/webhook.ts';
import { createHarness, type Harness } from '../helpers/harness.ts';
import { type Receiver, startReceiver } from '../notifiers/receiver.ts';
import { expectApiError, json } from './api-helpers.ts';

interface ChannelView {
  id: string;
  kind: string;
  name: string;
  config: { url: string; secret?: string; headers?: Record<string, string> };
  events: string[];
  broken: boolean;
}

interface TestResult {
  outcome: 'delivered' | 'retry' | 'failed';
  error: string | null;
  channel: ChannelView;
}

let h: Harness;
let receiver: Receiver;
beforeEach(async () => {
  h = await createHarness();
  receiver = await startReceiver();
});
afterEach(async () => {
  await receiver.close();
  await h.close();
});

async function createWebhook(fields: Record<string, unknown> = {}, key?: string): Promise<ChannelView> {
  const res = await h.api(
    'POST',
    '/channels',
    { kind: 'webhook', name: 'ops hook', config: { url: `${receiver.url}/hook` }, ...fields },
    key,
  );
  expect(res.status).toBe(201);
  return json<ChannelView>(res);
}

async function sendTest(id: string): Promise<TestResult> {
  const res = await h.api('POST', `/channels/${id}/test`);
  expect(res.status).toBe(200);
  return json<TestResult>(res);
}

describe('POST /channels', () => {
  it('creates a webhook channel (201) with the default events', async () => {
    const channel = await createWebhook();
    expect(channel).toMatchObject({
      kind: 'webhook',
      name: 'ops hook',
      config: { url: `${receiver.url}/hook`, method: 'POST' },
      events: ['down', 'failed', 'too_long', 'up'],
      min_severity: 'low',
      max_severity: 'critical',
      tags: [],
      broken: false,
    });
  });

  it('generates a secret and shows it in full, once, on create', async () => {
    const channel = await createWebhook();
    expect(channel.config.secret).toMatch(/^[0-9a-f]{48}$/);
  });

  it('keeps a secret the client chose', async () => {
    const channel = await createWebhook({
      config: { url: `${receiver.url}/hook`, secret: 'my-own-secret-value' },
    });
    expect(channel.config.secret).toBe('my-own-secret-value');
  });

  it('answers 400 naming config.url for an ftp:// URL', async () => {
    const res = await h.api('POST', '/channels', {
      kind: 'webhook',
      name: 'x',
      config: { url: 'ftp://example.com/hook' },
    });
    await expectApiError(res, 400, /^config\.url: URL must be an http:\/\/ or https:\/\/ URL/);
  });

  it('answers 400 naming config.url when the URL is missing', async () => {
    const res = await h.api('POST', '/channels', { kind: 'webhook', name: 'x', config: {} });
    await expectApiError(res, 400, /^config\.url: /);
  });

  it('answers 400 naming the header and saying why for a header vigil sets itself', async () => {
    const res = await h.api('POST', '/channels', {
      kind: 'webhook',
      name: 'x',
      config: { url: receiver.url, headers: { 'X-Vigil-Signature': 'forged' } },
    });
    await expectApiError(
      res,
      400,
      /^config\.headers\.X-Vigil-Signature: is set by vigil and cannot be overridden/,
    );
  });

  it('answers 400 naming the kind for an unknown kind', async () => {
    const res = await h.api('POST', '/channels', { kind: 'pager', name: 'x', config: {} });
    await expectApiError(res, 400, /^kind: unknown channel kind "pager"; use one of: webhook/);
  });

  it('answers 400 for an inherited property name as the kind', async () => {
    const res = await h.api('POST', '/channels', { kind: 'constructor', name: 'x', config: {} });
    await expectApiError(res, 400, /^kind: unknown channel kind/);
  });

  it('answers 400 naming events for an unknown event', async () => {
    const res = await h.api('POST', '/channels', {
      kind: 'webhook',
      name: 'x',
      config: { url: receiver.url },
      events: ['exploded'],
    });
    await expectApiError(res, 400, /^events\.0: /);
  });

  it('answers 400 naming an unknown field', async () => {
    const res = await h.api('POST', '/channels', {
      kind: 'webhook',
      name: 'x',
      config: { url: receiver.url },
      colour: 'red',
    });
    await expectApiError(res, 400, /unknown field "colour"/);
  });
});

describe('GET /channels', () => {
  it('masks the secret, keeping its last 4 characters', async () => {
    const channel = await createWebhook();
    const res = await h.api('GET', `/channels/${channel.id}`);
    expect(res.status).toBe(200);
    const got = await json<ChannelView>(res);
    expect(got.config.secret).toBe(`••••${channel.config.secret!.slice(-4)}`);
  });

  it('masks the URL past its origin, since webhook URLs often carry a token', async () => {
    const channel = await createWebhook({ config: { url: `${receiver.url}/hooks/T000/B000/XXXXsecretZZ9` } });
    expect(channel.config.url).toBe(`${receiver.url}/hooks/T000/B000/XXXXsecretZZ9`); // in full once, on create
    const got = await json<ChannelView>(await h.api('GET', `/channels/${channel.id}`));
    expect(got.config.url).toBe(`${receiver.url}/••••tZZ9`);
  });

  it('keeps the stored URL when the masked URL is sent back, and refuses a masked one it cannot restore', async () => {
    const channel = await createWebhook({ config: { url: `${receiver.url}/hooks/T000/B000/XXXXsecretZZ9` } });
    const read = await json<ChannelView>(await h.api('GET', `/channels/${channel.id}`));
    expect((await h.api('PATCH', `/channels/${channel.id}`, { config: read.config })).status).toBe(200);
    await sendTest(channel.id);
    expect(receiver.requests[0]!.url).toBe('/hooks/T000/B000/XXXXsecretZZ9');
    const res = await h.api('PATCH', `/channels/${channel.id}`, {
      config: { url: `${receiver.url}/••••abcd` },
    });
    await expectApiError(res, 400, /config\.url: looks masked/);
  });

  it('masks header values, which usually carry tokens', async () => {
    const channel = await createWebhook({
      config: { url: receiver.url, headers: { Authorization: 'Bearer receiver-token-1234' } },
    });
    const got = await json<ChannelView>(await h.api('GET', `/channels/${channel.id}`));
    expect(got.config.headers).toEqual({ Authorization: '••••1234' });
  });

  it('lists the project’s channels with secrets masked, and not another project’s', async () => {
    const channel = await createWebhook();
    await createWebhook({ name: 'theirs' }, h.other.key);
    const { channels } = await json<{ channels: ChannelView[] }>(await h.api('GET', '/channels'));
    expect(channels.map((c) => c.name)).toEqual(['ops hook']);
    expect(channels[0]!.config.secret).toBe(`••••${channel.config.secret!.slice(-4)}`);
  });

  it('answers 404 for another project’s channel', async () => {
    const theirs = await createWebhook({}, h.other.key);
    await expectApiError(await h.api('GET', `/channels/${theirs.id}`), 404, /channel not found/);
  });

  it('answers 404 for a channel that does not exist', async () => {
    await expectApiError(await h.api('GET', '/channels/no-such-channel'), 404, /channel not found/);
  });

  it('lets a read-only key read', async () => {
    const channel = await createWebhook();
    expect((await h.api('GET', '/channels', undefined, h.readOnlyKey)).status).toBe(200);
    expect((await h.api('GET', `/channels/${channel.id}`, undefined, h.readOnlyKey)).status).toBe(200);
  });
});

describe('PATCH /channels/:id', () => {
  it('keeps the old secret when the masked secret is sent back, as a delivery signature proves', async () => {
    const channel = await createWebhook();
    const secret = channel.config.secret!;
    const read = await json<ChannelView>(await h.api('GET', `/channels/${channel.id}`));

    const res = await h.api('PATCH', `/channels/${channel.id}`, {
      name: 'renamed',
      config: { ...read.config, url: `${receiver.url}/moved` },
    });
    expect(res.status).toBe(200);
    expect((await json<ChannelView>(res)).config.secret).toBe(read.config.secret);

    expect((await sendTest(channel.id)).outcome).toBe('delivered');
    const [delivery] = receiver.requests;
    expect(delivery!.url).toBe('/moved');
    expect(
      await verifySignature(secret, delivery!.body, delivery!.headers['x-vigil-signature'] as string),
    ).toBe(true);
  });

  it('keeps the old secret when the config is sent without one', async () => {
    const channel = await createWebhook();
    const res = await h.api('PATCH', `/channels/${channel.id}`, { config: { url: `${receiver.url}/other` } });
    expect(res.status).toBe(200);
    await sendTest(channel.id);
    const [delivery] = receiver.requests;
    const signature = delivery!.headers['x-vigil-signature'] as string;
    expect(await verifySignature(channel.config.secret!, delivery!.body, signature)).toBe(true);
  });

  it('replaces the secret when a new one is sent', async () => {
    const channel = await createWebhook();
    await h.api('PATCH', `/channels/${channel.id}`, {
      config: { url: receiver.url, secret: 'a-brand-new-secret' },
    });
    await sendTest(channel.id);
    const [delivery] = receiver.requests;
    const signature = delivery!.headers['x-vigil-signature'] as string;
    expect(await verifySignature('a-brand-new-secret', delivery!.body, signature)).toBe(true);
    expect(await verifySignature(channel.config.secret!, delivery!.body, signature)).toBe(false);
  });

  it('changes the name and events without touching the config', async () => {
    const channel = await createWebhook();
    const res = await h.api('PATCH', `/channels/${channel.id}`, { name: 'pager', events: ['down'] });
    expect(await json<ChannelView>(res)).toMatchObject({
      name: 'pager',
      events: ['down'],
      config: { url: `${receiver.url}/••••` },
    });
  });

  it('answers 400 naming config.url for an ftp:// URL', async () => {
    const channel = await createWebhook();
    const res = await h.api('PATCH', `/channels/${channel.id}`, { config: { url: 'ftp://example.com/' } });
    await expectApiError(res, 400, /^config\.url: /);
  });

  it('answers 404 for another project’s channel', async () => {
    const theirs = await createWebhook({}, h.other.key);
    await expectApiError(await h.api('PATCH', `/channels/${theirs.id}`, { name: 'mine' }), 404);
  });
});

describe('DELETE /channels/:id', () => {
  it('deletes the channel (204) so it is not found afterwards', async () => {
    const channel = await createWebhook();
    expect((await h.api('DELETE', `/channels/${channel.id}`)).status).toBe(204);
    await expectApiError(await h.api('GET', `/channels/${channel.id}`), 404);
  });

  it('answers 404 for another project’s channel and leaves it', async () => {
    const theirs = await createWebhook({}, h.other.key);
    await expectApiError(await h.api('DELETE', `/channels/${theirs.id}`), 404);
    expect((await h.api('GET', `/channels/${theirs.id}`, undefined, h.other.key)).status).toBe(200);
  });
});

describe('read-only keys', () => {
  it('answers 403 to every change', async () => {
    const channel = await createWebhook();
    const attempts: [string, string, unknown][] = [
      ['POST', '/channels', { kind: 'webhook', name: 'x', config: { url: receiver.url } }],
      ['PATCH', `/channels/${channel.id}`, { name: 'y' }],
      ['DELETE', `/channels/${channel.id}`, undefined],
      ['POST', `/channels/${channel.id}/test`, undefined],
    ];
    for (const [method, path, body] of attempts) {
      await expectApiError(await h.api(method, path, body, h.readOnlyKey), 403, /read-only/);
    }
    expect(receiver.requests).toEqual([]);
  });
});

describe('POST /channels/:id/test', () => {
  it('delivers a signed test alert marked "test": true', async () => {
    const channel = await createWebhook();
    const result = await sendTest(channel.id);
    expect(result).toMatchObject({ outcome: 'delivered', error: null });

    expect(receiver.requests).toHaveLength(1);
    const [delivery] = receiver.requests;
    expect(delivery!.method).toBe('POST');
    expect(delivery!.headers['content-type']).toBe('application/json');
    const signature = delivery!.headers['x-vigil-signature'] as string;
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(await verifySignature(channel.config.secret!, delivery!.body, signature)).toBe(true);
    const payload = JSON.parse(delivery!.body.toString('utf8'));
    expect(payload).toMatchObject({ test: true, event: 'down', check: { name: 'Test check' } });
  });

  it('reports "failed" with the status when the receiver answers 401', async () => {
    await receiver.close();
    receiver = await startReceiver((_req, res) => {
      res.statusCode = 401;
      res.end('bad token');
    });
    const channel = await createWebhook();
    const result = await sendTest(channel.id);
    expect(result.outcome).toBe('failed');
    expect(result.error).toContain('401');
  });

  it('shows the channel with its secret masked', async () => {
    const channel = await createWebhook();
    const result = await sendTest(channel.id);
    expect(result.channel.config.secret).toBe(`••••${channel.config.secret!.slice(-4)}`);
  });

  it('answers 404 for another project’s channel and sends nothing', async () => {
    const theirs = await createWebhook({}, h.other.key);
    await expectApiError(await h.api('POST', `/channels/${theirs.id}/test`), 404);
    expect(receiver.requests).toEqual([]);
  });
});

describe('an HTTP email channel (resend)', () => {
  const API_KEY = 're_123456789_abcdefghijklmnopqrstuv';

  it('sends a test alert through the provider’s API and masks the key on read', async () => {
    await receiver.close();
    receiver = await startReceiver((req, res) => {
      const ok = req.url === '/emails' && req.headers.authorization === `Bearer ${API_KEY}`;
      res.writeHead(ok ? 200 : 403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          ok ? { id: 'em_1' } : { statusCode: 403, name: 'invalid_api_key', message: 'API key is invalid' },
        ),
      );
    });
    const made = await h.api('POST', '/channels', {
      kind: 'resend',
      name: 'ops mail',
      config: { api_key: API_KEY, to: 'ops@example.com', from: 'alerts@example.com', api_url: receiver.url },
    });
    expect(made.status).toBe(201);
    const channel = await json<{ id: string; config: Record<string, unknown> }>(made);
    expect(channel.config).toMatchObject({ api_key: API_KEY, to: ['ops@example.com'] });

    const result = await sendTest(channel.id);
    expect(result).toMatchObject({ outcome: 'delivered', error: null });
    const sent = JSON.parse(receiver.requests[0]!.body.toString('utf8'));
    expect(sent).toMatchObject({ to: ['ops@example.com'], subject: 'Test alert: "Test check" is DOWN' });
    expect(receiver.requests[0]!.headers['idempotency-key']).toMatch(/^vigil-test-/);

    const read = await json<{ config: Record<string, unknown> }>(
      await h.api('GET', `/channels/${channel.id}`),
    );
    expect(read.config.api_key).toBe('••••stuv');
  });

  it('answers 400 naming config.to for a display name in a recipient', async () => {
    const res = await h.api('POST', '/channels', {
      kind: 'resend',
      name: 'x',
      config: { api_key: API_KEY, to: 'Ops <ops@example.com>', from: 'alerts@example.com' },
    });
    await expectApiError(res, 400, /config\.to/);
  });
});
