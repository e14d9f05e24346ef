import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import {
  signBody,
  verifySignature,
  type WebhookConfig,
  webhook,
  webhookConfigSchema,
} from '../../src/notifiers/webhook.ts';
import { samplePayload } from './payloads.ts';
import { closedPortUrl, type Handler, type Receiver, startReceiver } from './receiver.ts';

const payload: AlertPayload = {
  event: 'down',
  check: {
    id: '5f1c6a3e-9a0b-4c8e-9f57-1d2b3c4d5e6f',
    name: 'Nightly backup — “prod”',
    slug: 'nightly-backup',
    tags: ['db', 'prod'],
    status: 'down',
    severity: 'critical',
    schedule: '0 3 * * * (Europe/Paris)',
    last_ping_at: '2025-01-01T02:00:00.000Z',
    ping_url: 'https://vigil.example/ping/5f1c6a3e-9a0b-4c8e-9f57-1d2b3c4d5e6f',
    url: 'https://vigil.example/checks/5f1c6a3e-9a0b-4c8e-9f57-1d2b3c4d5e6f',
  },
  flip: { id: 42, from: 'up', to: 'down', at: '2025-01-01T03:10:00.000Z', reason: 'no ping for 10 minutes' },
  project: { id: 'p1', name: 'Ops' },
  downtime_ms: null,
  last_ping_body: null,
};

const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 200 }) };

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(handler?: Handler): Promise<Receiver> {
  const r = await startReceiver(handler);
  receivers.push(r);
  return r;
}

function config(input: Record<string, unknown>): WebhookConfig {
  return webhookConfigSchema.parse(input);
}

function answering(status: number, body = '', headers: Record<string, string> = {}): Handler {
  return (_req, res) => res.writeHead(status, headers).end(body);
}

describe('webhook.send', () => {
  it('posts the alert as JSON with a signature the receiver can verify', async () => {
    const r = await receiver();
    const result = await webhook.send(payload, config({ url: `${r.url}/hook`, secret: 's3cret-value' }), ctx);
    expect(result).toEqual({ outcome: 'delivered', detail: 'HTTP 200' });
    const req = r.requests[0]!;
    expect(req.method).toBe('POST');
    expect(JSON.parse(req.body.toString('utf8'))).toEqual(payload);
    expect(req.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'vigil-webhook/1',
      'x-vigil-event': 'down',
    });
    expect(await verifySignature('s3cret-value', req.body, req.headers['x-vigil-signature'] as string)).toBe(
      true,
    );
  });

  it('sends a signature that does not verify a tampered body or another secret', async () => {
    const r = await receiver();
    await webhook.send(payload, config({ url: r.url, secret: 's3cret-value' }), ctx);
    const { body, headers } = r.requests[0]!;
    const signature = headers['x-vigil-signature'] as string;
    const tampered = body.toString('utf8').replace('"down"', '"up"');
    expect(await verifySignature('s3cret-value', tampered, signature)).toBe(false);
    expect(await verifySignature('other-secret', body, signature)).toBe(false);
  });

  it('sends no signature when the channel has no secret', async () => {
    const r = await receiver();
    await webhook.send(payload, config({ url: r.url }), ctx);
    expect(r.requests[0]!.headers).not.toHaveProperty('x-vigil-signature');
  });

  it('uses the configured method and headers, and the delivery id', async () => {
    const r = await receiver();
    const cfg = config({
      url: r.url,
      method: 'PUT',
      headers: { Authorization: 'Bearer abc', 'X-Team': 'ops' },
    });
    await webhook.send(payload, cfg, { ...ctx, deliveryId: '1234' });
    expect(r.requests[0]).toMatchObject({
      method: 'PUT',
      headers: { authorization: 'Bearer abc', 'x-team': 'ops', 'x-vigil-delivery': '1234' },
    });
  });

  it('retries when the receiver answers 500', async () => {
    const r = await receiver(answering(500, 'database is down'));
    expect(await webhook.send(payload, config({ url: r.url }), ctx)).toEqual({
      outcome: 'retry',
      error: 'HTTP 500: database is down',
    });
  });

  it('retries after the Retry-After the receiver asks for on 429', async () => {
    const r = await receiver(answering(429, 'slow down', { 'retry-after': '7' }));
    expect(await webhook.send(payload, config({ url: r.url }), ctx)).toMatchObject({
      outcome: 'retry',
      retryAfterMs: 7000,
    });
  });

  it.each([401, 404])('fails permanently on %i, saying which status came back', async (status) => {
    const r = await receiver(answering(status, '{"message":"unknown hook"}'));
    const result = await webhook.send(payload, config({ url: r.url }), ctx);
    expect(result).toEqual({ outcome: 'failed', error: `HTTP ${status}: {"message":"unknown hook"}` });
  });

  it('retries when the receiver does not answer in time', async () => {
    const r = await receiver(async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the client gives up at 200 ms
      res.end();
    });
    expect(await webhook.send(payload, config({ url: r.url }), ctx)).toMatchObject({ outcome: 'retry' });
  });

  it('retries when the connection is refused', async () => {
    const result = await webhook.send(payload, config({ url: await closedPortUrl() }), ctx);
    expect(result).toMatchObject({ outcome: 'retry', error: expect.stringContaining('ECONNREFUSED') });
  });

  it('fails permanently when the URL points at a private address', async () => {
    const r = await receiver();
    const result = await webhook.send(payload, config({ url: r.url }), { http: createHttpClient() });
    expect(result).toMatchObject({ outcome: 'failed', error: expect.stringContaining('refused') });
    expect(r.requests).toHaveLength(0);
  });
});

describe('webhookConfigSchema', () => {
  it('accepts a bare URL and defaults the method to POST', () => {
    expect(config({ url: 'https://hooks.example.com/x' })).toEqual({
      url: 'https://hooks.example.com/x',
      method: 'POST',
    });
  });

  it.each([
    ['an ftp URL', { url: 'ftp://example.com/hook' }],
    ['a URL with credentials', { url: 'https://user:pw@example.com/' }],
    ['a URL over 2048 characters', { url: `https://example.com/${'a'.repeat(2048)}` }],
    ['a header name with a space', { url: 'https://example.com', headers: { 'Bad Header': 'x' } }],
    ['a header name with a colon', { url: 'https://example.com', headers: { 'X:Y': 'x' } }],
    ['a header vigil sets itself', { url: 'https://example.com', headers: { 'x-vigil-signature': 'x' } }],
    ['a header value with a line break', { url: 'https://example.com', headers: { 'X-A': 'a\r\nX-B: b' } }],
    [
      'a header value over 1024 characters',
      { url: 'https://example.com', headers: { 'X-A': 'a'.repeat(1025) } },
    ],
    ['headers differing only by case', { url: 'https://example.com', headers: { 'X-A': '1', 'x-a': '2' } }],
    ['a GET method', { url: 'https://example.com', method: 'GET' }],
    ['a secret over 256 characters', { url: 'https://example.com', secret: 's'.repeat(257) }],
    ['a secret that is still masked', { url: 'https://example.com', secret: '••••cret' }],
    ['an unknown key', { url: 'https://example.com', template: '{}' }],
  ])('rejects %s', (_what, input) => {
    expect(webhookConfigSchema.safeParse(input).success).toBe(false);
  });

  it('accepts 20 headers but not 21', () => {
    const headers = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`X-H${i}`, 'v']));
    expect(webhookConfigSchema.safeParse({ url: 'https://example.com', headers: headers(20) }).success).toBe(
      true,
    );
    expect(webhookConfigSchema.safeParse({ url: 'https://example.com', headers: headers(21) }).success).toBe(
      false,
    );
  });
});

describe('webhook.send with a body template', () => {
  const hostile = samplePayload('up', {});
  hostile.check = { ...hostile.check, name: 'say "hi"\\ to\nline two\t&amp; {{title}} </script>' };

  it('fills in the placeholders and sends the result as JSON', async () => {
    const r = await receiver();
    const cfg = config({
      url: r.url,
      body_template:
        '{"text": "{{title}}", "event": "{{event}}", "down_for": "{{downtime}}", "id": "{{ delivery_id }}", "tags": "{{check.tags}}"}',
    });
    await webhook.send(samplePayload('up'), cfg, { ...ctx, deliveryId: '99' });
    const req = r.requests[0]!;
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body.toString('utf8'))).toEqual({
      text: '"nightly-backup" is back UP',
      event: 'up',
      down_for: '1 hour 5 minutes',
      id: '99',
      tags: 'db, prod',
    });
  });

  it('keeps the JSON valid for a check name with quotes, backslashes and line breaks', async () => {
    const r = await receiver();
    const cfg = config({ url: r.url, body_template: '{"name": "{{check.name}}", "text": "{{text}}"}' });
    await webhook.send(hostile, cfg, ctx);
    const sent = JSON.parse(r.requests[0]!.body.toString('utf8'));
    expect(sent.name).toBe(hostile.check.name);
    expect(sent.text).toContain(`"${hostile.check.name}" is back UP\nsuccess ping received`);
  });

  it('form-encodes values for application/x-www-form-urlencoded', async () => {
    const r = await receiver();
    const cfg = config({
      url: r.url,
      content_type: 'application/x-www-form-urlencoded',
      body_template: 'name={{check.name}}&event={{event}}',
    });
    await webhook.send(hostile, cfg, ctx);
    const req = r.requests[0]!;
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(req.body.toString('utf8'));
    expect([...form.keys()]).toEqual(['name', 'event']);
    expect(form.get('name')).toBe(hostile.check.name);
  });

  it('inserts values as they are for other content types', async () => {
    const r = await receiver();
    const cfg = config({
      url: r.url,
      content_type: 'text/plain; charset=utf-8',
      body_template: 'ALERT {{title}}\n{{summary}}',
    });
    await webhook.send(samplePayload('down'), cfg, ctx);
    const req = r.requests[0]!;
    expect(req.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(req.body.toString('utf8')).toBe(
      'ALERT "nightly-backup" is DOWN\nexpected a ping every 1 hour; last ping 1 hour 5 minutes ago',
    );
  });

  it('signs the rendered bytes', async () => {
    const r = await receiver();
    const cfg = config({ url: r.url, secret: 's3cret-value', body_template: '{"n": "{{check.name}}"}' });
    await webhook.send(hostile, cfg, ctx);
    const { body, headers } = r.requests[0]!;
    expect(await verifySignature('s3cret-value', body, headers['x-vigil-signature'] as string)).toBe(true);
    expect(
      await verifySignature('s3cret-value', JSON.stringify(hostile), headers['x-vigil-signature'] as string),
    ).toBe(false);
  });

  it('fills in placeholders in header values', async () => {
    const r = await receiver();
    const cfg = config({
      url: r.url,
      headers: { 'Idempotency-Key': 'vigil-{{delivery_id}}', 'X-Check': '{{check.slug}}/{{event}}' },
    });
    await webhook.send(samplePayload('down'), cfg, { ...ctx, deliveryId: '1234' });
    expect(r.requests[0]!.headers).toMatchObject({
      'idempotency-key': 'vigil-1234',
      'x-check': 'nightly-backup/down',
    });
  });
});

describe('webhookConfigSchema templates', () => {
  const url = 'https://example.com/hook';

  function issues(input: Record<string, unknown>): string[] {
    const result = webhookConfigSchema.safeParse({ url, ...input });
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  }

  it('accepts a template and keeps it as it is', () => {
    const input = { url, body_template: '{"text": "{{title}}"}', content_type: 'application/json' };
    expect(webhookConfigSchema.parse(input)).toEqual({ ...input, method: 'POST' });
  });

  it('refuses an unknown placeholder, naming it', () => {
    expect(issues({ body_template: '{"t": "{{check.title}}"}' })).toEqual([
      expect.stringMatching(
        /^body_template: unknown placeholder \{\{check\.title\}\}; use one of: check\.id, check\.name/,
      ),
    ]);
  });

  it('refuses a JSON template with a placeholder outside quotes', () => {
    expect(issues({ body_template: '{"text": {{title}}}' })).toEqual([
      expect.stringMatching(
        /^body_template: does not render to valid JSON .*put each placeholder inside a JSON string/,
      ),
    ]);
  });

  it('refuses a JSON template that is not JSON at all', () => {
    expect(issues({ body_template: '{"text": "{{title}}",}' })).toEqual([
      expect.stringMatching(/^body_template: does not render to valid JSON/),
    ]);
  });

  it('checks templates of +json content types as JSON too', () => {
    expect(
      issues({ body_template: 'text={{title}}', content_type: 'application/vnd.alert+json' }),
    ).toHaveLength(1);
  });

  it('takes any text for a non-JSON content type', () => {
    expect(
      issues({ body_template: 'text={{title}}', content_type: 'application/x-www-form-urlencoded' }),
    ).toEqual([]);
  });

  it('refuses a placeholder in a header that could break the header', () => {
    expect(issues({ headers: { 'X-Name': '{{check.name}}' } })).toEqual([
      expect.stringMatching(
        /^headers\.X-Name: placeholder \{\{check\.name\}\} cannot be used in a header value/,
      ),
    ]);
  });

  it.each([
    ['a content type without a template', { content_type: 'text/plain' }],
    ['a content type that is not a media type', { body_template: 'x', content_type: 'plain text' }],
    ['a content type with a line break', { body_template: 'x', content_type: 'text/plain\r\nX-A: b' }],
    ['an empty template', { body_template: '' }],
    ['a template over 16 KB', { body_template: `"${'x'.repeat(16 * 1024)}"`, content_type: 'text/plain' }],
  ])('rejects %s', (_what, input) => {
    expect(issues(input)).not.toEqual([]);
  });
});

describe('signBody', () => {
  it('computes the documented HMAC-SHA256 (RFC 4231 test case 2)', async () => {
    expect(await signBody('Jefe', 'what do ya want for nothing?')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('is rejected by verifySignature when malformed or missing', async () => {
    expect(await verifySignature('Jefe', 'body', 'sha256=zz')).toBe(false);
    expect(await verifySignature('Jefe', 'body', undefined)).toBe(false);
  });
});
