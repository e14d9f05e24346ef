// Slack, two ways: an incoming webhook (one URL, posts to the channel it was made for) or the
// Web API with a bot token (chat.postMessage, so recoveries can go to another channel).
// The attachment built here is Slack's legacy "secondary attachment", which Mattermost and
// Rocket.Chat also accept; their notifiers reuse alertAttachment() with their own escaping.
import { z } from 'zod';
import { classifyResponse, deliver, jsonRequest, parseJson, parseRetryAfter } from './classify.ts';
import { baseUrl, httpUrl, secret } from './fields.ts';
import type { HttpResponse } from './http.ts';
import { type AlertMessage, codeBlock, describeAlert, truncate } from './message.ts';
import type { AlertPayload, Notifier, SendResult } from './notifier.ts';

export const SLACK_API_URL = 'https://slack.com/api';

/** Bot tokens only: a user token (xoxp-) posts as a person and carries all of that person's access. */
const TOKEN_PREFIX = 'xoxb-';

// Slack cuts message text at 40,000 characters and advises staying under 4,000; an alert is
// read on a phone, so each part is held well below that.
const TITLE_CHARS = 250;
const SUMMARY_CHARS = 1000;
const FIELD_CHARS = 300;
const SHORT_FIELD_CHARS = 40;

/** `ok: false` errors that are Slack's trouble, not the channel's: worth another try. */
const TEMPORARY_ERRORS = new Set([
  'ratelimited',
  'rate_limited',
  'fatal_error',
  'internal_error',
  'service_unavailable',
  'request_timeout',
]);

/** What to do about the permanent errors an operator is most likely to meet. */
const HINTS = new Map([
  ['invalid_auth', 'the token is not valid; paste the bot token again'],
  ['not_authed', 'no token reached Slack'],
  ['token_revoked', 'the token was revoked; reinstall the app and paste the new bot token'],
  ['account_inactive', 'the app or its workspace was deactivated'],
  ['channel_not_found', 'use the channel ID, and invite the app if the channel is private'],
  ['not_in_channel', 'invite the app to the channel (/invite @app-name)'],
  ['is_archived', 'the channel is archived'],
  ['missing_scope', 'add the scope to the app and reinstall it'],
]);

const channelName = z
  .string()
  .regex(/^#?[^\s#,]{1,80}$/, 'must be a channel ID (C0123ABCD) or #name, without spaces');

export const slackConfigSchema = z
  .object({
    /** incoming webhook: https://hooks.slack.com/services/T…/B…/… */
    webhook_url: httpUrl()
      .refine(
        (url) => !URL.canParse(url) || new URL(url).pathname.includes('/services/'),
        'must be an incoming webhook URL (https://hooks.slack.com/services/…)',
      )
      .optional(),
    /** Web API: a bot token with the chat:write scope */
    token: secret(256)
      .refine(
        (token) => token.startsWith(TOKEN_PREFIX),
        `must be a bot token starting with ${TOKEN_PREFIX} (user tokens post as a person)`,
      )
      .optional(),
    channel: channelName.optional(),
    /** recoveries go here instead of `channel` (Web API only) */
    recovery_channel: channelName.optional(),
    api_url: baseUrl(SLACK_API_URL),
  })
  .strict()
  .superRefine((config, ctx) => {
    const hasWebhook = config.webhook_url !== undefined;
    const hasToken = config.token !== undefined;
    if (hasWebhook === hasToken) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: hasWebhook
          ? 'give either webhook_url (incoming webhook) or token + channel (Web API), not both'
          : 'give webhook_url (incoming webhook) or token + channel (Web API)',
      });
      return;
    }
    if (hasToken && config.channel === undefined) {
      ctx.addIssue({ code: 'custom', path: ['channel'], message: 'is required with token' });
    }
    if (hasWebhook) {
      for (const field of ['channel', 'recovery_channel'] as const) {
        if (config[field] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: 'needs token: an incoming webhook posts only to the channel it was created for',
          });
        }
      }
    }
  });

export type SlackConfig = z.output<typeof slackConfigSchema>;

export interface SlackAttachment {
  fallback: string;
  color: string;
  title: string;
  title_link: string;
  text: string;
  fields: { title: string; value: string; short: boolean }[];
  footer: string;
  /** epoch seconds */
  ts?: number;
  mrkdwn_in: string[];
}

export interface AttachmentStyle {
  /** turns plain text into the provider's text; Slack needs &, < and > escaped, Mattermost must not */
  escapeText: (text: string) => string;
  /** whether `ts` is epoch seconds the provider shows (Slack, Mattermost) */
  timestamp: boolean;
}

export const SLACK_STYLE: AttachmentStyle = { escapeText: escapeSlack, timestamp: true };

/** The alert as one attachment: colour bar, linked title, summary and body tail, facts as fields. */
export function alertAttachment(m: AlertMessage, flipAt: string, style: AttachmentStyle): SlackAttachment {
  const esc = style.escapeText;
  let text = esc(truncate(m.summary, SUMMARY_CHARS));
  // no emphasis: Slack's *bold* is Mattermost's italics
  if (m.bodyTail !== null) text += `\n\nLast ping body (tail):\n${codeBlock(esc(m.bodyTail))}`;
  const attachment: SlackAttachment = {
    fallback: esc(truncate(m.title, TITLE_CHARS)),
    color: m.color,
    title: esc(truncate(m.title, TITLE_CHARS)),
    title_link: m.link,
    text,
    fields: m.facts.map((fact) => ({
      title: esc(fact.label),
      value: esc(truncate(fact.value, FIELD_CHARS)),
      short: fact.value.length <= SHORT_FIELD_CHARS,
    })),
    footer: 'vigil',
    mrkdwn_in: ['text'],
  };
  const at = Date.parse(flipAt);
  if (style.timestamp && !Number.isNaN(at)) attachment.ts = Math.floor(at / 1000);
  return attachment;
}

/** Slack's three control characters as entities, as its formatting docs require. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export const slack: Notifier<SlackConfig> = {
  kind: 'slack',
  configSchema: slackConfigSchema,
  secretFields: ['token'],
  urlFields: ['webhook_url'],

  async send(payload, config, { http }) {
    const message = describeAlert(payload);
    const body = {
      text: escapeSlack(truncate(message.title, TITLE_CHARS)),
      attachments: [alertAttachment(message, payload.flip.at, SLACK_STYLE)],
    };
    if (config.webhook_url !== undefined) {
      return deliver(http, config.webhook_url, jsonRequest(body), inspectWebhookAnswer);
    }
    if (config.token === undefined || config.channel === undefined) {
      return { outcome: 'failed', error: 'Slack: the channel needs webhook_url, or token and channel' };
    }
    const init = {
      ...jsonRequest({ channel: channelFor(payload, config), ...body }),
      // without the charset Slack answers with a missing_charset warning
      headers: { Authorization: `Bearer ${config.token}`, 'Content-Type': 'application/json; charset=utf-8' },
    };
    // `??`: a stored config that skipped the schema has no default filled in
    return deliver(http, `${config.api_url ?? SLACK_API_URL}/chat.postMessage`, init, inspectApiAnswer);
  },
};

function channelFor(payload: AlertPayload, config: SlackConfig): string {
  return payload.event === 'up' && config.recovery_channel !== undefined
    ? config.recovery_channel
    : config.channel!;
}

/** Webhooks answer "ok", or an error code as plain text with 400/403/404/410 (or 429/5xx). */
function inspectWebhookAnswer(res: HttpResponse): SendResult {
  const result = classifyResponse(res);
  if (result.outcome === 'delivered') return result;
  const code = truncate(res.text.trim().replace(/\s+/g, ' '), 200) || 'no error given';
  return { ...result, error: `Slack: ${code} (HTTP ${res.status})` };
}

/** The Web API answers 200 with `"ok": false` for most failures; the error code decides. */
function inspectApiAnswer(res: HttpResponse): SendResult {
  const answer = parseJson(res) as { ok?: unknown; error?: unknown; needed?: unknown } | undefined;
  if (typeof answer?.ok !== 'boolean') {
    const result = classifyResponse(res);
    if (result.outcome !== 'delivered') return { ...result, error: `Slack: ${result.error}` };
    return { outcome: 'failed', error: `Slack: HTTP ${res.status} without an "ok" field; is api_url right?` };
  }
  if (answer.ok) return { outcome: 'delivered', detail: `HTTP ${res.status}` };
  const code = typeof answer.error === 'string' ? answer.error : 'unknown_error';
  if (TEMPORARY_ERRORS.has(code) || res.status === 429 || res.status >= 500) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), Date.now());
    const error = `Slack: ${code}`;
    return retryAfterMs === undefined
      ? { outcome: 'retry', error }
      : { outcome: 'retry', error, retryAfterMs };
  }
  const needed = typeof answer.needed === 'string' ? ` (needs ${answer.needed})` : '';
  const hint = HINTS.get(code);
  return { outcome: 'failed', error: `Slack: ${code}${needed}${hint === undefined ? '' : `: ${hint}`}` };
}
