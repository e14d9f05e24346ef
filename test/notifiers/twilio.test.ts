import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { describeAlert } from '../../src/notifiers/message.ts';
import type { SendContext } from '../../src/notifiers/notifier.ts';
import {
  SMS_MAX_CHARS,
  smsBody,
  type TwilioConfig,
  twilio,
  twilioConfigSchema,
} from '../../src/notifiers/twilio.ts';
import { samplePayload } from './payloads.ts';
import {
  closedPortUrl,
  type Handler,
  type ReceivedRequest,
  type Receiver,
  startReceiver,
} from './receiver.ts';

const ACCOUNT = `AC${'a1'.repeat(16)}`;
const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const API_KEY = `SK${'b2'.repeat(16)}`;
const API_SECRET = 'apikeysecretapikeysecret';
const SERVICE = `MG${'c3'.repeat(16)}`;
const FROM = '+14155550100';
const ALICE = '+14155550111';
const BOB = '+447700900222';

const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 300 }) };

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function form(req: ReceivedRequest): URLSearchParams {
  return new URLSearchParams(req.body.toString('utf8'));
}

function twilioError(res: Parameters<Handler>[1], status: number, code: number, message: string): void {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }));
}

/** The Messages API as far as we use it: checks the request, then `answer(to, res)` decides. */
function messagesApi(
  answer: (to: string, res: Parameters<Handler>[1]) => unknown = (to, res) =>
    res
      .writeHead(201, { 'content-type': 'application/json' })
      .end(JSON.stringify({ sid: `SM-${to}`, status: 'queued' })),
  auth = basic(ACCOUNT, TOKEN),
): Handler {
  return (req, res) => {
    const f = form(req);
    if (req.method !== 'POST' || req.url !== `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`) {
      return twilioError(res, 404, 20404, `The requested resource ${req.url} was not found`);
    }
    if (req.headers.authorization !== auth) return twilioError(res, 401, 20003, 'Authenticate');
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') {
      return twilioError(res, 400, 20001, 'wrong content type');
    }
    if (!f.get('To')) return twilioError(res, 400, 21604, "A 'To' phone number is required.");
    if (!f.get('From') && !f.get('MessagingServiceSid')) {
      return twilioError(res, 400, 21603, "A 'From' phone number is required.");
    }
    if (!f.get('Body')) return twilioError(res, 400, 21602, 'Message body is required.');
    return answer(f.get('To')!, res);
  };
}

async function receiver(handler: Handler = messagesApi()): Promise<Receiver> {
  const r = await startReceiver(handler);
  receivers.push(r);
  return r;
}

function config(apiUrl: string, extra: Record<string, unknown> = {}): TwilioConfig {
  return twilioConfigSchema.parse({
    account_sid: ACCOUNT,
    auth_token: TOKEN,
    from: FROM,
    to: ALICE,
    api_url: apiUrl,
    ...extra,
  });
}

describe('twilio.send', () => {
  it('texts the title, the reason and the link', async () => {
    const r = await receiver();
    const result = await twilio.send(samplePayload('down'), config(r.url), ctx);
    expect(result).toEqual({ outcome: 'delivered', detail: `sent to ${ALICE} (SM-${ALICE})` });
    const f = form(r.requests[0]!);
    expect(f.get('To')).toBe(ALICE);
    expect(f.get('From')).toBe(FROM);
    expect(f.get('Body')).toBe(
      [
        '"nightly-backup" is DOWN',
        'expected a ping every 1 hour; last ping 1 hour 5 minutes ago',
        'https://vigil.example.com/checks/5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23',
      ].join('\n'),
    );
  });

  it('says how long the check was down when it recovers', async () => {
    const r = await receiver();
    await twilio.send(samplePayload('up'), config(r.url), ctx);
    expect(form(r.requests[0]!).get('Body')).toContain(
      '"nightly-backup" is back UP\nsuccess ping received\nDown for: 1 hour 5 minutes\n',
    );
  });

  it('sends through a Messaging Service with an API key', async () => {
    const r = await receiver(messagesApi(undefined, basic(API_KEY, API_SECRET)));
    const cfg = config(r.url, {
      auth_token: undefined,
      api_key_sid: API_KEY,
      api_key_secret: API_SECRET,
      from: undefined,
      messaging_service_sid: SERVICE,
    });
    expect(await twilio.send(samplePayload('down'), cfg, ctx)).toMatchObject({ outcome: 'delivered' });
    const f = form(r.requests[0]!);
    expect(f.get('MessagingServiceSid')).toBe(SERVICE);
    expect(f.has('From')).toBe(false);
  });

  it('sends one message per number', async () => {
    const r = await receiver();
    const result = await twilio.send(samplePayload('down'), config(r.url, { to: [ALICE, BOB] }), ctx);
    expect(result).toEqual({
      outcome: 'delivered',
      detail: `sent to ${ALICE} (SM-${ALICE}), ${BOB} (SM-${BOB})`,
    });
    expect(r.requests.map((req) => form(req).get('To'))).toEqual([ALICE, BOB]);
  });

  it('keeps the text within the SMS limit, cutting the reason but never the link', async () => {
    const r = await receiver();
    const p = samplePayload('down');
    const payload = {
      ...p,
      check: { ...p.check, name: 'n'.repeat(200) },
      flip: { ...p.flip, reason: 'r'.repeat(500) },
    };
    await twilio.send(payload, config(r.url), ctx);
    const body = form(r.requests[0]!).get('Body')!;
    expect(body.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
    expect(body.endsWith(`\n${p.check.url}`)).toBe(true);
    expect(body).toContain('…');
  });

  it('fails permanently on a bad number, naming it, with Twilio’s message and no secret', async () => {
    const r = await receiver(
      messagesApi((to, res) =>
        to === BOB
          ? twilioError(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`)
          : res.writeHead(201).end(JSON.stringify({ sid: 'SM1' })),
      ),
    );
    const result = await twilio.send(samplePayload('down'), config(r.url, { to: [ALICE, BOB] }), ctx);
    expect(result).toEqual({
      outcome: 'failed',
      error:
        `${BOB}: HTTP 400, Twilio error 21211: The 'To' number ${BOB} is not a valid phone number. ` +
        `(https://www.twilio.com/docs/errors/21211) (sent to ${ALICE})`,
    });
  });

  it('stops at the first number when Twilio refuses the credentials', async () => {
    const r = await receiver(messagesApi(undefined, basic(ACCOUNT, 'another-token')));
    const result = await twilio.send(samplePayload('down'), config(r.url, { to: [ALICE, BOB] }), ctx);
    expect(result).toEqual({
      outcome: 'failed',
      error: `${ALICE}: HTTP 401, Twilio error 20003: Authenticate (https://www.twilio.com/docs/errors/20003)`,
    });
    expect(r.requests).toHaveLength(1);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it('retries on 429 after the wait Twilio asks for', async () => {
    const r = await receiver(
      messagesApi((_to, res) =>
        res
          .writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' })
          .end(JSON.stringify({ code: 20429, message: 'Too Many Requests', status: 429 })),
      ),
    );
    expect(await twilio.send(samplePayload('down'), config(r.url), ctx)).toEqual({
      outcome: 'retry',
      error: `${ALICE}: HTTP 429, Twilio error 20429: Too Many Requests`,
      retryAfterMs: 3000,
    });
  });

  it('retries on 500', async () => {
    const r = await receiver(messagesApi((_to, res) => res.writeHead(500).end('upstream error')));
    expect(await twilio.send(samplePayload('down'), config(r.url), ctx)).toEqual({
      outcome: 'retry',
      error: `${ALICE}: HTTP 500: upstream error`,
    });
  });

  it('retries when Twilio cannot be reached', async () => {
    const result = await twilio.send(samplePayload('down'), config(await closedPortUrl()), ctx);
    expect(result).toMatchObject({ outcome: 'retry', error: expect.stringContaining('ECONNREFUSED') });
  });

  it('on a retry of the same delivery, texts only the numbers not reached the first time', async () => {
    let bobDown = true;
    const r = await receiver(
      messagesApi((to, res) =>
        to === BOB && bobDown
          ? res.writeHead(503).end('try later')
          : res.writeHead(201).end(JSON.stringify({ sid: `SM-${to}` })),
      ),
    );
    const cfg = config(r.url, { to: [ALICE, BOB] });
    const first = await twilio.send(samplePayload('down'), cfg, { ...ctx, deliveryId: 'twilio-partial-1' });
    expect(first).toEqual({ outcome: 'retry', error: `${BOB}: HTTP 503: try later (sent to ${ALICE})` });

    bobDown = false;
    const retry = await twilio.send(samplePayload('down'), cfg, { ...ctx, deliveryId: 'twilio-partial-1' });
    expect(retry).toEqual({ outcome: 'delivered', detail: `sent to ${BOB} (SM-${BOB})` });
    expect(r.requests.map((req) => form(req).get('To'))).toEqual([ALICE, BOB, BOB]);
  });
});

describe('smsBody', () => {
  it('fits a recovery with a long name into the limit and keeps "Down for"', () => {
    const p = samplePayload('up');
    const body = smsBody(describeAlert({ ...p, check: { ...p.check, name: 'x'.repeat(200) } }));
    expect(body.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
    expect(body).toContain('\nDown for: 1 hour 5 minutes\n');
  });
});

describe('twilioConfigSchema', () => {
  it('stores a single number as a list and defaults the API URL', () => {
    expect(
      twilioConfigSchema.parse({ account_sid: ACCOUNT, auth_token: TOKEN, from: FROM, to: ALICE }),
    ).toEqual({
      account_sid: ACCOUNT,
      auth_token: TOKEN,
      from: FROM,
      to: [ALICE],
      api_url: 'https://api.twilio.com',
    });
  });

  it('accepts what it stored', () => {
    const stored = config('https://api.twilio.com', { to: [ALICE, BOB] });
    expect(twilioConfigSchema.parse(stored)).toEqual(stored);
  });

  it('accepts an alphanumeric sender ID', () => {
    expect(config('https://api.twilio.com', { from: 'Vigil Ops' }).from).toBe('Vigil Ops');
  });

  const base = { account_sid: ACCOUNT, auth_token: TOKEN, from: FROM, to: ALICE };
  it.each([
    ['a number without +', { ...base, to: '14155550111' }],
    ['a number with spaces', { ...base, to: '+1 415 555 0111' }],
    ['a number that is too long', { ...base, to: '+1234567890123456' }],
    ['an empty list of numbers', { ...base, to: [] }],
    ['a number listed twice', { ...base, to: [ALICE, ALICE] }],
    [
      'eleven numbers',
      { ...base, to: Array.from({ length: 11 }, (_, i) => `+1415555${String(i).padStart(4, '0')}`) },
    ],
    ['a bad account SID', { ...base, account_sid: 'AC123' }],
    ['no sender', { ...base, from: undefined }],
    ['both a sender and a messaging service', { ...base, messaging_service_sid: SERVICE }],
    ['a sender ID over 11 characters', { ...base, from: 'VigilOpsAlerts' }],
    ['no credentials', { ...base, auth_token: undefined }],
    ['an API key without its secret', { ...base, auth_token: undefined, api_key_sid: API_KEY }],
    ['an auth token and an API key', { ...base, api_key_sid: API_KEY, api_key_secret: API_SECRET }],
    ['a masked auth token', { ...base, auth_token: '••••feed' }],
    ['an unknown key', { ...base, body: 'custom' }],
  ])('rejects %s', (_what, input) => {
    expect(twilioConfigSchema.safeParse(input).success).toBe(false);
  });

  it('marks the auth token and the API key secret as secrets', () => {
    expect(twilio.secretFields).toEqual(['auth_token', 'api_key_secret']);
  });
});
