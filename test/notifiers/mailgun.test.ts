import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { type MailgunConfig, mailgun, mailgunConfigSchema } from '../../src/notifiers/mailgun.ts';
import { describeAlert, plainText } from '../../src/notifiers/message.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import { maskSecrets, mergeSecrets } from '../../src/notifiers/registry.ts';
import { samplePayload } from './payloads.ts';
import { type Handler, type ReceivedRequest, type Receiver, reply, startReceiver } from './receiver.ts';

const API_KEY = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0';
const DOMAIN = 'mg.example.com';
const CHECK_ID = '5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23';
const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 500 }) };

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** The posted form, as Mailgun reads multipart/form-data: every value of every field. */
async function form(req: ReceivedRequest): Promise<FormData> {
  const type = req.headers['content-type'] ?? '';
  return new Response(new Uint8Array(req.body), { headers: { 'content-type': type } }).formData();
}

/** A stand-in for api.mailgun.net: POST /v3/{domain}/messages with Basic auth api:<key>. */
async function mailgunApi(answer?: Handler): Promise<Receiver> {
  let n = 0;
  const r = await startReceiver(async (req, res) => {
    if (req.method !== 'POST' || req.url !== `/v3/${DOMAIN}/messages`)
      return reply(res, 404, { message: `Domain not found: ${req.url.split('/')[2]}` });
    const expected = `Basic ${Buffer.from(`api:${API_KEY}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return res.writeHead(401).end('Forbidden');
    if (!req.headers['content-type']?.startsWith('multipart/form-data; boundary='))
      return reply(res, 400, { message: 'expected multipart/form-data' });
    const f = await form(req);
    for (const field of ['from', 'to', 'subject'])
      if (!f.get(field)) return reply(res, 400, { message: `'${field}' parameter is missing` });
    if (!f.get('text') && !f.get('html'))
      return reply(res, 400, {
        message: "Need at least one of 'text', 'html', 'amp-html' or 'template' parameters specified",
      });
    if (answer) return answer(req, res);
    return reply(res, 200, { id: `<20260301100501.1.${++n}@${DOMAIN}>`, message: 'Queued. Thank you.' });
  });
  receivers.push(r);
  return r;
}

function config(input: Record<string, unknown> = {}): MailgunConfig {
  return mailgunConfigSchema.parse({
    api_key: API_KEY,
    domain: DOMAIN,
    to: 'ops@example.org',
    from: `alerts@${DOMAIN}`,
    ...input,
  });
}

async function sendTo(r: Receiver, payload: AlertPayload, input: Record<string, unknown> = {}) {
  const result = await mailgun.send(payload, config({ api_url: r.url, ...input }), ctx);
  const req = r.requests.at(-1);
  return { result, req, fields: req ? await form(req) : undefined };
}

describe('mailgun.send', () => {
  it('sends the alert as the email channel does: subject, plain text, HTML and vigil headers', async () => {
    const r = await mailgunApi();
    const payload = samplePayload('failed');
    const { result, req, fields } = await sendTo(r, payload, { subject_prefix: '[prod]' });
    expect(result).toEqual({ outcome: 'delivered', detail: `message <20260301100501.1.1@${DOMAIN}>` });
    expect(req).toMatchObject({ method: 'POST', url: `/v3/${DOMAIN}/messages` });
    expect([...fields!.keys()]).toEqual([
      'from',
      'to',
      'subject',
      'text',
      'html',
      'h:X-Vigil-Event',
      'h:X-Vigil-Check',
    ]);
    expect(Object.fromEntries(fields!)).toEqual({
      from: `alerts@${DOMAIN}`,
      to: 'ops@example.org',
      subject: '[prod] "nightly-backup" is DOWN: run failed',
      text: plainText(describeAlert(payload)),
      html: expect.stringContaining('&lt;&amp;&gt; &quot;quoted&quot;'),
      'h:X-Vigil-Event': 'failed',
      'h:X-Vigil-Check': CHECK_ID,
    });
  });

  it('sends to every recipient, from the sender’s name and address', async () => {
    const r = await mailgunApi();
    const { fields } = await sendTo(r, samplePayload('down'), {
      to: ['ops@example.org', 'oncall@example.org'],
      from_name: 'vigil (prod)',
    });
    expect(fields!.getAll('to')).toEqual(['ops@example.org', 'oncall@example.org']);
    expect(fields!.get('from')).toBe(`"vigil (prod)" <alerts@${DOMAIN}>`);
  });

  it('fails permanently when Mailgun refuses the key (401 "Forbidden")', async () => {
    const r = await mailgunApi();
    expect((await sendTo(r, samplePayload('down'), { api_key: 'key-wrong' })).result).toEqual({
      outcome: 'failed',
      error: 'Mailgun: Forbidden (HTTP 401)',
    });
  });

  it('fails permanently, pointing at domain and region, when the domain is not found (404)', async () => {
    const r = await mailgunApi();
    expect((await sendTo(r, samplePayload('down'), { domain: 'eu.example.com' })).result).toEqual({
      outcome: 'failed',
      error:
        'Mailgun: Domain not found: eu.example.com (HTTP 404); check the domain, and api_url for an EU domain',
    });
  });

  it('fails permanently with Mailgun’s message when it refuses the email (400)', async () => {
    const r = await mailgunApi((_req, res) =>
      reply(res, 400, { message: 'to parameter is not a valid address. please check documentation' }),
    );
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'failed',
      error: 'Mailgun: to parameter is not a valid address. please check documentation (HTTP 400)',
    });
  });

  it('retries after the Retry-After when rate limited (429)', async () => {
    const r = await mailgunApi((_req, res) =>
      reply(res, 429, { message: 'Too many requests' }, { 'retry-after': '3' }),
    );
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'Mailgun: Too many requests (HTTP 429)',
      retryAfterMs: 3000,
    });
  });

  it('retries on 500', async () => {
    const r = await mailgunApi((_req, res) => reply(res, 500, { message: 'Internal Server Error' }));
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'Mailgun: Internal Server Error (HTTP 500)',
    });
  });
});

describe('mailgunConfigSchema', () => {
  it('stores one recipient as a list and defaults the API to the US region', () => {
    expect(config()).toEqual({
      api_key: API_KEY,
      domain: DOMAIN,
      to: ['ops@example.org'],
      from: `alerts@${DOMAIN}`,
      api_url: 'https://api.mailgun.net',
    });
  });

  it('takes the EU region as api_url', () => {
    expect(config({ api_url: 'https://api.eu.mailgun.net/' }).api_url).toBe('https://api.eu.mailgun.net');
  });

  it.each([
    ['no domain', { domain: undefined }, 'domain'],
    ['a domain with a path', { domain: 'mg.example.com/x' }, 'domain'],
    ['a display name in to', { to: 'Ops <ops@example.org>' }, 'to'],
    ['a masked API key', { api_key: '••••eol0' }, 'api_key'],
  ])('rejects %s, naming the field', (_what, input, field) => {
    const result = mailgunConfigSchema.safeParse({
      api_key: API_KEY,
      domain: DOMAIN,
      to: 'ops@example.org',
      from: `alerts@${DOMAIN}`,
      ...input,
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path[0]).toBe(field);
  });

  it('masks the API key on read and keeps it when the masked value comes back', () => {
    const stored = config();
    const masked = maskSecrets('mailgun', stored);
    expect(masked.api_key).toBe('••••eol0');
    expect(mergeSecrets('mailgun', stored, masked).api_key).toBe(API_KEY);
  });
});
