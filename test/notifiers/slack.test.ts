import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import { MASK, maskFields, maskUrlFields } from '../../src/notifiers/secret-mask.ts';
import { type SlackConfig, slack, slackConfigSchema } from '../../src/notifiers/slack.ts';
import { samplePayload } from './payloads.ts';
import { type Handler, type ReceivedRequest, type Receiver, startReceiver } from './receiver.ts';

const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 2000 }) };
const TOKEN = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp';
const HOOK_PATH = '/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX';

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(handler: Handler): Promise<Receiver> {
  const r = await startReceiver(handler);
  receivers.push(r);
  return r;
}

function config(input: Record<string, unknown>): SlackConfig {
  return slackConfigSchema.parse(input);
}

function problems(input: Record<string, unknown>): string[] {
  const result = slackConfigSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`.trim());
}

const isString = (v: unknown): v is string => typeof v === 'string';

/** What is wrong with a message against Slack's documented shape, or undefined. */
function attachmentProblem(body: Record<string, unknown>): string | undefined {
  if (!isString(body.text) || body.text === '') return 'text must be a non-empty string';
  if (!Array.isArray(body.attachments) || body.attachments.length !== 1) return 'one attachment expected';
  const a = body.attachments[0] as Record<string, unknown>;
  if (!isString(a.color) || !/^#[0-9a-f]{6}$/i.test(a.color)) return 'color must be #rrggbb';
  if (!isString(a.title) || !isString(a.text) || !isString(a.fallback))
    return 'title, text, fallback: strings';
  if (!isString(a.title_link) || !URL.canParse(a.title_link)) return 'title_link must be a URL';
  if (!isString(a.footer) || !Number.isInteger(a.ts)) return 'footer string, ts epoch seconds';
  const fields = a.fields;
  if (!Array.isArray(fields)) return 'fields must be an array';
  for (const f of fields as Record<string, unknown>[]) {
    if (!isString(f.title) || !isString(f.value) || typeof f.short !== 'boolean') return 'bad field';
  }
  return undefined;
}

function json(req: ReceivedRequest): Record<string, unknown> {
  return JSON.parse(req.body.toString('utf8'));
}

/** An incoming webhook as Slack documents it: "ok", or an error code as text with a 4xx. */
function slackWebhook(answer?: (res: ServerResponse) => void): Handler {
  return (req, res) => {
    let problem: string | undefined;
    if (req.method !== 'POST' || req.url !== HOOK_PATH) problem = 'no_service';
    else if (req.headers['content-type'] !== 'application/json') problem = 'invalid_payload';
    else problem = attachmentProblem(json(req));
    if (problem !== undefined) return res.writeHead(400).end(`invalid_payload: ${problem}`);
    if (answer) return answer(res);
    return res.writeHead(200, { 'content-type': 'text/html' }).end('ok');
  };
}

/** chat.postMessage as Slack documents it: 200 with {"ok": true|false, ...}. */
function slackApi(answer?: (res: ServerResponse, body: Record<string, unknown>) => void): Handler {
  return (req, res) => {
    let problem: string | undefined;
    if (req.method !== 'POST' || req.url !== '/api/chat.postMessage') problem = 'unknown_method';
    else if (req.headers.authorization !== `Bearer ${TOKEN}`) problem = 'not_authed';
    else if (req.headers['content-type'] !== 'application/json; charset=utf-8') problem = 'missing_charset';
    else if (!isString(json(req).channel)) problem = 'channel_not_found';
    else problem = attachmentProblem(json(req));
    if (problem !== undefined) {
      return res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: false, error: problem }));
    }
    if (answer) return answer(res, json(req));
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    return res.end(JSON.stringify({ ok: true, channel: 'C0123ABCD', ts: '1772359500.000100' }));
  };
}

function apiAnswer(body: Record<string, unknown>, status = 200, headers: Record<string, string> = {}) {
  return (res: ServerResponse) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function sendToWebhook(payload: AlertPayload) {
  const r = await receiver(slackWebhook());
  const result = await slack.send(payload, config({ webhook_url: `${r.url}${HOOK_PATH}` }), ctx);
  expect(result).toEqual({ outcome: 'delivered', detail: 'HTTP 200' });
  const body = json(r.requests[0]!);
  return { body, attachment: (body.attachments as Record<string, unknown>[])[0]! };
}

function fieldsOf(attachment: Record<string, unknown>): Record<string, string> {
  const fields = attachment.fields as { title: string; value: string }[];
  return Object.fromEntries(fields.map((f) => [f.title, f.value]));
}

describe('slack.send through an incoming webhook', () => {
  it('posts a down alert with its title, summary, facts, red colour and a link to the check', async () => {
    const payload = samplePayload('down');
    const { body, attachment } = await sendToWebhook(payload);
    expect(body.text).toBe('"nightly-backup" is DOWN');
    expect(attachment).toMatchObject({
      color: '#d93f0b',
      title: '"nightly-backup" is DOWN',
      title_link: payload.check.url,
      text: 'expected a ping every 1 hour; last ping 1 hour 5 minutes ago',
      ts: Date.parse(payload.flip.at) / 1000,
    });
    expect(fieldsOf(attachment)).toEqual({
      Project: 'ops',
      Severity: 'critical',
      Schedule: 'every 1 hour',
      'Last ping': '1 hour 5 minutes ago',
    });
  });

  it('shows a failed run’s ping body as a code block, with Slack’s control characters escaped', async () => {
    const { attachment } = await sendToWebhook(samplePayload('failed'));
    expect(attachment.text).toContain(
      '```\npg_dump: error: connection to server failed &lt;&amp;&gt; "quoted"\n```',
    );
    expect(attachment.mrkdwn_in).toEqual(['text']);
  });

  it('escapes a check name so it cannot mention the whole channel', async () => {
    const payload = samplePayload('down');
    payload.check.name = 'db <!channel> & co';
    const { body } = await sendToWebhook(payload);
    expect(body.text).toBe('"db &lt;!channel&gt; &amp; co" is DOWN');
  });

  it('colours a late alert yellow', async () => {
    const { attachment } = await sendToWebhook(samplePayload('late'));
    expect(attachment).toMatchObject({ color: '#e3b341', title: '"nightly-backup" is LATE' });
  });

  it('colours a recovery green and says how long the check was down', async () => {
    const { attachment } = await sendToWebhook(samplePayload('up'));
    expect(attachment).toMatchObject({ color: '#2ea043', title: '"nightly-backup" is back UP' });
    expect(fieldsOf(attachment)['Down for']).toBe('1 hour 5 minutes');
  });

  it('titles a reminder with its number and says since when the check is down', async () => {
    const { body, attachment } = await sendToWebhook(samplePayload('down', { reminder: 2 }));
    expect(body.text).toBe('Reminder #2: "nightly-backup" is still DOWN');
    expect(fieldsOf(attachment)['Down since']).toBe('2026-03-01T10:05:00.000Z');
  });

  it('cuts a huge check name, reason and body to lengths Slack shows in full', async () => {
    const payload = samplePayload('failed', { last_ping_body: `${'x'.repeat(5000)}THE END` });
    payload.check.name = 'n'.repeat(1000);
    payload.flip.reason = 'r'.repeat(5000);
    const { body, attachment } = await sendToWebhook(payload);
    expect((body.text as string).length).toBeLessThanOrEqual(250);
    expect((attachment.title as string).length).toBeLessThanOrEqual(250);
    expect((attachment.text as string).length).toBeLessThanOrEqual(2100);
    expect(attachment.text).toContain('THE END\n```');
  });

  it.each([
    [403, 'invalid_token'],
    [404, 'no_service'],
    [404, 'channel_not_found'],
    [410, 'channel_is_archived'],
  ])('fails permanently on %i %s, saying what Slack said', async (status, code) => {
    const r = await receiver(slackWebhook((res) => res.writeHead(status).end(code)));
    const result = await slack.send(
      samplePayload('down'),
      config({ webhook_url: `${r.url}${HOOK_PATH}` }),
      ctx,
    );
    expect(result).toEqual({ outcome: 'failed', error: `Slack: ${code} (HTTP ${status})` });
  });

  it('retries when Slack answers 500', async () => {
    const r = await receiver(slackWebhook((res) => res.writeHead(500).end('rollup_error')));
    const result = await slack.send(
      samplePayload('down'),
      config({ webhook_url: `${r.url}${HOOK_PATH}` }),
      ctx,
    );
    expect(result).toEqual({ outcome: 'retry', error: 'Slack: rollup_error (HTTP 500)' });
  });

  it('retries after the Retry-After Slack gives with a 429', async () => {
    const r = await receiver(
      slackWebhook((res) => res.writeHead(429, { 'retry-after': '30' }).end('rate_limited')),
    );
    const result = await slack.send(
      samplePayload('down'),
      config({ webhook_url: `${r.url}${HOOK_PATH}` }),
      ctx,
    );
    expect(result).toEqual({
      outcome: 'retry',
      error: 'Slack: rate_limited (HTTP 429)',
      retryAfterMs: 30_000,
    });
  });
});

describe('slack.send through the Web API', () => {
  async function apiConfig(r: Receiver, extra: Record<string, unknown> = {}): Promise<SlackConfig> {
    return config({ token: TOKEN, channel: '#alerts', api_url: `${r.url}/api/`, ...extra });
  }

  it('posts to chat.postMessage with the bot token, the channel and the alert', async () => {
    const r = await receiver(slackApi());
    const result = await slack.send(samplePayload('failed'), await apiConfig(r), ctx);
    expect(result).toEqual({ outcome: 'delivered', detail: 'HTTP 200' });
    const body = json(r.requests[0]!);
    expect(body).toMatchObject({ channel: '#alerts', text: '"nightly-backup" is DOWN: run failed' });
    expect((body.attachments as Record<string, unknown>[])[0]).toMatchObject({ color: '#d93f0b' });
  });

  it('sends recoveries to recovery_channel and problems to channel', async () => {
    const r = await receiver(slackApi());
    const cfg = await apiConfig(r, { channel: 'C0PROBLEMS', recovery_channel: 'C0RECOVERY' });
    await slack.send(samplePayload('up'), cfg, ctx);
    await slack.send(samplePayload('down'), cfg, ctx);
    await slack.send(samplePayload('late'), cfg, ctx);
    expect(r.requests.map((req) => json(req).channel)).toEqual(['C0RECOVERY', 'C0PROBLEMS', 'C0PROBLEMS']);
  });

  it('sends recoveries to channel when there is no recovery_channel', async () => {
    const r = await receiver(slackApi());
    await slack.send(samplePayload('up'), await apiConfig(r), ctx);
    expect(json(r.requests[0]!).channel).toBe('#alerts');
  });

  it.each([
    ['invalid_auth', 'Slack: invalid_auth: the token is not valid; paste the bot token again'],
    [
      'channel_not_found',
      'Slack: channel_not_found: use the channel ID, and invite the app if the channel is private',
    ],
    ['not_in_channel', 'Slack: not_in_channel: invite the app to the channel (/invite @app-name)'],
    ['is_archived', 'Slack: is_archived: the channel is archived'],
    ['account_inactive', 'Slack: account_inactive: the app or its workspace was deactivated'],
  ])('fails permanently when Slack answers ok: false with %s', async (code, error) => {
    const r = await receiver(slackApi(apiAnswer({ ok: false, error: code })));
    expect(await slack.send(samplePayload('down'), await apiConfig(r), ctx)).toEqual({
      outcome: 'failed',
      error,
    });
  });

  it('names the scope a missing_scope error asks for', async () => {
    const r = await receiver(
      slackApi(apiAnswer({ ok: false, error: 'missing_scope', needed: 'chat:write' })),
    );
    const result = await slack.send(samplePayload('down'), await apiConfig(r), ctx);
    expect(result).toMatchObject({
      outcome: 'failed',
      error: expect.stringContaining('missing_scope (needs chat:write)'),
    });
  });

  it.each(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout'])(
    'retries when Slack answers ok: false with %s',
    async (code) => {
      const r = await receiver(slackApi(apiAnswer({ ok: false, error: code })));
      const result = await slack.send(samplePayload('down'), await apiConfig(r), ctx);
      expect(result).toEqual({ outcome: 'retry', error: `Slack: ${code}` });
    },
  );

  it('retries after the Retry-After of a 429 ratelimited answer', async () => {
    const r = await receiver(
      slackApi(apiAnswer({ ok: false, error: 'ratelimited' }, 429, { 'retry-after': '12' })),
    );
    const result = await slack.send(samplePayload('down'), await apiConfig(r), ctx);
    expect(result).toEqual({ outcome: 'retry', error: 'Slack: ratelimited', retryAfterMs: 12_000 });
  });

  it('retries when the API answers 503 without JSON', async () => {
    const r = await receiver(slackApi((res) => res.writeHead(503).end('upstream down')));
    const result = await slack.send(samplePayload('down'), await apiConfig(r), ctx);
    expect(result).toEqual({ outcome: 'retry', error: 'Slack: HTTP 503: upstream down' });
  });

  it('fails when a 200 is not a Slack answer, pointing at api_url', async () => {
    const r = await receiver(slackApi((res) => res.writeHead(200).end('<html>hello</html>')));
    const result = await slack.send(samplePayload('down'), await apiConfig(r), ctx);
    expect(result).toMatchObject({ outcome: 'failed', error: expect.stringContaining('api_url') });
  });
});

describe('slackConfigSchema', () => {
  it('accepts an incoming webhook URL alone', () => {
    expect(config({ webhook_url: `https://hooks.slack.com${HOOK_PATH}` })).toEqual({
      webhook_url: `https://hooks.slack.com${HOOK_PATH}`,
      api_url: 'https://slack.com/api',
    });
  });

  it('accepts a bot token with a channel and a recovery channel, defaulting api_url', () => {
    expect(config({ token: TOKEN, channel: 'C0123ABCD', recovery_channel: '#ops-ok' })).toEqual({
      token: TOKEN,
      channel: 'C0123ABCD',
      recovery_channel: '#ops-ok',
      api_url: 'https://slack.com/api',
    });
  });

  it('drops trailing slashes from api_url', () => {
    expect(config({ token: TOKEN, channel: 'C1', api_url: 'https://slack.example/api//' }).api_url).toBe(
      'https://slack.example/api',
    );
  });

  it('refuses both webhook_url and token', () => {
    expect(
      problems({ webhook_url: `https://hooks.slack.com${HOOK_PATH}`, token: TOKEN, channel: 'C1' }),
    ).toEqual([': give either webhook_url (incoming webhook) or token + channel (Web API), not both']);
  });

  it('refuses neither webhook_url nor token', () => {
    expect(problems({ channel: 'C1' })).toEqual([
      ': give webhook_url (incoming webhook) or token + channel (Web API)',
    ]);
  });

  it('refuses a token without a channel', () => {
    expect(problems({ token: TOKEN })).toEqual(['channel: is required with token']);
  });

  it('refuses a channel or recovery_channel next to a webhook URL', () => {
    expect(problems({ webhook_url: `https://hooks.slack.com${HOOK_PATH}`, recovery_channel: '#ok' })).toEqual(
      ['recovery_channel: needs token: an incoming webhook posts only to the channel it was created for'],
    );
  });

  it('refuses a user token', () => {
    expect(problems({ token: 'xoxp-1234-5678', channel: 'C1' })).toEqual([
      'token: must be a bot token starting with xoxb- (user tokens post as a person)',
    ]);
  });

  it.each([
    [
      'a non-http webhook URL',
      { webhook_url: `ftp://hooks.slack.com${HOOK_PATH}` },
      'webhook_url: URL must be',
    ],
    [
      'a URL that is not a webhook',
      { webhook_url: 'https://api.slack.com/apps/A0123' },
      'incoming webhook URL',
    ],
    ['a masked webhook URL', { webhook_url: `https://hooks.slack.com/services/${MASK}XXXX` }, 'looks masked'],
    ['a masked token', { token: `${MASK}MnOp`, channel: 'C1' }, 'token: looks masked'],
    ['a channel with a space', { token: TOKEN, channel: 'my alerts' }, 'channel: must be a channel ID'],
    ['an unknown key', { token: TOKEN, channel: 'C1', username: 'bot' }, 'username'],
  ])('refuses %s', (_what, input, message) => {
    expect(problems(input).join('\n')).toContain(message);
  });
});

describe('slack secrets', () => {
  it('masks the token and the webhook URL’s path on read', () => {
    expect(slack.secretFields).toEqual(['token']);
    expect(slack.urlFields).toEqual(['webhook_url']);
    const stored = { webhook_url: `https://hooks.slack.com${HOOK_PATH}`, token: TOKEN };
    const shown = maskUrlFields(maskFields(stored, slack.secretFields), slack.urlFields ?? []);
    expect(shown.token).toBe(`${MASK}MnOp`);
    expect(shown.webhook_url).toBe(`https://hooks.slack.com/${MASK}XXXX`);
  });
});
