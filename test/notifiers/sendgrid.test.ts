import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { describeAlert, plainText } from '../../src/notifiers/message.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import { maskSecrets, mergeSecrets } from '../../src/notifiers/registry.ts';
import { type SendgridConfig, sendgrid, sendgridConfigSchema } from '../../src/notifiers/sendgrid.ts';
import { samplePayload } from './payloads.ts';
import { type Handler, type Receiver, startReceiver } from './receiver.ts';

const API_KEY = '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';
const CHECK_ID = '5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23';
const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 500 }) };

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

function errors(
  res: ServerResponse,
  status: number,
  list: { message: string; field: string | null }[],
  headers = {},
) {
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify({ errors: list.map((e) => ({ ...e, help: null })) }));
}

/** A stand-in for api.sendgrid.com: POST /v3/mail/send, 202 with X-Message-Id, its errors array. */
async function sendgridApi(answer?: Handler): Promise<Receiver> {
  let n = 0;
  const r = await startReceiver(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/v3/mail/send') return res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${API_KEY}`)
      return errors(res, 401, [
        { message: 'The provided authorization grant is invalid, expired, or revoked', field: null },
      ]);
    if (req.headers['content-type'] !== 'application/json')
      return errors(res, 400, [{ message: 'Content-Type should be application/json.', field: null }]);
    const body = JSON.parse(req.body.toString('utf8'));
    const to = body.personalizations?.[0]?.to;
    if (!Array.isArray(to) || to.length === 0)
      return errors(res, 400, [
        {
          message: 'The to array is required for all personalization objects.',
          field: 'personalizations.0.to',
        },
      ]);
    if (typeof body.from?.email !== 'string')
      return errors(res, 400, [
        { message: 'The from object must be provided for every email send.', field: 'from' },
      ]);
    if (!Array.isArray(body.content) || body.content[0]?.type !== 'text/plain')
      return errors(res, 400, [
        { message: 'If present, text/plain must be first.', field: 'content.0.type' },
      ]);
    if (answer) return answer(req, res);
    return res.writeHead(202, { 'x-message-id': `GRfS0MArQm2Ce9Mh9d2cA${++n}` }).end();
  });
  receivers.push(r);
  return r;
}

function config(input: Record<string, unknown> = {}): SendgridConfig {
  return sendgridConfigSchema.parse({
    api_key: API_KEY,
    to: 'ops@example.org',
    from: 'alerts@example.com',
    ...input,
  });
}

async function sendTo(r: Receiver, payload: AlertPayload, input: Record<string, unknown> = {}) {
  const result = await sendgrid.send(payload, config({ api_url: r.url, ...input }), ctx);
  const req = r.requests.at(-1);
  return { result, req, body: req ? JSON.parse(req.body.toString('utf8')) : undefined };
}

describe('sendgrid.send', () => {
  it('sends the alert as the email channel does: subject, plain text, HTML and vigil headers', async () => {
    const r = await sendgridApi();
    const payload = samplePayload('failed');
    const { result, req, body } = await sendTo(r, payload, { subject_prefix: '[prod]' });
    expect(result).toEqual({ outcome: 'delivered', detail: 'message GRfS0MArQm2Ce9Mh9d2cA1' });
    expect(req).toMatchObject({ method: 'POST', url: '/v3/mail/send' });
    expect(body).toEqual({
      personalizations: [{ to: [{ email: 'ops@example.org' }] }],
      from: { email: 'alerts@example.com' },
      subject: '[prod] "nightly-backup" is DOWN: run failed',
      content: [
        { type: 'text/plain', value: plainText(describeAlert(payload)) },
        { type: 'text/html', value: expect.stringContaining('&lt;&amp;&gt; &quot;quoted&quot;') },
      ],
      headers: { 'X-Vigil-Event': 'failed', 'X-Vigil-Check': CHECK_ID },
    });
  });

  it('sends to every recipient, from the sender’s name as its own field', async () => {
    const r = await sendgridApi();
    const { body } = await sendTo(r, samplePayload('down'), {
      to: ['ops@example.org', 'oncall@example.org'],
      from_name: 'vigil (prod)',
    });
    expect(body.personalizations).toEqual([
      { to: [{ email: 'ops@example.org' }, { email: 'oncall@example.org' }] },
    ]);
    expect(body.from).toEqual({ email: 'alerts@example.com', name: 'vigil (prod)' });
  });

  it('fails permanently, with SendGrid’s message, when the API key is wrong (401)', async () => {
    const r = await sendgridApi();
    expect((await sendTo(r, samplePayload('down'), { api_key: 'SG.wrong.key' })).result).toEqual({
      outcome: 'failed',
      error: 'SendGrid: The provided authorization grant is invalid, expired, or revoked (HTTP 401)',
    });
  });

  it('fails permanently, naming the field, when the sender is not verified (403)', async () => {
    const r = await sendgridApi((_req, res) =>
      errors(res, 403, [
        {
          message: 'The from address does not match a verified Sender Identity.',
          field: 'from',
        },
      ]),
    );
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'failed',
      error: 'SendGrid: from: The from address does not match a verified Sender Identity. (HTTP 403)',
    });
  });

  it('fails permanently with every message of a 400', async () => {
    const r = await sendgridApi((_req, res) =>
      errors(res, 400, [
        { message: 'Invalid type. Expected: string, given: integer.', field: 'subject' },
        { message: 'Does not contain a valid address.', field: 'personalizations.0.to.0.email' },
      ]),
    );
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'failed',
      error:
        'SendGrid: subject: Invalid type. Expected: string, given: integer.; personalizations.0.to.0.email: Does not contain a valid address. (HTTP 400)',
    });
  });

  it('retries after the Retry-After when rate limited (429)', async () => {
    const r = await sendgridApi((_req, res) =>
      errors(res, 429, [{ message: 'too many requests', field: null }], { 'retry-after': '60' }),
    );
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'SendGrid: too many requests (HTTP 429)',
      retryAfterMs: 60_000,
    });
  });

  it('retries on 503', async () => {
    const r = await sendgridApi((_req, res) => res.writeHead(503).end());
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'HTTP 503 (empty body)',
    });
  });
});

describe('sendgridConfigSchema', () => {
  it('stores one recipient as a list and defaults the API', () => {
    expect(config()).toEqual({
      api_key: API_KEY,
      to: ['ops@example.org'],
      from: 'alerts@example.com',
      api_url: 'https://api.sendgrid.com',
    });
  });

  it.each([
    ['no recipient', { to: [] }, 'to'],
    ['a display name in to', { to: ['Ops <ops@example.org>'] }, 'to'],
    ['a sender that is not an address', { from: 'vigil' }, 'from'],
    ['a masked API key', { api_key: '••••5cr' }, 'api_key'],
  ])('rejects %s, naming the field', (_what, input, field) => {
    const result = sendgridConfigSchema.safeParse({
      api_key: API_KEY,
      to: 'ops@example.org',
      from: 'alerts@example.com',
      ...input,
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path[0]).toBe(field);
  });

  it('masks the API key on read and keeps it when the masked value comes back', () => {
    const stored = config();
    const masked = maskSecrets('sendgrid', stored);
    expect(masked.api_key).toBe('••••s5cr');
    expect(mergeSecrets('sendgrid', stored, masked).api_key).toBe(API_KEY);
  });
});
