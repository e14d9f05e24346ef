// Gotify: the alert pushed to the operator's own Gotify server with an application token, as
// Markdown, opening the check when the notification is tapped.
import { z } from 'zod';
import { classifyResponse, deliver, jsonRequest, parseJson } from './classify.ts';
import { httpUrl, secret } from './fields.ts';
import type { HttpResponse } from './http.ts';
import { type AlertMessage, commonMarkCodeBlock, describeAlert, truncate } from './message.ts';
import type { AlertPayload, Notifier, SendResult } from './notifier.ts';

const TITLE_CHARS = 250;
const SUMMARY_CHARS = 2000;

/**
 * Gotify's Android app: 0 silent, 1–3 quiet, 4–7 with sound, 8–10 pops up over other apps.
 * Only a down critical check pops up; late and recovered make a sound, low checks stay quiet.
 */
const PROBLEM_PRIORITY: Record<string, number> = { critical: 8, important: 6, low: 3 };
const LATE_PRIORITY = 5;
const UP_PRIORITY = 4;
const LOW_QUIET = 2;

export const gotifyConfigSchema = z
  .object({
    /** the Gotify server, e.g. https://push.example.com (with its path prefix, if any) */
    server_url: httpUrl().transform((url) => url.replace(/\/+$/, '')),
    /** an application token (Apps → Create application), sent as X-Gotify-Key */
    app_token: secret(256),
  })
  .strict();

export type GotifyConfig = z.output<typeof gotifyConfigSchema>;

export const gotify: Notifier<GotifyConfig> = {
  kind: 'gotify',
  configSchema: gotifyConfigSchema,
  secretFields: ['app_token'],

  async send(payload, config, { http }) {
    const m = describeAlert(payload);
    const body = {
      title: truncate(m.title, TITLE_CHARS),
      message: gotifyMarkdown(m),
      priority: gotifyPriority(payload),
      extras: {
        'client::display': { contentType: 'text/markdown' },
        'client::notification': { click: { url: m.link } },
      },
    };
    const headers = { 'X-Gotify-Key': config.app_token };
    return deliver(http, `${config.server_url}/message`, jsonRequest(body, headers), readAnswer);
  },
};

export function gotifyPriority(p: AlertPayload): number {
  const low = p.check.severity === 'low';
  if (p.event === 'up') return low ? LOW_QUIET : UP_PRIORITY;
  if (p.event === 'late') return low ? LOW_QUIET : LATE_PRIORITY;
  return PROBLEM_PRIORITY[p.check.severity] ?? 6;
}

/** Summary, facts as a list, the body tail in a code block, and a link to the check. */
export function gotifyMarkdown(m: AlertMessage): string {
  const lines = [
    escapeMarkdown(truncate(m.summary, SUMMARY_CHARS)),
    '',
    ...m.facts.map((f) => `- **${escapeMarkdown(f.label)}:** ${escapeMarkdown(f.value)}`),
  ];
  if (m.bodyTail !== null) lines.push('', '**Last ping body (tail):**', '', commonMarkCodeBlock(m.bodyTail));
  lines.push('', `[Open the check in vigil](${m.link.replace(/[\s()<>]/g, percentEncode)})`);
  return lines.join('\n');
}

/** Text shown literally in Markdown: every ASCII punctuation character backslash-escaped. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()<>#+\-.!|~&"']/g, '\\$&');
}

function percentEncode(c: string): string {
  return `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Gotify answers the stored message (`{ id, … }`) or `{ error, errorCode, errorDescription }`. */
function readAnswer(res: HttpResponse): SendResult | undefined {
  const answer = parseJson(res) as { id?: unknown; error?: unknown; errorDescription?: unknown } | undefined;
  if (typeof answer !== 'object' || answer === null) return undefined;
  const base = classifyResponse(res);
  if (base.outcome === 'delivered') {
    return {
      outcome: 'delivered',
      detail: typeof answer.id === 'number' ? `message ${answer.id}` : base.detail,
    };
  }
  const parts = [answer.error, answer.errorDescription].filter((s) => typeof s === 'string' && s !== '');
  let error = `Gotify: ${truncate(parts.length > 0 ? parts.join(': ') : `HTTP ${res.status}`, 300)}`;
  if (res.status === 401 || res.status === 403)
    error += ' (check app_token: it must be an application token)';
  return { ...base, error };
}
