import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { describeAlert, plainText } from '../../src/notifiers/message.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import { type PostmarkConfig, postmark, postmarkConfigSchema } from '../../src/notifiers/postmark.ts';
import { maskSecrets, mergeSecrets } from '../../src/notifiers/registry.ts';
import { samplePayload } from './payloads.ts';
import { type Handler, type Receiver, reply, startReceiver } from './receiver.ts';

const SERVER_TOKEN = 'f3c1a2b4-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const CHECK_ID = '5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23';
const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 500 }) };

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** A stand-in for api.postmarkapp.com: POST /email, its token header, 422 with ErrorCode. */
async function postmarkApi(answer?: Handler): Promise<Receiver> {
  let n = 0;
  const r = await startReceiver(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/email') return res.writeHead(404).end();
    if (req.headers['x-postmark-server-token'] !== SERVER_TOKEN)
      return reply(res, 401, {
        ErrorCode: 10,
        Message: 'The Server Token you provided in the X-Postmark-Server-Token request header was invalid.',
      });
    if (req.headers['content-type'] !== 'application/json' || req.headers.accept !== 'application/json')
      return reply(res, 422, { ErrorCode: 409, Message: 'JSON request required.' });
    const body = JSON.parse(req.body.toString('utf8'));
    if (typeof body.From !== 'string' || typeof body.To !== 'string' || body.To.split(',').length > 50)
      return reply(res, 422, { ErrorCode: 300, Message: 'Invalid email request' });
    if (typeof body.TextBody !== 'string' && typeof body.HtmlBody !== 'string')
      return reply(res, 422, {
        ErrorCode: 300,
        Message: 'Provide either email TextBody or HtmlBody or both.',
      });
    if (body.Headers !== undefined && !Array.isArray(body.Headers))
      return reply(res, 422, { ErrorCode: 402, Message: 'Invalid JSON' });
    if (answer) return answer(req, res);
    return reply(res, 200, {
      To: body.To,
      SubmittedAt: '2026-03-01T10:05:01.0000000Z',
      MessageID: `b7bc2f4a-e38e-4336-af7d-e6c39210${String(++n).padStart(4, '0')}`,
      ErrorCode: 0,
      Message: 'OK',
    });
  });
  receivers.push(r);
  return r;
}

function config(input: Record<string, unknown> = {}): PostmarkConfig {
  return postmarkConfigSchema.parse({
    server_token: SERVER_TOKEN,
    to: 'ops@example.org',
    from: 'alerts@example.com',
    ...input,
  });
}

async function sendTo(r: Receiver, payload: AlertPayload, input: Record<string, unknown> = {}) {
  const result = await postmark.send(payload, config({ api_url: r.url, ...input }), ctx);
  const req = r.requests.at(-1);
  return { result, req, body: req ? JSON.parse(req.body.toString('utf8')) : undefined };
}

describe('postmark.send', () => {
  it('sends the alert as the email channel does: subject, plain text, HTML and vigil headers', async () => {
    const r = await postmarkApi();
    const payload = samplePayload('failed');
    const { result, req, body } = await sendTo(r, payload, { subject_prefix: '[prod]' });
    expect(result).toEqual({ outcome: 'delivered', detail: 'message b7bc2f4a-e38e-4336-af7d-e6c392100001' });
    expect(req).toMatchObject({ method: 'POST', url: '/email' });
    expect(body).toEqual({
      From: 'alerts@example.com',
      To: 'ops@example.org',
      Subject: '[prod] "nightly-backup" is DOWN: run failed',
      TextBody: plainText(describeAlert(payload)),
      HtmlBody: expect.stringContaining('&lt;&amp;&gt; &quot;quoted&quot;'),
      Headers: [
        { Name: 'X-Vigil-Event', Value: 'failed' },
        { Name: 'X-Vigil-Check', Value: CHECK_ID },
      ],
    });
  });

  it('sends to every recipient, comma-separated, from the sender’s name, on the chosen stream', async () => {
    const r = await postmarkApi();
    const { body } = await sendTo(r, samplePayload('down'), {
      to: ['ops@example.org', 'oncall@example.org'],
      from_name: 'vigil',
      message_stream: 'alerts',
    });
    expect(body).toMatchObject({
      From: '"vigil" <alerts@example.com>',
      To: 'ops@example.org, oncall@example.org',
      MessageStream: 'alerts',
    });
  });

  it('fails permanently, with Postmark’s message, when the server token is wrong (401)', async () => {
    const r = await postmarkApi();
    expect((await sendTo(r, samplePayload('down'), { server_token: 'not-the-token' })).result).toEqual({
      outcome: 'failed',
      error:
        'Postmark: The Server Token you provided in the X-Postmark-Server-Token request header was invalid. (ErrorCode 10) (HTTP 401)',
    });
  });

  it('fails permanently with Postmark’s message when it refuses the email (422)', async () => {
    const r = await postmarkApi((_req, res) =>
      reply(res, 422, {
        ErrorCode: 400,
        Message:
          "The 'From' address you supplied (alerts@example.com) is not a Sender Signature on your account.",
      }),
    );
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'failed',
      error:
        "Postmark: The 'From' address you supplied (alerts@example.com) is not a Sender Signature on your account. (ErrorCode 400) (HTTP 422)",
    });
  });

  it('retries after the Retry-After when rate limited (429)', async () => {
    const r = await postmarkApi((_req, res) =>
      reply(res, 429, { ErrorCode: 429, Message: 'Rate limit exceeded' }, { 'retry-after': '30' }),
    );
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'Postmark: Rate limit exceeded (ErrorCode 429) (HTTP 429)',
      retryAfterMs: 30_000,
    });
  });

  it('retries on 500', async () => {
    const r = await postmarkApi((_req, res) => res.writeHead(500).end('Internal Server Error'));
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'HTTP 500: Internal Server Error',
    });
  });
});

describe('postmarkConfigSchema', () => {
  it('stores one recipient as a list and defaults the API', () => {
    expect(config()).toEqual({
      server_token: SERVER_TOKEN,
      to: ['ops@example.org'],
      from: 'alerts@example.com',
      api_url: 'https://api.postmarkapp.com',
    });
  });

  it.each([
    ['a display name in to', { to: 'Ops <ops@example.org>' }, 'to'],
    ['no server token', { server_token: undefined }, 'server_token'],
    ['a masked server token', { server_token: '••••4a5b' }, 'server_token'],
    ['a message stream with a space', { message_stream: 'my stream' }, 'message_stream'],
    ['a comma in from_name', { from_name: 'ops, and more' }, 'from_name'],
  ])('rejects %s, naming the field', (_what, input, field) => {
    const result = postmarkConfigSchema.safeParse({
      server_token: SERVER_TOKEN,
      to: 'ops@example.org',
      from: 'alerts@example.com',
      ...input,
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path[0]).toBe(field);
  });

  it('masks the server token on read and keeps it when the masked value comes back', () => {
    const stored = config();
    const masked = maskSecrets('postmark', stored);
    expect(masked.server_token).toBe('••••4a5b');
    expect(mergeSecrets('postmark', stored, masked).server_token).toBe(SERVER_TOKEN);
  });
});
