import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/notifiers/http.ts';
import type { SendContext } from '../../src/notifiers/notifier.ts';
import {
  TELEGRAM_TEXT_LIMIT,
  type TelegramConfig,
  telegram,
  telegramConfigSchema,
} from '../../src/notifiers/telegram.ts';
import { samplePayload } from './payloads.ts';
import {
  closedPortUrl,
  type Handler,
  type ReceivedRequest,
  type Receiver,
  reply,
  startReceiver,
} from './receiver.ts';

const TOKEN = '123456789:AAHk3xZq9sVbN0mPq7rT2uWyXc4dEfGhIjK';
const ctx: SendContext = { http: createHttpClient({ allowPrivateAddresses: true, timeoutMs: 500 }) };

const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** A stand-in for the Bot API that refuses, as Telegram does, what Telegram would refuse. */
async function botApi(answer?: Handler): Promise<Receiver> {
  let messageId = 100;
  const r = await startReceiver(async (req, res) => {
    const problem = sendMessageProblem(req);
    if (problem !== undefined) return reply(res, 400, { ok: false, error_code: 400, description: problem });
    if (answer) return answer(req, res);
    return reply(res, 200, { ok: true, result: { message_id: ++messageId, date: 1, chat: { id: 1 } } });
  });
  receivers.push(r);
  return r;
}

/** What the Bot API checks of a sendMessage call, in its own words; undefined when it is fine. */
function sendMessageProblem(req: ReceivedRequest): string | undefined {
  if (req.method !== 'POST') return 'Bad Request: expected POST';
  if (req.url !== `/bot${TOKEN}/sendMessage`) return `Bad Request: unexpected path ${req.url}`;
  if (!String(req.headers['content-type']).startsWith('application/json')) return 'Bad Request: not JSON';
  const body = JSON.parse(req.body.toString('utf8'));
  if (typeof body.chat_id !== 'number' && !/^@\w+$/.test(body.chat_id))
    return 'Bad Request: chat_id is empty';
  if (body.parse_mode !== 'HTML') return 'Bad Request: expected parse_mode HTML';
  if (body.link_preview_options?.is_disabled !== true) return 'Bad Request: link previews left on';
  if ('message_thread_id' in body && !Number.isInteger(body.message_thread_id))
    return 'Bad Request: message_thread_id must be an integer';
  if (typeof body.text !== 'string') return 'Bad Request: message text is empty';
  if (LONE_SURROGATE.test(body.text)) return 'Bad Request: text must be encoded in UTF-8';
  const parsed = parseTelegramHtml(body.text);
  if ('error' in parsed) return `Bad Request: can't parse entities: ${parsed.error}`;
  if (parsed.text.length === 0) return 'Bad Request: message text is empty';
  if (parsed.text.length > TELEGRAM_TEXT_LIMIT) return 'Bad Request: message is too long';
  return undefined;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre']);
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/** Telegram's HTML subset: known tags, balanced; only &lt; &gt; &amp; &quot; and numeric entities. */
function parseTelegramHtml(html: string): { text: string } | { error: string } {
  const stack: string[] = [];
  let text = '';
  const token = /<(\/?)([a-z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>|&([a-z]+|#\d+);|([<>&])|([^<>&]+)/gy;
  for (const match of html.matchAll(token)) {
    const [, closing, tag, attrs, entity, stray, plain] = match;
    if (plain !== undefined) text += plain;
    else if (stray !== undefined) return { error: `unescaped "${stray}" at offset ${match.index}` };
    else if (entity !== undefined) {
      if (entity.startsWith('#')) text += String.fromCodePoint(Number(entity.slice(1)));
      else if (ENTITIES[entity] !== undefined) text += ENTITIES[entity];
      else return { error: `unsupported entity &${entity};` };
    } else if (!TAGS.has(tag!)) return { error: `unsupported start tag "${tag}"` };
    else if (closing) {
      if (stack.pop() !== tag) return { error: `unmatched end tag "${tag}"` };
    } else {
      if (tag === 'a' && !/^\s+href="https?:\/\/[^"]+"$/.test(attrs!)) return { error: 'bad <a> href' };
      stack.push(tag!);
    }
  }
  if (stack.length > 0) return { error: `unclosed tag "${stack.at(-1)}"` };
  return { text };
}

function config(input: Record<string, unknown>): TelegramConfig {
  return telegramConfigSchema.parse({ bot_token: TOKEN, chat_id: 42, ...input });
}

function sent(r: Receiver, i = 0) {
  const body = JSON.parse(r.requests[i]!.body.toString('utf8'));
  const parsed = parseTelegramHtml(body.text);
  return { ...body, visible: 'text' in parsed ? parsed.text : '' };
}

describe('telegram.send', () => {
  it('sends a down alert with its facts, the ping body in <pre> and a link to the check', async () => {
    const r = await botApi();
    const result = await telegram.send(samplePayload('failed'), config({ api_url: r.url }), ctx);
    expect(result).toEqual({ outcome: 'delivered', detail: 'message 101' });
    const body = sent(r);
    expect(body).toMatchObject({
      chat_id: 42,
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    });
    expect(body).not.toHaveProperty('message_thread_id');
    expect(body.visible).toContain('🔴 "nightly-backup" is DOWN: run failed');
    expect(body.visible).toContain('expected a ping every 1 hour; last ping 1 hour 5 minutes ago');
    for (const line of [
      'Project: ops',
      'Severity: critical',
      'Schedule: every 1 hour',
      'Last ping: 1 hour 5 minutes ago',
    ])
      expect(body.visible).toContain(line);
    expect(body.text).toContain(
      '<pre>pg_dump: error: connection to server failed &lt;&amp;&gt; &quot;quoted&quot;</pre>',
    );
    expect(body.text).toContain(
      '<a href="https://vigil.example.com/checks/5f0c8a8e-2d1b-4f3e-9a77-0c4b7d9e1a23">',
    );
  });

  it('escapes markup in check names and ping bodies so they show as typed', async () => {
    const r = await botApi();
    const p = samplePayload('down', { last_ping_body: '</pre><b>&amp; done' });
    p.check.name = '<script>alert(1)</script> & co';
    p.project.name = 'R&D <ops>';
    await telegram.send(p, config({ api_url: r.url }), ctx);
    const body = sent(r);
    expect(body.text).not.toContain('<script>');
    expect(body.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
    expect(body.visible).toContain('"<script>alert(1)</script> & co" is DOWN');
    expect(body.visible).toContain('Project: R&D <ops>');
    expect(body.visible).toContain('</pre><b>&amp; done');
  });

  it('never sends half an emoji where the ping body was cut', async () => {
    const r = await botApi();
    // describeAlert keeps the last 1000 UTF-16 units: here that starts inside an emoji
    const p = samplePayload('failed', { last_ping_body: `${'😀'.repeat(600)}x` });
    const result = await telegram.send(p, config({ api_url: r.url }), ctx);
    expect(result.outcome).toBe('delivered'); // the stand-in refuses text that is not UTF-8
    expect(sent(r).text).toContain(`<pre>${'😀'.repeat(499)}x</pre>`);
  });

  it('marks a late check as a warning', async () => {
    const r = await botApi();
    await telegram.send(samplePayload('late'), config({ api_url: r.url }), ctx);
    expect(sent(r).visible).toMatch(/^🟡 "nightly-backup" is LATE\nlate: expected a ping every 1 hour/);
  });

  it('says how long the check was down when it recovers', async () => {
    const r = await botApi();
    await telegram.send(samplePayload('up'), config({ api_url: r.url }), ctx);
    const { visible } = sent(r);
    expect(visible).toMatch(/^🟢 "nightly-backup" is back UP/);
    expect(visible).toContain('Down for: 1 hour 5 minutes');
  });

  it('numbers reminders and says since when the check is down', async () => {
    const r = await botApi();
    await telegram.send(samplePayload('down', { reminder: 2 }), config({ api_url: r.url }), ctx);
    const { visible } = sent(r);
    expect(visible).toContain('Reminder #2: "nightly-backup" is still DOWN');
    expect(visible).toContain('Down since: 2026-03-01T10:05:00.000Z');
  });

  it('posts to a channel by @username and into a forum topic', async () => {
    const r = await botApi();
    await telegram.send(
      samplePayload('down'),
      config({ api_url: r.url, chat_id: '@vigil_alerts', message_thread_id: 7 }),
      ctx,
    );
    expect(sent(r)).toMatchObject({ chat_id: '@vigil_alerts', message_thread_id: 7 });
  });

  it('keeps a huge alert within 4096 visible characters, ending with the end of the ping body', async () => {
    const r = await botApi();
    const p = samplePayload('failed', { last_ping_body: `${'<&>'.repeat(20_000)}THE END` });
    p.check.name = '&'.repeat(5000);
    p.flip.reason = '<'.repeat(5000);
    const result = await telegram.send(p, config({ api_url: r.url }), ctx);
    expect(result.outcome).toBe('delivered'); // the stand-in refuses text over the limit
    const { visible } = sent(r);
    expect(visible.length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
    // the caps on the other parts leave room for the whole tail describeAlert keeps
    expect(visible).toContain(`${'<&>'.repeat(331)}THE END\n\nOpen the check in vigil`);
  });

  it.each([
    [401, 'Unauthorized', 'Telegram: Unauthorized (check bot_token and api_url)'],
    [400, 'Bad Request: chat not found', 'Telegram: Bad Request: chat not found'],
    [403, 'Forbidden: bot was blocked by the user', 'Telegram: Forbidden: bot was blocked by the user'],
  ])('fails permanently on %i "%s", without the token in the message', async (status, description, error) => {
    const r = await botApi((_req, res) => reply(res, status, { ok: false, error_code: status, description }));
    const result = await telegram.send(samplePayload('down'), config({ api_url: r.url }), ctx);
    expect(result).toEqual({ outcome: 'failed', error });
  });

  it('tells the operator the new chat id when a group became a supergroup', async () => {
    const r = await botApi((_req, res) =>
      reply(res, 400, {
        ok: false,
        error_code: 400,
        description: 'Bad Request: group chat was upgraded to a supergroup chat',
        parameters: { migrate_to_chat_id: -1001234567890 },
      }),
    );
    const result = await telegram.send(samplePayload('down'), config({ api_url: r.url }), ctx);
    expect(result).toMatchObject({
      outcome: 'failed',
      error: expect.stringContaining('set chat_id to -1001234567890'),
    });
  });

  it('retries after the retry_after Telegram asks for on 429', async () => {
    const r = await botApi((_req, res) =>
      reply(res, 429, {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 17',
        parameters: { retry_after: 17 },
      }),
    );
    const result = await telegram.send(samplePayload('down'), config({ api_url: r.url }), ctx);
    expect(result).toEqual({
      outcome: 'retry',
      error: 'Telegram: Too Many Requests: retry after 17',
      retryAfterMs: 17_000,
    });
  });

  it('retries on a 5xx, never quoting a body that may echo the token', async () => {
    const r = await botApi((req, res) => res.writeHead(502).end(`<html>bad gateway for ${req.url}</html>`));
    const result = await telegram.send(samplePayload('down'), config({ api_url: r.url }), ctx);
    expect(result).toEqual({ outcome: 'retry', error: 'Telegram: HTTP 502' });
  });

  it('fails when a 200 is not a Bot API answer (api_url points elsewhere)', async () => {
    const r = await botApi((_req, res) => res.writeHead(200).end('<html>hello</html>'));
    const result = await telegram.send(samplePayload('down'), config({ api_url: r.url }), ctx);
    expect(result).toEqual({
      outcome: 'failed',
      error: 'Telegram: HTTP 200 (not a Bot API answer: check api_url)',
    });
  });

  it('retries when Telegram cannot be reached, naming the host but not the token', async () => {
    const result = await telegram.send(
      samplePayload('down'),
      config({ api_url: await closedPortUrl() }),
      ctx,
    );
    expect(result).toMatchObject({ outcome: 'retry', error: expect.stringContaining('ECONNREFUSED') });
    expect(JSON.stringify(result)).not.toContain(TOKEN.split(':')[1]);
  });
});

describe('telegramConfigSchema', () => {
  it('defaults api_url to the public Bot API and takes a numeric chat id given as a string', () => {
    expect(telegramConfigSchema.parse({ bot_token: TOKEN, chat_id: '-1001234567890' })).toEqual({
      bot_token: TOKEN,
      chat_id: -1001234567890,
      api_url: 'https://api.telegram.org',
    });
  });

  it('drops a trailing slash from api_url', () => {
    expect(config({ api_url: 'http://127.0.0.1:8081/' }).api_url).toBe('http://127.0.0.1:8081');
  });

  it.each([
    ['a token without the bot id', { bot_token: 'AAHk3xZq9sVbN0mPq7rT2uWyXc4dEfGhIjK' }, '@BotFather'],
    ['a masked token', { bot_token: '••••hIjK' }, 'looks masked'],
    ['a chat name without @', { chat_id: 'vigil_alerts' }, 'numeric chat id'],
    ['a fractional chat id', { chat_id: 1.5 }, 'numeric chat id'],
    ['a non-http api_url', { api_url: 'ftp://api.telegram.org' }, 'http:// or https://'],
    ['a topic id of 0', { message_thread_id: 0 }, ''],
    ['an unknown key', { parse_mode: 'Markdown' }, ''],
  ])('rejects %s', (_what, input, message) => {
    const result = telegramConfigSchema.safeParse({ bot_token: TOKEN, chat_id: 42, ...input });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join('\n')).toContain(message);
  });

  it('masks the bot token', () => {
    expect(telegram.secretFields).toEqual(['bot_token']);
  });
});
