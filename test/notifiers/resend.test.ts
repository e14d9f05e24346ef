import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { describeAlert, plainText } from '../../src/notifiers/message.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import { maskSecrets, mergeSecrets } from '../../src/notifiers/registry.ts';
import { type ResendConfig, resend, resendConfigSchema } from '../../src/notifiers/resend.ts';
import { samplePayload } from './payloads.ts';
import { type Handler, type ReceivedRequest, type Receiver, reply, startReceiver } from './receiver.ts';

const API_KEY = 're_123456789_abcdefghijklmnopqrstuv';
const CHECK_ID = '5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23';
const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 500 }) };

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

function resendError(res: ServerResponse, statusCode: number, name: string, message: string) {
  reply(res, statusCode, { statusCode, name, message });
}

/** A stand-in for api.resend.com: POST /emails as its API reference and error list describe it. */
async function resendApi(answer?: Handler): Promise<Receiver> {
  let n = 0;
  const r = await startReceiver(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/emails')
      return resendError(res, 404, 'not_found', 'Not found');
    const auth = req.headers.authorization;
    if (auth === undefined)
      return resendError(res, 401, 'missing_api_key', 'Missing API key in the authorization header');
    if (auth !== `Bearer ${API_KEY}`) return resendError(res, 403, 'invalid_api_key', 'API key is invalid');
    if (req.headers['content-type'] !== 'application/json')
      return resendError(res, 400, 'validation_error', 'Invalid content type');
    const problem = bodyProblem(JSON.parse(req.body.toString('utf8')));
    if (problem !== undefined) return resendError(res, 422, 'validation_error', problem);
    if (answer) return answer(req, res);
    return reply(res, 200, { id: `49a3999c-0ce1-4ea6-ab68-afcd6dc2e79${++n}` });
  });
  receivers.push(r);
  return r;
}

function bodyProblem(body: Record<string, unknown>): string | undefined {
  if (typeof body.from !== 'string') return 'The `from` field is missing.';
  if (!Array.isArray(body.to) || body.to.length < 1 || body.to.length > 50) return 'Invalid `to` field.';
  if (typeof body.subject !== 'string' || body.subject === '') return 'The `subject` field is missing.';
  if (typeof body.text !== 'string' && typeof body.html !== 'string')
    return 'Missing `html` or `text` field.';
  if (body.headers !== undefined && typeof body.headers !== 'object') return 'Invalid `headers` field.';
  return undefined;
}

function config(input: Record<string, unknown> = {}): ResendConfig {
  return resendConfigSchema.parse({
    api_key: API_KEY,
    to: 'ops@example.org',
    from: 'alerts@example.com',
    ...input,
  });
}

async function sendTo(r: Receiver, payload: AlertPayload, input: Record<string, unknown> = {}, extra = {}) {
  const result = await resend.send(payload, config({ api_url: r.url, ...input }), { ...ctx, ...extra });
  const req: ReceivedRequest | undefined = r.requests.at(-1);
  return { result, req, body: req ? JSON.parse(req.body.toString('utf8')) : undefined };
}

describe('resend.send', () => {
  it('sends the alert as the email channel does: subject, plain text, HTML and vigil headers', async () => {
    const r = await resendApi();
    const payload = samplePayload('failed');
    const { result, req, body } = await sendTo(r, payload, { subject_prefix: '[prod]' });
    expect(result).toEqual({ outcome: 'delivered', detail: 'email 49a3999c-0ce1-4ea6-ab68-afcd6dc2e791' });
    expect(req).toMatchObject({ method: 'POST', url: '/emails' });
    expect(body).toEqual({
      from: 'alerts@example.com',
      to: ['ops@example.org'],
      subject: '[prod] "nightly-backup" is DOWN: run failed',
      text: plainText(describeAlert(payload)),
      html: expect.stringContaining('<h1'),
      headers: { 'X-Vigil-Event': 'failed', 'X-Vigil-Check': CHECK_ID },
    });
    expect(body.text).toContain('pg_dump: error: connection to server failed <&> "quoted"');
    expect(body.html).toContain('&lt;&amp;&gt; &quot;quoted&quot;');
  });

  it('sends to every recipient, from the sender’s name and address', async () => {
    const r = await resendApi();
    const { body } = await sendTo(r, samplePayload('up'), {
      to: ['ops@example.org', 'oncall@example.org'],
      from_name: 'vigil (prod)',
    });
    expect(body).toMatchObject({
      from: '"vigil (prod)" <alerts@example.com>',
      to: ['ops@example.org', 'oncall@example.org'],
      subject: '"nightly-backup" is back UP',
    });
    expect(body.text).toContain('Down for: 1 hour 5 minutes');
  });

  it('names the delivery in Idempotency-Key, so a retry sends one email', async () => {
    const r = await resendApi();
    await sendTo(r, samplePayload('down'), {}, { deliveryId: '42-m1abc' });
    await sendTo(r, samplePayload('down'), {}, { deliveryId: '42-m1abc' });
    expect(r.requests.map((req) => req.headers['idempotency-key'])).toEqual([
      'vigil-42-m1abc',
      'vigil-42-m1abc',
    ]);
  });

  it('sends no Idempotency-Key without a delivery id', async () => {
    const r = await resendApi();
    const { req } = await sendTo(r, samplePayload('down'));
    expect(req!.headers).not.toHaveProperty('idempotency-key');
  });

  it('fails permanently, with Resend’s words, when the API key is invalid (403)', async () => {
    const r = await resendApi();
    const { result } = await sendTo(r, samplePayload('down'), { api_key: 're_wrong_key_0000000000' });
    expect(result).toEqual({
      outcome: 'failed',
      error: 'Resend: invalid_api_key: API key is invalid (HTTP 403)',
    });
  });

  it('fails permanently with Resend’s message when it refuses the email (422)', async () => {
    const r = await resendApi((_req, res) =>
      resendError(res, 422, 'validation_error', 'The example.com domain is not verified.'),
    );
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'failed',
      error: 'Resend: validation_error: The example.com domain is not verified. (HTTP 422)',
    });
  });

  it('retries after the Retry-After when rate limited (429)', async () => {
    const r = await resendApi((_req, res) =>
      reply(
        res,
        429,
        { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests.' },
        { 'retry-after': '2' },
      ),
    );
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'Resend: rate_limit_exceeded: Too many requests. (HTTP 429)',
      retryAfterMs: 2000,
    });
  });

  it('retries while the first attempt with the same key is still being sent (409)', async () => {
    const r = await resendApi((_req, res) =>
      resendError(
        res,
        409,
        'concurrent_idempotent_requests',
        'Same idempotency key used while original request is still in progress.',
      ),
    );
    const { result } = await sendTo(r, samplePayload('down'), {}, { deliveryId: '7-x' });
    expect(result.outcome).toBe('retry');
  });

  it('retries on 500', async () => {
    const r = await resendApi((_req, res) =>
      resendError(res, 500, 'internal_server_error', 'Something went wrong'),
    );
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'Resend: internal_server_error: Something went wrong (HTTP 500)',
    });
  });

  it('refuses a private address unless allowed, like every outbound request', async () => {
    const r = await resendApi();
    const { result } = await sendTo(
      r,
      samplePayload('down'),
      {},
      { http: createHttpClient({ timeoutMs: 500 }) },
    );
    expect(result).toMatchObject({ outcome: 'failed', error: expect.stringContaining('127.0.0.1') });
    expect(r.requests).toEqual([]);
  });
});

describe('resendConfigSchema', () => {
  it('stores one recipient as a list and defaults the API', () => {
    expect(config()).toEqual({
      api_key: API_KEY,
      to: ['ops@example.org'],
      from: 'alerts@example.com',
      api_url: 'https://api.resend.com',
    });
  });

  it.each([
    ['a display name in to', { to: 'Ops <ops@example.org>' }, 'to'],
    ['eleven recipients', { to: Array.from({ length: 11 }, (_, i) => `ops${i}@example.org`) }, 'to'],
    ['an address twice', { to: ['ops@example.org', 'OPS@example.org'] }, 'to'],
    ['no from', { from: undefined }, 'from'],
    ['a display name in from', { from: 'vigil <alerts@example.com>' }, 'from'],
    ['a quote in from_name', { from_name: 'say "hi"' }, 'from_name'],
    ['a line break in from_name', { from_name: 'vigil\nBcc: x@example.com' }, 'from_name'],
    ['a masked API key', { api_key: '••••stuv' }, 'api_key'],
    ['an API key with a space', { api_key: 're_abc def' }, 'api_key'],
    ['a two-line subject prefix', { subject_prefix: 'a\nb' }, 'subject_prefix'],
    ['a non-http api_url', { api_url: 'ftp://api.resend.com' }, 'api_url'],
    ['an unknown field', { cc: 'x@example.org' }, ''],
  ])('rejects %s, naming the field', (_what, input, field) => {
    const result = resendConfigSchema.safeParse({
      api_key: API_KEY,
      to: 'ops@example.org',
      from: 'alerts@example.com',
      ...input,
    });
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0]!;
    if (field === '') expect(issue.code).toBe('unrecognized_keys');
    else expect(issue.path[0]).toBe(field);
  });

  it('masks the API key on read and keeps it when the masked value comes back', () => {
    const stored = config();
    const masked = maskSecrets('resend', stored);
    expect(masked.api_key).toBe('••••stuv');
    expect(mergeSecrets('resend', stored, masked).api_key).toBe(API_KEY);
  });
});
