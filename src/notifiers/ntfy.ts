// ntfy: the alert published as JSON to a topic on ntfy.sh or a self-hosted server. Protected
// topics take an access token or a username and password.
import { z } from 'zod';
import { classifyResponse, deliver, jsonRequest, parseJson } from './classify.ts';
import { baseUrl, secret } from './fields.ts';
import type { HttpResponse } from './http.ts';
import { type AlertMessage, describeAlert, type Tone, truncate } from './message.ts';
import type { AlertPayload, Notifier, SendResult } from './notifier.ts';

export const NTFY_SERVER = 'https://ntfy.sh';
/** ntfy's default message-size-limit, in UTF-8 bytes; a longer message becomes an attachment,
 * or is refused where attachments are off. */
export const MESSAGE_BYTES = 4096;
const TITLE_CHARS = 250;
const SUMMARY_CHARS = 1024;
const FACT_CHARS = 256;
/** Below this, a body tail says nothing useful; leave it out. */
const MIN_BODY_BYTES = 64;

/** 5 max (long vibration, pop-over), 4 high, 3 default. Late and recovered never ring louder
 * than a normal notification, and a low-severity check never above default. */
const PROBLEM_PRIORITY: Record<string, number> = { critical: 5, important: 4, low: 3 };
const LATE_PRIORITY = 3;
const UP_PRIORITY = 3;

/** ntfy turns these tag names into emojis in front of the title. */
const TONE_TAGS: Record<Tone, string> = {
  problem: 'rotating_light',
  warning: 'warning',
  recovery: 'white_check_mark',
};

export const ntfyConfigSchema = z
  .object({
    topic: z
      .string()
      .regex(/^[-_A-Za-z0-9]{1,64}$/, 'must be 1 to 64 letters, digits, "-" or "_" (ntfy topic rules)'),
    server_url: baseUrl(NTFY_SERVER),
    /** an access token (tk_…), sent as a Bearer token */
    token: secret(256).optional(),
    /** or a user's credentials, sent as Basic auth */
    username: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[^:]*$/, 'must not contain ":"')
      .optional(),
    password: secret(256).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.token !== undefined && (c.username !== undefined || c.password !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'use either token or username and password' });
    } else if ((c.username === undefined) !== (c.password === undefined)) {
      const path = c.username === undefined ? 'username' : 'password';
      ctx.addIssue({ code: 'custom', path: [path], message: 'username and password go together' });
    }
  });

export type NtfyConfig = z.output<typeof ntfyConfigSchema>;

export const ntfy: Notifier<NtfyConfig> = {
  kind: 'ntfy',
  configSchema: ntfyConfigSchema,
  secretFields: ['token', 'password'],

  async send(payload, config, { http }) {
    const m = describeAlert(payload);
    const body = {
      topic: config.topic,
      title: truncate(m.title, TITLE_CHARS),
      message: ntfyMessage(m),
      priority: ntfyPriority(payload),
      tags: [TONE_TAGS[m.tone]],
      click: m.link,
      actions: [{ action: 'view', label: 'Open check', url: m.link, clear: true }],
    };
    // JSON goes to the server's root URL, never to /<topic>
    return deliver(
      http,
      `${config.server_url ?? NTFY_SERVER}/`,
      jsonRequest(body, authHeaders(config)),
      readAnswer,
    );
  },
};

export function ntfyPriority(p: AlertPayload): number {
  if (p.event === 'up') return UP_PRIORITY;
  if (p.event === 'late') return LATE_PRIORITY;
  return PROBLEM_PRIORITY[p.check.severity] ?? 4;
}

/** The body under the title: summary, facts, and as much of the ping body's tail as fits. */
export function ntfyMessage(m: AlertMessage): string {
  const head = fitBytes(
    [
      truncate(m.summary, SUMMARY_CHARS),
      '',
      ...m.facts.map((f) => `${f.label}: ${truncate(f.value, FACT_CHARS)}`),
    ].join('\n'),
    MESSAGE_BYTES,
    'head',
  );
  if (m.bodyTail === null) return head;
  const label = '\n\nLast ping body (tail):\n';
  const room = MESSAGE_BYTES - byteLength(head + label);
  return room < MIN_BODY_BYTES ? head : `${head}${label}${fitBytes(m.bodyTail, room, 'tail')}`;
}

const encoder = new TextEncoder();

function authHeaders(config: NtfyConfig): Record<string, string> {
  if (config.token !== undefined) return { Authorization: `Bearer ${config.token}` };
  if (config.username !== undefined && config.password !== undefined) {
    const bytes = encoder.encode(`${config.username}:${config.password}`);
    return { Authorization: `Basic ${btoa(String.fromCharCode(...bytes))}` };
  }
  return {};
}

function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/**
 * The start (head) or the end (tail) of `text` in at most `max` UTF-8 bytes, with "…" where it
 * was cut; whole characters only, so a multi-byte character is never split.
 */
function fitBytes(text: string, max: number, keep: 'head' | 'tail'): string {
  if (byteLength(text) <= max) return text;
  const chars = Array.from(text);
  if (keep === 'tail') chars.reverse();
  const kept: string[] = [];
  let size = byteLength('…');
  for (const c of chars) {
    size += byteLength(c);
    if (size > max) break;
    kept.push(c);
  }
  if (keep === 'tail') return `…${kept.reverse().join('')}`;
  return `${kept.join('')}…`;
}

/** ntfy answers the published message (`{ id, time, event, topic, … }`) or `{ code, http, error, link }`. */
function readAnswer(res: HttpResponse): SendResult | undefined {
  const answer = parseJson(res) as { id?: unknown; code?: unknown; error?: unknown } | undefined;
  if (typeof answer !== 'object' || answer === null) return undefined;
  const base = classifyResponse(res);
  if (base.outcome === 'delivered') {
    return {
      outcome: 'delivered',
      detail: typeof answer.id === 'string' ? `message ${answer.id}` : base.detail,
    };
  }
  let error = `ntfy: ${typeof answer.error === 'string' ? truncate(answer.error, 300) : `HTTP ${res.status}`}`;
  if (typeof answer.code === 'number') error += ` (code ${answer.code})`;
  if (res.status === 401 || res.status === 403) error += ': check token, or username and password';
  return { ...base, error };
}
