import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import { type RocketchatConfig, rocketchat, rocketchatConfigSchema } from '../../src/notifiers/rocketchat.ts';
import { MASK, maskUrlFields } from '../../src/notifiers/secret-mask.ts';
import { samplePayload } from './payloads.ts';
import { type Handler, type ReceivedRequest, type Receiver, startReceiver } from './receiver.ts';

const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 2000 }) };
const HOOK_PATH = '/hooks/5f0c8a8e2d1b4f3e/Xy9zAbCdEfGhIjKlMnOpQrStUvWx';

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const isString = (v: unknown): v is string => typeof v === 'string';

/** What is wrong with a request against Rocket.Chat's incoming webhook, or undefined. */
function requestProblem(req: ReceivedRequest): string | undefined {
  if (req.method !== 'POST' || !req.url.startsWith('/hooks/'))
    return 'Invalid integration id or token provided.';
  if (req.headers['content-type'] !== 'application/json') return 'unsupported content type';
  const body = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
  if (!isString(body.text) || body.text === '') return 'text: non-empty string';
  if ('channel' in body && (!isString(body.channel) || !/^[#@]/.test(body.channel))) return 'invalid-channel';
  if (!Array.isArray(body.attachments) || body.attachments.length !== 1) return 'one attachment';
  const a = body.attachments[0] as Record<string, unknown>;
  if (!isString(a.color) || !isString(a.title) || !isString(a.title_link) || !isString(a.text)) {
    return 'attachment color/title/title_link/text: strings';
  }
  // Rocket.Chat reads ts as a date: epoch seconds would show a day in 1970
  if ('ts' in a) return 'attachment ts: not epoch seconds';
  const fields = a.fields as Record<string, unknown>[];
  if (!Array.isArray(fields) || fields.some((f) => !isString(f.title) || !isString(f.value))) return 'fields';
  return undefined;
}

/** Rocket.Chat answers {"success": true}, or {"success": false, "error": "…"} with 400. */
function rocketchatServer(answer?: Handler): Handler {
  return (req, res) => {
    const problem = requestProblem(req);
    res.setHeader('content-type', 'application/json');
    if (problem !== undefined)
      return res.writeHead(400).end(JSON.stringify({ success: false, error: problem }));
    if (answer) return answer(req, res);
    return res.writeHead(200).end('{"success":true}');
  };
}

async function receiver(answer?: Handler): Promise<Receiver> {
  const r = await startReceiver(rocketchatServer(answer));
  receivers.push(r);
  return r;
}

function config(input: Record<string, unknown>): RocketchatConfig {
  return rocketchatConfigSchema.parse(input);
}

async function sent(payload: AlertPayload, extra: Record<string, unknown> = {}) {
  const r = await receiver();
  const result = await rocketchat.send(
    payload,
    config({ webhook_url: `${r.url}${HOOK_PATH}`, ...extra }),
    ctx,
  );
  expect(result).toEqual({ outcome: 'delivered', detail: 'HTTP 200' });
  const body = JSON.parse(r.requests[0]!.body.toString('utf8')) as Record<string, unknown>;
  return { body, attachment: (body.attachments as Record<string, unknown>[])[0]! };
}

describe('rocketchat.send', () => {
  it('posts the alert as an attachment with title, facts, colour and link', async () => {
    const payload = samplePayload('failed');
    const { body, attachment } = await sent(payload);
    expect(body.text).toBe('"nightly-backup" is DOWN: run failed');
    expect(attachment).toMatchObject({ color: '#d93f0b', title_link: payload.check.url });
    expect(attachment.text).toContain('```\npg_dump: error: connection to server failed <&> "quoted"\n```');
    expect(attachment.fields).toContainEqual({ title: 'Severity', value: 'critical', short: true });
  });

  it('colours a recovery green and says how long the check was down', async () => {
    const { attachment } = await sent(samplePayload('up'));
    expect(attachment.color).toBe('#2ea043');
    expect(attachment.fields).toContainEqual({ title: 'Down for', value: '1 hour 5 minutes', short: true });
  });

  it('keeps a check name from mentioning the whole room', async () => {
    const payload = samplePayload('down');
    payload.check.name = '@all @here';
    const { body } = await sent(payload);
    expect(body.text).toBe('"@\u200ball @\u200bhere" is DOWN');
  });

  it('colours a late alert yellow', async () => {
    expect((await sent(samplePayload('late'))).attachment.color).toBe('#e3b341');
  });

  it('sends the channel, username and icon overrides in Slack’s names', async () => {
    const { body } = await sent(samplePayload('down', { reminder: 1 }), {
      channel: '#ops',
      username: 'vigil',
      icon_url: 'https://vigil.example.com/icon.png',
    });
    expect(body).toMatchObject({
      text: 'Reminder #1: "nightly-backup" is still DOWN',
      channel: '#ops',
      username: 'vigil',
      icon_url: 'https://vigil.example.com/icon.png',
    });
  });

  it('fails permanently with Rocket.Chat’s error when it refuses the channel override', async () => {
    const r = await receiver((_req, res) =>
      res
        .writeHead(400)
        .end('{"success":false,"error":"overriding destination channel is disabled for this integration"}'),
    );
    const cfg = config({ webhook_url: `${r.url}${HOOK_PATH}`, channel: '#ops' });
    expect(await rocketchat.send(samplePayload('down'), cfg, ctx)).toEqual({
      outcome: 'failed',
      error: 'Rocket.Chat: overriding destination channel is disabled for this integration (HTTP 400)',
    });
  });

  it.each([401, 403, 404])('fails permanently on %i', async (status) => {
    const r = await receiver((_req, res) =>
      res.writeHead(status).end('{"status":"error","message":"You must be logged in to do this."}'),
    );
    const result = await rocketchat.send(
      samplePayload('down'),
      config({ webhook_url: `${r.url}${HOOK_PATH}` }),
      ctx,
    );
    expect(result).toEqual({
      outcome: 'failed',
      error: `Rocket.Chat: You must be logged in to do this. (HTTP ${status})`,
    });
  });

  it('fails on a 200 that says success: false', async () => {
    const r = await receiver((_req, res) =>
      res.writeHead(200).end('{"success":false,"error":"invalid-channel"}'),
    );
    const result = await rocketchat.send(
      samplePayload('down'),
      config({ webhook_url: `${r.url}${HOOK_PATH}` }),
      ctx,
    );
    expect(result).toEqual({ outcome: 'failed', error: 'Rocket.Chat: invalid-channel' });
  });

  it('retries on 503 and after the Retry-After of a 429', async () => {
    const r503 = await receiver((_req, res) => res.writeHead(503).end('Service Unavailable'));
    expect(
      await rocketchat.send(samplePayload('down'), config({ webhook_url: `${r503.url}${HOOK_PATH}` }), ctx),
    ).toEqual({ outcome: 'retry', error: 'Rocket.Chat: HTTP 503: Service Unavailable' });
    const r429 = await receiver((_req, res) =>
      res.writeHead(429, { 'retry-after': '8' }).end('{"success":false}'),
    );
    expect(
      await rocketchat.send(samplePayload('down'), config({ webhook_url: `${r429.url}${HOOK_PATH}` }), ctx),
    ).toMatchObject({ outcome: 'retry', retryAfterMs: 8000 });
  });
});

describe('rocketchatConfigSchema', () => {
  it('accepts a webhook URL alone', () => {
    expect(config({ webhook_url: `https://chat.example.com${HOOK_PATH}` })).toEqual({
      webhook_url: `https://chat.example.com${HOOK_PATH}`,
    });
  });

  it.each([
    ['no webhook URL', {}, 'webhook_url'],
    ['a non-http URL', { webhook_url: `ws://chat.example.com${HOOK_PATH}` }, 'URL must be'],
    [
      'the server URL instead of the hook',
      { webhook_url: 'https://chat.example.com/home' },
      'incoming webhook',
    ],
    ['a masked URL', { webhook_url: `https://chat.example.com/${MASK}UvWx` }, 'looks masked'],
    [
      'a channel without # or @',
      { webhook_url: `https://chat.example.com${HOOK_PATH}`, channel: 'ops' },
      '#channel',
    ],
    ['an unknown key', { webhook_url: `https://chat.example.com${HOOK_PATH}`, alias: 'x' }, 'alias'],
  ])('refuses %s', (_what, input, message) => {
    const result = rocketchatConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(message);
  });

  it('masks the webhook URL, whose path holds the token, past its origin', () => {
    expect(rocketchat.urlFields).toEqual(['webhook_url']);
    const shown = maskUrlFields(
      { webhook_url: `https://chat.example.com${HOOK_PATH}` },
      rocketchat.urlFields ?? [],
    );
    expect(shown.webhook_url).toBe(`https://chat.example.com/${MASK}UvWx`);
  });
});
