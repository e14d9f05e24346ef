import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import {
  MESSAGE_LIMIT,
  type PushoverConfig,
  pushover,
  pushoverConfigSchema,
  TITLE_LIMIT,
} from '../../src/notifiers/pushover.ts';
import { samplePayload } from './payloads.ts';
import { type Handler, type ReceivedRequest, type Receiver, reply, startReceiver } from './receiver.ts';

const APP_TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
const USER_KEY = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
const CHECK_ID = '5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23';
const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 500 }) };

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** A stand-in for api.pushover.net: the checks of messages.json and cancel_by_tag, its error format. */
async function pushoverApi(answer?: Handler): Promise<Receiver> {
  let n = 0;
  const r = await startReceiver(async (req, res) => {
    const problem = requestProblem(req);
    if (problem !== undefined) {
      const [field, error] = problem;
      return reply(res, 400, { [field]: 'invalid', errors: [error], status: 0, request: `req-${++n}` });
    }
    if (answer) return answer(req, res);
    const extra = req.url.startsWith('/1/receipts/') ? { canceled: 1 } : {};
    return reply(res, 200, { status: 1, request: `req-${++n}`, ...extra });
  });
  receivers.push(r);
  return r;
}

function form(req: ReceivedRequest): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(req.body.toString('utf8')));
}

/** pushover.net/api: [field, error] for what the API would refuse. */
function requestProblem(req: ReceivedRequest): [string, string] | undefined {
  if (req.method !== 'POST') return ['method', 'expected POST'];
  if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return ['body', 'expected a form'];
  const f = form(req);
  if (f.token !== APP_TOKEN) return ['token', 'application token is invalid'];
  if (/^\/1\/receipts\/cancel_by_tag\/[^/]+\.json$/.test(req.url)) return undefined;
  if (req.url !== '/1/messages.json') return ['url', `unknown endpoint ${req.url}`];
  if (f.user !== USER_KEY)
    return ['user', 'user identifier is not a valid user, group, or subscribed user key'];
  if (!f.message || f.message.length > 1024)
    return ['message', 'message cannot be blank or longer than 1024 characters'];
  if (f.title !== undefined && f.title.length > 250) return ['title', 'title is too long'];
  if (f.url !== undefined && f.url.length > 512) return ['url', 'url is too long'];
  if (f.url_title !== undefined && f.url_title.length > 100) return ['url_title', 'url_title is too long'];
  if (f.timestamp !== undefined && !/^\d+$/.test(f.timestamp)) return ['timestamp', 'timestamp is invalid'];
  if (!['-2', '-1', '0', '1', '2', undefined].includes(f.priority))
    return ['priority', 'priority is invalid'];
  if (f.priority === '2') {
    if (!(Number(f.retry) >= 30)) return ['retry', 'retry must be at least 30 seconds'];
    if (!(Number(f.expire) > 0 && Number(f.expire) <= 10800))
      return ['expire', 'expire must be at most 10800 seconds'];
  }
  return undefined;
}

function config(input: Record<string, unknown>): PushoverConfig {
  return pushoverConfigSchema.parse({ app_token: APP_TOKEN, user_key: USER_KEY, ...input });
}

async function sendTo(r: Receiver, payload: AlertPayload, input: Record<string, unknown> = {}) {
  const result = await pushover.send(payload, config({ api_url: r.url, ...input }), ctx);
  return { result, fields: form(r.requests.at(-1)!) };
}

describe('pushover.send', () => {
  it('sends a down alert as a form: title, facts, ping body, link, priority and when it happened', async () => {
    const r = await pushoverApi();
    const { result, fields } = await sendTo(r, samplePayload('failed'));
    expect(result).toEqual({ outcome: 'delivered', detail: 'request req-1' });
    expect(r.requests[0]).toMatchObject({ method: 'POST', url: '/1/messages.json' });
    expect(fields).toEqual({
      token: APP_TOKEN,
      user: USER_KEY,
      title: '"nightly-backup" is DOWN: run failed',
      message: [
        'expected a ping every 1 hour; last ping 1 hour 5 minutes ago',
        '',
        'Project: ops',
        'Severity: critical',
        'Schedule: every 1 hour',
        'Last ping: 1 hour 5 minutes ago',
        '',
        'Last ping body (tail):',
        'pg_dump: error: connection to server failed <&> "quoted"',
      ].join('\n'),
      priority: '1',
      timestamp: String(Date.parse('2026-03-01T10:05:00.000Z') / 1000),
      url: `https://vigil.example.com/checks/${CHECK_ID}`,
      url_title: 'Open the check in vigil',
    });
  });

  it.each([
    ['down', 'critical', '1'],
    ['down', 'important', '0'],
    ['failed', 'low', '-1'],
    ['late', 'critical', '0'],
    ['late', 'low', '-1'],
    ['up', 'critical', '0'],
    ['up', 'low', '-1'],
  ] as const)('sends a %s alert of a %s check at priority %s', async (kind, severity, priority) => {
    const r = await pushoverApi();
    const p = samplePayload(kind);
    p.check.severity = severity;
    expect((await sendTo(r, p)).fields.priority).toBe(priority);
  });

  it('says how long the check was down when it recovers', async () => {
    const r = await pushoverApi();
    const { fields } = await sendTo(r, samplePayload('up'));
    expect(fields.title).toBe('"nightly-backup" is back UP');
    expect(fields.message).toContain('Down for: 1 hour 5 minutes');
  });

  it('numbers reminders', async () => {
    const r = await pushoverApi();
    const { fields } = await sendTo(r, samplePayload('down', { reminder: 2 }));
    expect(fields.title).toBe('Reminder #2: "nightly-backup" is still DOWN');
    expect(fields.message).toContain('Down since: 2026-03-01T10:05:00.000Z');
  });

  it('sends a down critical check as an emergency, repeated until acknowledged, when opted in', async () => {
    const r = await pushoverApi();
    const { result, fields } = await sendTo(r, samplePayload('down'), {
      emergency: true,
      emergency_retry: 120,
      emergency_expire: 7200,
    });
    expect(result.outcome).toBe('delivered');
    expect(fields).toMatchObject({ priority: '2', retry: '120', expire: '7200', tags: `vigil-${CHECK_ID}` });
  });

  it('keeps emergency for critical checks only', async () => {
    const r = await pushoverApi();
    const p = samplePayload('down');
    p.check.severity = 'important';
    const { fields } = await sendTo(r, p, { emergency: true });
    expect(fields.priority).toBe('0');
    expect(fields).not.toHaveProperty('retry');
  });

  it('cancels the repeating emergency before sending the recovery', async () => {
    const r = await pushoverApi();
    const { result } = await sendTo(r, samplePayload('up'), { emergency: true });
    expect(result).toEqual({ outcome: 'delivered', detail: 'request req-2' });
    expect(r.requests.map((req) => req.url)).toEqual([
      `/1/receipts/cancel_by_tag/vigil-${CHECK_ID}.json`,
      '/1/messages.json',
    ]);
    expect(form(r.requests[0]!)).toEqual({ token: APP_TOKEN });
  });

  it('sends the recovery later if cancelling the emergency has to be retried', async () => {
    const r = await pushoverApi((req, res) =>
      req.url.startsWith('/1/receipts/')
        ? res.writeHead(503).end()
        : reply(res, 200, { status: 1, request: 'x' }),
    );
    const { result } = await sendTo(r, samplePayload('up'), { emergency: true });
    expect(result).toEqual({ outcome: 'retry', error: 'HTTP 503 (empty body)' });
    expect(r.requests).toHaveLength(1);
  });

  it('sends to the configured devices with the configured sound', async () => {
    const r = await pushoverApi();
    const { fields } = await sendTo(r, samplePayload('down'), { device: 'phone,tablet', sound: 'siren' });
    expect(fields).toMatchObject({ device: 'phone,tablet', sound: 'siren' });
  });

  it('keeps title and message within their limits, ending with the end of the ping body', async () => {
    const r = await pushoverApi();
    const p = samplePayload('failed', { last_ping_body: `${'x'.repeat(5000)}THE END` });
    p.check.name = 'n'.repeat(400);
    p.flip.reason = 'r'.repeat(2000);
    const { result, fields } = await sendTo(r, p);
    expect(result.outcome).toBe('delivered'); // the stand-in refuses what is too long
    expect(fields.title).toHaveLength(TITLE_LIMIT);
    expect(fields.message!.length).toBeLessThanOrEqual(MESSAGE_LIMIT);
    expect(fields.message).toMatch(/Last ping body \(tail\):\n…x+THE END$/);
  });

  it.each([
    [{ app_token: 'bzGDORePK8gMaC0QOYAMyEEuzJnyUi' }, 'Pushover: application token is invalid'],
    [
      { user_key: 'vQiRzpo4DXghDmr9QzzfQu27cmVRsG' },
      'Pushover: user identifier is not a valid user, group, or subscribed user key',
    ],
  ])('fails permanently when Pushover refuses a key (%o)', async (input, error) => {
    const r = await pushoverApi();
    expect((await sendTo(r, samplePayload('down'), input)).result).toEqual({ outcome: 'failed', error });
  });

  it('retries on 429 (monthly message limit reached)', async () => {
    const r = await pushoverApi((_req, res) =>
      reply(res, 429, { status: 0, errors: ['application is over its monthly message limit'] }),
    );
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'Pushover: application is over its monthly message limit',
    });
  });

  it('retries on 500, after the Retry-After when there is one', async () => {
    const r = await pushoverApi((_req, res) => res.writeHead(500, { 'retry-after': '5' }).end('down'));
    expect((await sendTo(r, samplePayload('down'))).result).toEqual({
      outcome: 'retry',
      error: 'HTTP 500: down',
      retryAfterMs: 5000,
    });
  });
});

describe('pushoverConfigSchema', () => {
  it('defaults the API, normal priorities and the emergency timings', () => {
    expect(config({})).toEqual({
      app_token: APP_TOKEN,
      user_key: USER_KEY,
      api_url: 'https://api.pushover.net',
      emergency: false,
      emergency_retry: 60,
      emergency_expire: 3600,
    });
  });

  it.each([
    ['an app token of 29 characters', { app_token: APP_TOKEN.slice(1) }, '30-character API token'],
    [
      'a user key with a dash',
      { user_key: `${USER_KEY.slice(1)}-` },
      '30-character Pushover user or group key',
    ],
    ['a masked user key', { user_key: '••••RsG' }, 'looks masked'],
    ['an emergency retry under 30 seconds', { emergency_retry: 10 }, ''],
    ['an emergency expiry over 3 hours', { emergency_expire: 10_801 }, ''],
    ['a device list with spaces', { device: 'phone, tablet' }, 'device names'],
    ['a non-http api_url', { api_url: 'mailto:me@example.com' }, 'URL'],
    ['an unknown key', { priority: 2 }, ''],
  ])('rejects %s', (_what, input, message) => {
    const result = pushoverConfigSchema.safeParse({ app_token: APP_TOKEN, user_key: USER_KEY, ...input });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join('\n')).toContain(message);
  });

  it('masks the app token and the user key', () => {
    expect(pushover.secretFields).toEqual(['app_token', 'user_key']);
  });
});
