// Telegram: one sendMessage call per alert, from a bot the operator made with @BotFather, to a
// private chat, a group, a channel or a forum topic. The bot token is part of the URL path, so
// every error this channel reports is scrubbed of it before it reaches logs or the API.
import { z } from 'zod';
import { classifyResponse, deliver, jsonRequest, parseJson } from './classify.ts';
import { baseUrl, secret } from './fields.ts';
import type { HttpResponse } from './http.ts';
import { type AlertMessage, describeAlert, escapeHtml, type Tone, tail, truncate } from './message.ts';
import type { Notifier, SendResult } from './notifier.ts';
import { MASK } from './secret-mask.ts';

export const TELEGRAM_API = 'https://api.telegram.org';
/** Telegram counts this limit after entity parsing: the characters the reader sees, not the markup. */
export const TELEGRAM_TEXT_LIMIT = 4096;

// Caps on the parts before the body tail, so a runaway name or reason cannot crowd it out.
const TITLE_CHARS = 256;
const SUMMARY_CHARS = 1024;
const FACT_CHARS = 256;
/** Below this many characters a body tail says nothing useful; leave it out. */
const MIN_BODY_CHARS = 40;

const BOT_TOKEN = /^\d{1,20}:[A-Za-z0-9_-]{20,100}$/;
const CHANNEL_USERNAME = /^@[A-Za-z][A-Za-z0-9_]{3,31}$/;
const NUMERIC_ID = /^-?\d{1,20}$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const TONE_MARKS: Record<Tone, string> = { problem: '🔴', warning: '🟡', recovery: '🟢' };

/** A numeric chat id (groups and channels are negative) or a public channel's @username. */
const chatId = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const id = typeof value === 'string' && NUMERIC_ID.test(value) ? Number(value) : value;
  if (typeof id === 'number' ? Number.isSafeInteger(id) : CHANNEL_USERNAME.test(id)) return id;
  ctx.addIssue({
    code: 'custom',
    message: 'must be a numeric chat id (e.g. -1001234567890) or a public channel as @channelname',
  });
  return z.NEVER;
});

export const telegramConfigSchema = z
  .object({
    bot_token: secret(128).regex(BOT_TOKEN, 'must be the token @BotFather gave the bot, like 123456789:AAF…'),
    chat_id: chatId,
    /** a forum supergroup's topic */
    message_thread_id: z.number().int().positive().optional(),
    api_url: baseUrl(TELEGRAM_API),
  })
  .strict();

export type TelegramConfig = z.output<typeof telegramConfigSchema>;

export const telegram: Notifier<TelegramConfig> = {
  kind: 'telegram',
  configSchema: telegramConfigSchema,
  secretFields: ['bot_token'],

  async send(payload, config, { http }) {
    const body = {
      chat_id: config.chat_id,
      text: telegramText(describeAlert(payload)),
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      ...(config.message_thread_id === undefined ? {} : { message_thread_id: config.message_thread_id }),
    };
    const url = `${config.api_url ?? TELEGRAM_API}/bot${config.bot_token}/sendMessage`;
    return scrub(await deliver(http, url, jsonRequest(body), readAnswer), config.bot_token);
  },
};

/** A run of text, shown as is, or inside an HTML element (`open` … `close`). */
type Segment = { text: string; open?: string; close?: string };

/**
 * The alert in Telegram's HTML subset. Every part is cut as plain text and only then escaped,
 * so a cut can never split an entity or a tag; the body tail gets what room the rest leaves.
 */
export function telegramText(m: AlertMessage): string {
  const head: Segment[] = [
    { text: `${TONE_MARKS[m.tone]} ` },
    bold(truncate(m.title, TITLE_CHARS)),
    { text: `\n${truncate(m.summary, SUMMARY_CHARS)}\n` },
  ];
  for (const fact of m.facts) {
    head.push({ text: '\n' }, bold(`${fact.label}:`), { text: ` ${truncate(fact.value, FACT_CHARS)}` });
  }
  const foot: Segment[] = [
    { text: '\n\n' },
    { text: 'Open the check in vigil', open: `<a href="${escapeHtml(m.link)}">`, close: '</a>' },
  ];
  const body: Segment[] = [];
  if (m.bodyTail !== null) {
    const label: Segment[] = [{ text: '\n\n' }, bold('Last ping body (tail):'), { text: '\n' }];
    const room = TELEGRAM_TEXT_LIMIT - visibleLength([...head, ...label, ...foot]);
    if (room >= MIN_BODY_CHARS)
      body.push(...label, { text: tail(m.bodyTail, room), open: '<pre>', close: '</pre>' });
  }
  return [...head, ...body, ...foot]
    .map((s) => `${s.open ?? ''}${escapeHtml(wellFormed(s.text))}${s.close ?? ''}`)
    .join('');
}

/**
 * `text` without unpaired surrogates, which a cut by UTF-16 units (ours, or the body tail's) can
 * leave at the edge of an emoji: the Bot API refuses text that is not valid UTF-8.
 */
function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '');
}

function bold(text: string): Segment {
  return { text, open: '<b>', close: '</b>' };
}

/** What Telegram counts against its limit: the text without markup, entities as one character. */
function visibleLength(segments: Segment[]): number {
  return segments.reduce((sum, s) => sum + s.text.length, 0);
}

interface TelegramAnswer {
  ok?: unknown;
  description?: unknown;
  result?: { message_id?: unknown };
  parameters?: { retry_after?: unknown; migrate_to_chat_id?: unknown };
}

/**
 * Telegram answers `{ ok, result }` or `{ ok: false, error_code, description, parameters }`.
 * Its description is what the operator needs ("Unauthorized", "Bad Request: chat not found",
 * "Forbidden: bot was blocked by the user"); flood control says how long to wait in
 * `parameters.retry_after` (seconds). A body that is not Telegram's JSON is never quoted: a
 * proxy's error page could echo the request URL, and with it the token.
 */
function readAnswer(res: HttpResponse): SendResult {
  const parsed = parseJson(res);
  const answer = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as TelegramAnswer;
  if (answer.ok === true && res.status < 300) {
    const id = answer.result?.message_id;
    return { outcome: 'delivered', detail: typeof id === 'number' ? `message ${id}` : `HTTP ${res.status}` };
  }
  let error = `Telegram: ${typeof answer.description === 'string' ? answer.description : `HTTP ${res.status}`}`;
  const migrated = answer.parameters?.migrate_to_chat_id;
  if (typeof migrated === 'number') error += ` (the group is now a supergroup: set chat_id to ${migrated})`;
  else if (res.status === 401 || res.status === 404) error += ' (check bot_token and api_url)';
  else if (answer.ok === undefined && res.status < 300) error += ' (not a Bot API answer: check api_url)';
  const base = classifyResponse(res);
  if (base.outcome === 'retry') {
    const seconds = answer.parameters?.retry_after;
    const retryAfterMs = typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : base.retryAfterMs;
    return retryAfterMs === undefined
      ? { outcome: 'retry', error }
      : { outcome: 'retry', error, retryAfterMs };
  }
  // `ok: false` (or no answer at all) inside a 2xx is still a refusal
  return { outcome: 'failed', error };
}

/** The result with the bot token blanked out of its message, wherever a server echoed it. */
function scrub(result: SendResult, token: string): SendResult {
  if (result.outcome === 'delivered' || !result.error.includes(token)) return result;
  return { ...result, error: result.error.replaceAll(token, MASK) };
}
