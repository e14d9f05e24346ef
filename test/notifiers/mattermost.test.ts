import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import { type MattermostConfig, mattermost, mattermostConfigSchema } from '../../src/notifiers/mattermost.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import { MASK, maskUrlFields } from '../../src/notifiers/secret-mask.ts';
import { samplePayload } from './payloads.ts';
import { type Handler, type ReceivedRequest, type Receiver, startReceiver } from './receiver.ts';

const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 2000 }) };
const HOOK_PATH = '/hooks/bywsw8zt5jgpte3nm65qjiru6h';

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const isString = (v: unknown): v is string => typeof v === 'string';
const OPTIONAL_STRINGS = ['channel', 'username', 'icon_url'] as const;

/** What is wrong with a request against Mattermost's documented incoming webhook, or undefined. */
function requestProblem(req: ReceivedRequest): string | undefined {
  if (req.method !== 'POST' || req.url !== HOOK_PATH) return 'Invalid webhook.';
  if (req.headers['content-type'] !== 'application/json') return 'Unable to parse incoming data';
  const body = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
  if (!isString(body.text) || body.text === '') return 'text: non-empty string';
  if (OPTIONAL_STRINGS.some((key) => key in body && !isString(body[key]))) return 'overrides: strings';
  if (!Array.isArray(body.attachments) || body.attachments.length !== 1) return 'one attachment';
  const a = body.attachments[0] as Record<string, unknown>;
  if (!isString(a.color) || !/^#[0-9a-f]{6}$/i.test(a.color)) return 'attachment color: #rrggbb';
  if (!isString(a.title) || !isString(a.text) || !isString(a.title_link)) return 'attachment title/text/link';
  const fields = a.fields as Record<string, unknown>[];
  if (!Array.isArray(fields) || fields.some((f) => !isString(f.title) || !isString(f.value))) return 'fields';
  return undefined;
}

/** Mattermost answers "ok", or an AppError as JSON. */
function mattermostServer(answer?: Handler): Handler {
  return (req, res) => {
    const problem = requestProblem(req);
    if (problem !== undefined) {
      const error = { id: 'web.incoming_webhook.parse.app_error', message: problem, status_code: 400 };
      return res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(error));
    }
    if (answer) return answer(req, res);
    return res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  };
}

async function receiver(answer?: Handler): Promise<Receiver> {
  const r = await startReceiver(mattermostServer(answer));
  receivers.push(r);
  return r;
}

function config(input: Record<string, unknown>): MattermostConfig {
  return mattermostConfigSchema.parse(input);
}

async function sent(payload: AlertPayload, extra: Record<string, unknown> = {}) {
  const r = await receiver();
  const result = await mattermost.send(
    payload,
    config({ webhook_url: `${r.url}${HOOK_PATH}`, ...extra }),
    ctx,
  );
  expect(result).toEqual({ outcome: 'delivered', detail: 'HTTP 200' });
  const body = JSON.parse(r.requests[0]!.body.toString('utf8')) as Record<string, unknown>;
  return { body, attachment: (body.attachments as Record<string, unknown>[])[0]! };
}

describe('mattermost.send', () => {
  it('posts the alert as a Slack-style attachment with title, facts, colour and link', async () => {
    const payload = samplePayload('down');
    const { body, attachment } = await sent(payload);
    expect(body.text).toBe('"nightly-backup" is DOWN');
    expect(body).not.toHaveProperty('channel');
    expect(attachment).toMatchObject({
      color: '#d93f0b',
      title: '"nightly-backup" is DOWN',
      title_link: payload.check.url,
      text: 'expected a ping every 1 hour; last ping 1 hour 5 minutes ago',
    });
    expect((attachment.fields as { title: string }[]).map((f) => f.title)).toEqual([
      'Project',
      'Severity',
      'Schedule',
      'Last ping',
    ]);
  });

  it('shows the ping body as a code block without Slack’s entity escaping', async () => {
    const { attachment } = await sent(samplePayload('failed'));
    expect(attachment.text).toContain('```\npg_dump: error: connection to server failed <&> "quoted"\n```');
  });

  it('keeps a check name from mentioning the whole channel', async () => {
    const payload = samplePayload('down');
    payload.check.name = '@channel <!here> @All';
    const { body, attachment } = await sent(payload);
    expect(body.text).toBe('"@\u200bchannel <\u200b!here> @\u200bAll" is DOWN');
    expect(attachment.title).toBe(body.text);
  });

  it('colours a late alert yellow and a recovery green with how long it was down', async () => {
    expect((await sent(samplePayload('late'))).attachment.color).toBe('#e3b341');
    const { attachment } = await sent(samplePayload('up'));
    expect(attachment.color).toBe('#2ea043');
    expect(attachment.fields).toContainEqual({ title: 'Down for', value: '1 hour 5 minutes', short: true });
  });

  it('titles a reminder with its number', async () => {
    const { body } = await sent(samplePayload('down', { reminder: 3 }));
    expect(body.text).toBe('Reminder #3: "nightly-backup" is still DOWN');
  });

  it('sends the channel, username and icon overrides it is configured with', async () => {
    const { body } = await sent(samplePayload('down'), {
      channel: 'ops-alerts',
      username: 'vigil',
      icon_url: 'https://vigil.example.com/icon.png',
    });
    expect(body).toMatchObject({
      channel: 'ops-alerts',
      username: 'vigil',
      icon_url: 'https://vigil.example.com/icon.png',
    });
  });

  it('fails permanently on an invalid webhook, with Mattermost’s message', async () => {
    const r = await receiver((_req, res) =>
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(
          '{"id":"web.incoming_webhook.invalid.app_error","message":"Invalid webhook.","status_code":400}',
        ),
    );
    const result = await mattermost.send(
      samplePayload('down'),
      config({ webhook_url: `${r.url}${HOOK_PATH}` }),
      ctx,
    );
    expect(result).toEqual({
      outcome: 'failed',
      error: 'Mattermost: Invalid webhook. (web.incoming_webhook.invalid.app_error, HTTP 400)',
    });
  });

  it.each([401, 403, 404])('fails permanently on %i', async (status) => {
    const r = await receiver((_req, res) => res.writeHead(status).end('nope'));
    const result = await mattermost.send(
      samplePayload('down'),
      config({ webhook_url: `${r.url}${HOOK_PATH}` }),
      ctx,
    );
    expect(result).toEqual({ outcome: 'failed', error: `Mattermost: HTTP ${status}: nope` });
  });

  it('retries on 500 and after the Retry-After of a 429', async () => {
    const r500 = await receiver((_req, res) => res.writeHead(500).end());
    const cfg500 = config({ webhook_url: `${r500.url}${HOOK_PATH}` });
    expect(await mattermost.send(samplePayload('down'), cfg500, ctx)).toMatchObject({ outcome: 'retry' });
    const r429 = await receiver((_req, res) => res.writeHead(429, { 'retry-after': '5' }).end());
    const cfg429 = config({ webhook_url: `${r429.url}${HOOK_PATH}` });
    expect(await mattermost.send(samplePayload('down'), cfg429, ctx)).toMatchObject({
      outcome: 'retry',
      retryAfterMs: 5000,
    });
  });

  it('keeps a huge check name and ping body within bounds', async () => {
    const payload = samplePayload('failed', { last_ping_body: `${'x'.repeat(20_000)}THE END` });
    payload.check.name = 'n'.repeat(2000);
    const { body, attachment } = await sent(payload);
    expect((body.text as string).length).toBeLessThanOrEqual(250);
    expect((attachment.text as string).length).toBeLessThanOrEqual(2100);
    expect(attachment.text).toContain('THE END');
  });
});

describe('mattermostConfigSchema', () => {
  it('accepts a webhook URL alone', () => {
    expect(config({ webhook_url: `https://chat.example.com${HOOK_PATH}` })).toEqual({
      webhook_url: `https://chat.example.com${HOOK_PATH}`,
    });
  });

  it.each([
    ['no webhook URL', {}, 'webhook_url'],
    ['a non-http URL', { webhook_url: `ftp://chat.example.com${HOOK_PATH}` }, 'URL must be'],
    [
      'the server URL instead of the hook',
      { webhook_url: 'https://chat.example.com/' },
      'incoming webhook URL',
    ],
    ['a masked URL', { webhook_url: `https://chat.example.com/${MASK}ru6h` }, 'looks masked'],
    ['a #channel', { webhook_url: `https://chat.example.com${HOOK_PATH}`, channel: '#ops' }, 'not #name'],
    ['a non-http icon', { webhook_url: `https://c.example${HOOK_PATH}`, icon_url: 'data:x' }, 'URL must be'],
    ['an unknown key', { webhook_url: `https://chat.example.com${HOOK_PATH}`, emoji: ':bell:' }, 'emoji'],
  ])('refuses %s', (_what, input, message) => {
    const result = mattermostConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(message);
  });

  it('masks the webhook URL past its origin', () => {
    expect(mattermost.urlFields).toEqual(['webhook_url']);
    const shown = maskUrlFields(
      { webhook_url: `https://chat.example.com${HOOK_PATH}` },
      mattermost.urlFields ?? [],
    );
    expect(shown.webhook_url).toBe(`https://chat.example.com/${MASK}ru6h`);
  });
});
