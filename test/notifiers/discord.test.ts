import { afterEach, describe, expect, it } from 'vitest';
import {
  type DiscordConfig,
  discord,
  discordConfigSchema,
  EMBED_LIMITS,
} from '../../src/notifiers/discord.ts';
import { createHttpClient } from '../../src/notifiers/http.ts';
import type { AlertPayload, SendContext } from '../../src/notifiers/notifier.ts';
import { MASK, maskUrlFields } from '../../src/notifiers/secret-mask.ts';
import { samplePayload } from './payloads.ts';
import { type Handler, type ReceivedRequest, type Receiver, startReceiver } from './receiver.ts';

const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 2000 }) };
const HOOK_PATH = '/api/webhooks/112233445566778899/AbCdEf-GhIj_KlMnOpQrStUvWxYz0123456789';

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

const isString = (v: unknown): v is string => typeof v === 'string';

/** What is wrong with an Execute Webhook request against Discord's documented shape and limits. */
function requestProblem(req: ReceivedRequest): string | undefined {
  const url = new URL(req.url, 'http://discord.test');
  if (req.method !== 'POST' || url.pathname !== HOOK_PATH) return 'Unknown Webhook';
  if (url.searchParams.get('wait') !== 'true') return 'expected ?wait=true';
  if (req.headers['content-type'] !== 'application/json') return 'Cannot send an empty message';
  const body = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
  if ('username' in body && (!isString(body.username) || body.username.length > 80)) return 'username';
  if (!Array.isArray(body.embeds) || body.embeds.length !== 1) return 'one embed';
  const e = body.embeds[0] as Record<string, unknown>;
  if (!isString(e.title) || e.title.length > EMBED_LIMITS.title) return 'embed title';
  if (!isString(e.description) || e.description.length > EMBED_LIMITS.description) return 'embed description';
  if (!isString(e.url) || !URL.canParse(e.url)) return 'embed url';
  if (!Number.isInteger(e.color) || (e.color as number) < 0 || (e.color as number) > 0xffffff) return 'color';
  if (!isString(e.timestamp) || Number.isNaN(Date.parse(e.timestamp))) return 'timestamp: ISO8601';
  const footer = e.footer as { text?: unknown } | undefined;
  if (!isString(footer?.text)) return 'footer.text';
  const fields = e.fields as { name?: unknown; value?: unknown; inline?: unknown }[];
  if (!Array.isArray(fields) || fields.length > EMBED_LIMITS.fields) return 'fields';
  let total = e.title.length + e.description.length + footer.text.length;
  for (const f of fields) {
    if (!isString(f.name) || f.name.length === 0 || f.name.length > EMBED_LIMITS.fieldName)
      return 'field name';
    if (!isString(f.value) || f.value.length === 0 || f.value.length > EMBED_LIMITS.fieldValue)
      return 'field value';
    if (typeof f.inline !== 'boolean') return 'field inline';
    total += f.name.length + f.value.length;
  }
  if (total > EMBED_LIMITS.total) return 'Embed size exceeds maximum size of 6000';
  return undefined;
}

/** Discord answers the created message with ?wait=true, or {"message", "code"} errors. */
function discordServer(answer?: Handler): Handler {
  return (req, res) => {
    const problem = requestProblem(req);
    res.setHeader('content-type', 'application/json');
    if (problem !== undefined) {
      return res
        .writeHead(400)
        .end(JSON.stringify({ message: `Invalid Form Body: ${problem}`, code: 50035 }));
    }
    if (answer) return answer(req, res);
    return res.writeHead(200).end(JSON.stringify({ id: '1234567890', type: 0, content: '', embeds: [] }));
  };
}

async function receiver(answer?: Handler): Promise<Receiver> {
  const r = await startReceiver(discordServer(answer));
  receivers.push(r);
  return r;
}

function config(input: Record<string, unknown>): DiscordConfig {
  return discordConfigSchema.parse(input);
}

async function sentEmbed(payload: AlertPayload, extra: Record<string, unknown> = {}) {
  const r = await receiver();
  const result = await discord.send(payload, config({ webhook_url: `${r.url}${HOOK_PATH}`, ...extra }), ctx);
  expect(result).toEqual({ outcome: 'delivered', detail: 'HTTP 200' });
  const body = JSON.parse(r.requests[0]!.body.toString('utf8')) as Record<string, unknown>;
  return { body, embed: (body.embeds as Record<string, unknown>[])[0]! };
}

describe('discord.send', () => {
  it('posts a down alert as a red embed with title, summary, facts, link and time', async () => {
    const payload = samplePayload('down');
    const { body, embed } = await sentEmbed(payload);
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(embed).toMatchObject({
      title: '"nightly-backup" is DOWN',
      description: 'expected a ping every 1 hour; last ping 1 hour 5 minutes ago',
      url: payload.check.url,
      color: 0xd93f0b,
      timestamp: payload.flip.at,
    });
    expect(embed.fields).toEqual([
      { name: 'Project', value: 'ops', inline: true },
      { name: 'Severity', value: 'critical', inline: true },
      { name: 'Schedule', value: 'every 1 hour', inline: true },
      { name: 'Last ping', value: '1 hour 5 minutes ago', inline: true },
    ]);
  });

  it('shows a failed run’s ping body as a code block', async () => {
    const { embed } = await sentEmbed(samplePayload('failed'));
    expect(embed.description).toContain('```\npg_dump: error: connection to server failed <&> "quoted"\n```');
  });

  it('keeps a ``` in the ping body from closing the code block', async () => {
    const { embed } = await sentEmbed(samplePayload('failed', { last_ping_body: 'a```b' }));
    expect((embed.description as string).match(/```/g)).toHaveLength(2);
  });

  it('colours a late alert yellow and a recovery green with how long it was down', async () => {
    expect((await sentEmbed(samplePayload('late'))).embed.color).toBe(0xe3b341);
    const { embed } = await sentEmbed(samplePayload('up'));
    expect(embed.color).toBe(0x2ea043);
    expect(embed.fields).toContainEqual({ name: 'Down for', value: '1 hour 5 minutes', inline: true });
  });

  it('titles a reminder with its number', async () => {
    const { embed } = await sentEmbed(samplePayload('down', { reminder: 4 }));
    expect(embed.title).toBe('Reminder #4: "nightly-backup" is still DOWN');
  });

  it('sends the configured username', async () => {
    const { body } = await sentEmbed(samplePayload('down'), { username: 'vigil alerts' });
    expect(body.username).toBe('vigil alerts');
  });

  it('keeps to Discord’s embed limits with a huge name, reason, facts and body, keeping the body’s end', async () => {
    const payload = samplePayload('failed', { last_ping_body: `${'x'.repeat(50_000)}THE END` });
    payload.check.name = 'n'.repeat(1000);
    payload.check.schedule = 's'.repeat(3000);
    payload.project.name = 'p'.repeat(3000);
    payload.flip.reason = 'r'.repeat(10_000);
    const { embed } = await sentEmbed(payload); // the receiver refuses anything over a limit
    expect((embed.title as string).length).toBe(EMBED_LIMITS.title);
    expect(embed.description).toContain('THE END\n```');
  });

  it('keeps the ?wait=true and a thread_id already in the URL', async () => {
    const r = await receiver();
    await discord.send(
      samplePayload('down'),
      config({ webhook_url: `${r.url}${HOOK_PATH}?thread_id=42` }),
      ctx,
    );
    const url = new URL(r.requests[0]!.url, r.url);
    expect(Object.fromEntries(url.searchParams)).toEqual({ thread_id: '42', wait: 'true' });
  });

  it.each([
    [401, 'Invalid Webhook Token', 50027],
    [403, 'Missing Access', 50001],
    [404, 'Unknown Webhook', 10015],
  ])('fails permanently on %i, with Discord’s message', async (status, message, code) => {
    const r = await receiver((_req, res) => res.writeHead(status).end(JSON.stringify({ message, code })));
    const result = await discord.send(
      samplePayload('down'),
      config({ webhook_url: `${r.url}${HOOK_PATH}` }),
      ctx,
    );
    expect(result).toEqual({
      outcome: 'failed',
      error: `Discord: ${message} (code ${code}, HTTP ${status})`,
    });
  });

  it('retries on 500', async () => {
    const r = await receiver((_req, res) => res.writeHead(502).end('<html>Bad Gateway</html>'));
    const result = await discord.send(
      samplePayload('down'),
      config({ webhook_url: `${r.url}${HOOK_PATH}` }),
      ctx,
    );
    expect(result).toEqual({ outcome: 'retry', error: 'Discord: HTTP 502: <html>Bad Gateway</html>' });
  });

  it('retries after the retry_after of a 429, to the millisecond', async () => {
    const r = await receiver((_req, res) =>
      res
        .writeHead(429, { 'retry-after': '3' })
        .end(JSON.stringify({ message: 'You are being rate limited.', retry_after: 2.345, global: false })),
    );
    const result = await discord.send(
      samplePayload('down'),
      config({ webhook_url: `${r.url}${HOOK_PATH}` }),
      ctx,
    );
    expect(result).toEqual({
      outcome: 'retry',
      error: 'Discord: You are being rate limited. (HTTP 429)',
      retryAfterMs: 2345,
    });
  });

  it('falls back to the Retry-After header when a 429 has no JSON', async () => {
    const r = await receiver((_req, res) => res.writeHead(429, { 'retry-after': '7' }).end('slow down'));
    const result = await discord.send(
      samplePayload('down'),
      config({ webhook_url: `${r.url}${HOOK_PATH}` }),
      ctx,
    );
    expect(result).toMatchObject({ outcome: 'retry', retryAfterMs: 7000 });
  });
});

describe('discordConfigSchema', () => {
  it('accepts a webhook URL, also a versioned one or one on another host', () => {
    for (const url of [
      `https://discord.com${HOOK_PATH}`,
      'https://discord.com/api/v10/webhooks/1/tok-en',
      `https://proxy.example.org${HOOK_PATH}`,
    ]) {
      expect(config({ webhook_url: url })).toEqual({ webhook_url: url });
    }
  });

  it.each([
    ['no webhook URL', {}, 'webhook_url'],
    ['a non-http URL', { webhook_url: `ftp://discord.com${HOOK_PATH}` }, 'URL must be'],
    [
      'a URL that is not a webhook',
      { webhook_url: 'https://discord.com/channels/1/2' },
      'Discord webhook URL',
    ],
    ['a masked URL', { webhook_url: `https://discord.com/${MASK}6789` }, 'looks masked'],
    [
      'a username Discord refuses',
      { webhook_url: `https://discord.com${HOOK_PATH}`, username: 'My Discord' },
      'must not contain',
    ],
    [
      'an 81-character username',
      { webhook_url: `https://discord.com${HOOK_PATH}`, username: 'u'.repeat(81) },
      'username',
    ],
    ['an unknown key', { webhook_url: `https://discord.com${HOOK_PATH}`, content: 'hi' }, 'content'],
  ])('refuses %s', (_what, input, message) => {
    const result = discordConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(message);
  });

  it('masks the webhook URL, whose path holds the token, past its origin', () => {
    expect(discord.urlFields).toEqual(['webhook_url']);
    const shown = maskUrlFields({ webhook_url: `https://discord.com${HOOK_PATH}` }, discord.urlFields ?? []);
    expect(shown.webhook_url).toBe(`https://discord.com/${MASK}6789`);
  });
});
