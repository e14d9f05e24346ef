// Pushover: one message per alert from the operator's Pushover application to a user or group.
// Emergency priority (repeated until acknowledged) is opt-in for critical checks; a recovery
// then first cancels the emergency that is still repeating.
import { z } from 'zod';
import { classifyResponse, deliver, parseJson } from './classify.ts';
import { baseUrl, secret } from './fields.ts';
import type { HttpRequestInit, HttpResponse } from './http.ts';
import { type AlertMessage, describeAlert, tail, truncate } from './message.ts';
import type { AlertPayload, Notifier, SendResult } from './notifier.ts';

export const PUSHOVER_API = 'https://api.pushover.net';

// Pushover's documented limits
export const MESSAGE_LIMIT = 1024;
export const TITLE_LIMIT = 250;
const URL_LIMIT = 512;
const MIN_RETRY_SECONDS = 30;
const MAX_EXPIRE_SECONDS = 10_800;

const SUMMARY_CHARS = 300;
const FACT_CHARS = 120;
const MIN_BODY_CHARS = 40;

/** -2 lowest … 2 emergency. 1 bypasses quiet hours; only a down critical check gets it. */
const PROBLEM_PRIORITY: Record<string, number> = { critical: 1, important: 0, low: -1 };
const EMERGENCY = 2;

const KEY = /^[A-Za-z0-9]{30}$/;
const DEVICE_NAME = '[A-Za-z0-9_-]{1,25}';

export const pushoverConfigSchema = z
  .object({
    /** the API token of the operator's Pushover application */
    app_token: secret(30).regex(KEY, 'must be the 30-character API token of a Pushover application'),
    /** the user or group key to notify */
    user_key: secret(30).regex(KEY, 'must be the 30-character Pushover user or group key'),
    api_url: baseUrl(PUSHOVER_API),
    /** only these devices (comma-separated names) instead of all of the user's */
    device: z
      .string()
      .regex(new RegExp(`^${DEVICE_NAME}(,${DEVICE_NAME})*$`), 'must be device names separated by commas')
      .optional(),
    sound: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the name of a Pushover sound')
      .optional(),
    /** down alerts of critical checks repeat every emergency_retry s until acknowledged */
    emergency: z.boolean().default(false),
    emergency_retry: z.number().int().min(MIN_RETRY_SECONDS).max(MAX_EXPIRE_SECONDS).default(60),
    emergency_expire: z.number().int().min(MIN_RETRY_SECONDS).max(MAX_EXPIRE_SECONDS).default(3600),
  })
  .strict();

export type PushoverConfig = z.output<typeof pushoverConfigSchema>;

export const pushover: Notifier<PushoverConfig> = {
  kind: 'pushover',
  configSchema: pushoverConfigSchema,
  secretFields: ['app_token', 'user_key'],

  async send(payload, config, { http }) {
    const api = config.api_url ?? PUSHOVER_API;
    if (payload.event === 'up' && config.emergency) {
      // cancelling is idempotent, so a retry after a failed recovery message may cancel again
      const url = `${api}/1/receipts/cancel_by_tag/${encodeURIComponent(emergencyTag(payload))}.json`;
      const cancelled = await deliver(http, url, form({ token: config.app_token }), readAnswer);
      if (cancelled.outcome !== 'delivered') return cancelled;
    }
    return deliver(http, `${api}/1/messages.json`, form(pushoverMessage(payload, config)), readAnswer);
  },
};

export function pushoverPriority(p: AlertPayload, config: Pick<PushoverConfig, 'emergency'>): number {
  const low = p.check.severity === 'low';
  if (p.event === 'up' || p.event === 'late') return low ? -1 : 0;
  const priority = PROBLEM_PRIORITY[p.check.severity] ?? 0;
  return priority === 1 && config.emergency ? EMERGENCY : priority;
}

/** The form fields of messages.json for an alert. */
export function pushoverMessage(p: AlertPayload, config: PushoverConfig): Record<string, string> {
  const m = describeAlert(p);
  const priority = pushoverPriority(p, config);
  const fields: Record<string, string> = {
    token: config.app_token,
    user: config.user_key,
    title: truncate(m.title, TITLE_LIMIT),
    message: messageText(m),
    priority: String(priority),
    // when it happened, not when Pushover got it (a retried delivery may come late)
    timestamp: String(Math.floor(Date.parse(p.flip.at) / 1000)),
  };
  // a longer URL would be refused; the alert still goes out, without the link button
  if (m.link.length <= URL_LIMIT)
    Object.assign(fields, { url: m.link, url_title: 'Open the check in vigil' });
  if (priority === EMERGENCY) {
    fields.retry = String(config.emergency_retry ?? 60);
    fields.expire = String(config.emergency_expire ?? 3600);
    fields.tags = emergencyTag(p);
  }
  if (config.device !== undefined) fields.device = config.device;
  if (config.sound !== undefined) fields.sound = config.sound;
  return fields;
}

/** Plain text: summary, facts, and as much of the ping body's tail as the 1024 characters leave. */
function messageText(m: AlertMessage): string {
  const head = [
    truncate(m.summary, SUMMARY_CHARS),
    '',
    ...m.facts.map((f) => `${f.label}: ${truncate(f.value, FACT_CHARS)}`),
  ].join('\n');
  if (m.bodyTail === null) return truncate(head, MESSAGE_LIMIT);
  const label = '\n\nLast ping body (tail):\n';
  const room = MESSAGE_LIMIT - head.length - label.length;
  return room < MIN_BODY_CHARS ? truncate(head, MESSAGE_LIMIT) : `${head}${label}${tail(m.bodyTail, room)}`;
}

/** Names a check's emergency messages, so its recovery can cancel them. */
function emergencyTag(p: AlertPayload): string {
  return `vigil-${p.check.id}`;
}

function form(fields: Record<string, string>): HttpRequestInit {
  return {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

/**
 * Pushover answers `{ status: 1, request }`, and on bad input a 4xx with `{ status: 0, errors:
 * [...] }` naming what is wrong ("application token is invalid"). 429: the application's
 * monthly message limit is used up; 5xx: try again later.
 */
function readAnswer(res: HttpResponse): SendResult | undefined {
  const answer = parseJson(res) as { status?: unknown; request?: unknown; errors?: unknown } | undefined;
  if (typeof answer !== 'object' || answer === null) return undefined;
  const base = classifyResponse(res);
  if (base.outcome === 'delivered' && answer.status === 1) {
    return {
      outcome: 'delivered',
      detail: typeof answer.request === 'string' ? `request ${answer.request}` : base.detail,
    };
  }
  const errors = Array.isArray(answer.errors) ? answer.errors.filter((e) => typeof e === 'string') : [];
  const error = `Pushover: ${truncate(errors.length > 0 ? errors.join('; ') : `HTTP ${res.status}`, 300)}`;
  return base.outcome === 'delivered' ? { outcome: 'failed', error } : { ...base, error };
}
