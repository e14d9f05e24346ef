// The Matrix channel: one m.room.message (plain text plus HTML) per alert, sent to a room with
// a bot account's access token through the client-server API of any homeserver.
import { z } from 'zod';
import { classifyResponse, deliver, parseJson } from './classify.ts';
import { baseUrl, secret } from './fields.ts';
import type { HttpResponse } from './http.ts';
import { type AlertMessage, describeAlert, escapeHtml, plainText } from './message.ts';
import type { AlertPayload, Notifier, SendResult } from './notifier.ts';

// Room IDs, not aliases: the send endpoint takes an ID only (an alias would need a directory
// lookup first). `!opaque:server` up to room version 11; from version 12 the ID is `!` plus a
// hash of the create event, with no server part, so the part after ":" is optional.
const ROOM_ID = /^![\x21-\x7e]+$/;

export const matrixConfigSchema = z
  .object({
    homeserver: baseUrl('https://matrix.org'),
    access_token: secret(),
    room_id: z
      .string()
      .max(255)
      .superRefine((id, ctx) => {
        if (id.startsWith('#')) {
          ctx.addIssue({
            code: 'custom',
            message:
              'must be a room ID (starting with "!"), not an alias; Element shows it under Room settings → Advanced',
          });
        } else if (!ROOM_ID.test(id)) {
          ctx.addIssue({ code: 'custom', message: 'must be a room ID like !AbCdEf:example.org' });
        }
      }),
  })
  .strict();

export type MatrixConfig = z.output<typeof matrixConfigSchema>;

/** What to do about an error code, for the operator reading why the channel broke. */
const HINTS: Record<string, string> = {
  M_UNKNOWN_TOKEN: 'the access token is not valid (expired or logged out); create a new one',
  M_MISSING_TOKEN: 'the homeserver did not get the access token',
  M_FORBIDDEN: 'the account may not post in this room; invite it and let it join first',
  M_NOT_FOUND: 'no such room on this homeserver; check room_id',
};

export const matrix: Notifier<MatrixConfig> = {
  kind: 'matrix',
  configSchema: matrixConfigSchema,
  secretFields: ['access_token'],

  async send(payload, config, { http, deliveryId }) {
    const message = describeAlert(payload);
    const url =
      `${config.homeserver}/_matrix/client/v3/rooms/${encodeURIComponent(config.room_id)}` +
      `/send/m.room.message/${encodeURIComponent(transactionId(payload, deliveryId))}`;
    const content = {
      msgtype: 'm.text',
      body: plainText(message),
      format: 'org.matrix.custom.html',
      formatted_body: formattedBody(message),
    };
    return deliver(
      http,
      url,
      {
        method: 'PUT',
        headers: { Authorization: `Bearer ${config.access_token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(content),
      },
      inspect,
    );
  },
};

/**
 * The homeserver remembers transaction IDs per access token and answers a repeated one with
 * the event it already sent, so a retry of the same delivery (after a timeout whose request did
 * get through) does not post the alert twice. Built from the delivery id, which is stable across
 * retries, plus the check id: delivery ids are small counters, and two vigil instances sharing
 * one bot token would otherwise swallow each other's alerts as duplicates.
 */
export function transactionId(payload: AlertPayload, deliveryId: string | undefined): string {
  return deliveryId === undefined
    ? `vigil.${crypto.randomUUID()}`
    : `vigil.${payload.check.id}.${deliveryId}`;
}

/** The message as the HTML subset Matrix clients render, every value escaped. */
export function formattedBody(m: AlertMessage): string {
  const color = escapeHtml(m.color);
  const parts = [
    `<p><strong><font color="${color}" data-mx-color="${color}">●</font> ${escapeHtml(m.title)}</strong></p>`,
    `<p>${escapeHtml(m.summary)}</p>`,
    `<ul>${m.facts.map((f) => `<li><strong>${escapeHtml(f.label)}:</strong> ${escapeHtml(f.value)}</li>`).join('')}</ul>`,
  ];
  if (m.bodyTail !== null) {
    parts.push(`<p>Last ping body (tail):</p><pre><code>${escapeHtml(m.bodyTail)}</code></pre>`);
  }
  parts.push(`<p><a href="${escapeHtml(m.link)}">${escapeHtml(m.link)}</a></p>`);
  return parts.join('');
}

interface MatrixError {
  errcode: string;
  error?: string;
  retry_after_ms?: number;
}

/** Matrix errors come as `{ errcode, error }`; the status still decides retry or not, the body
 * says why, and M_LIMIT_EXCEEDED may carry the wait in the body instead of Retry-After. */
function inspect(res: HttpResponse): SendResult | undefined {
  const body = parseJson(res);
  if (res.status >= 200 && res.status < 300) {
    const eventId = (body as { event_id?: unknown } | undefined)?.event_id;
    return {
      outcome: 'delivered',
      detail: typeof eventId === 'string' ? `event ${eventId}` : `HTTP ${res.status}`,
    };
  }
  if (!isMatrixError(body)) return undefined;
  const hint = HINTS[body.errcode];
  const error = `HTTP ${res.status} ${body.errcode}: ${body.error ?? 'no message'}${hint ? ` (${hint})` : ''}`;
  const result = classifyResponse(res);
  if (result.outcome !== 'retry') return { outcome: 'failed', error };
  const retryAfterMs = result.retryAfterMs ?? body.retry_after_ms;
  return retryAfterMs === undefined ? { outcome: 'retry', error } : { outcome: 'retry', error, retryAfterMs };
}

function isMatrixError(body: unknown): body is MatrixError {
  if (typeof body !== 'object' || body === null) return false;
  const { errcode, error, retry_after_ms } = body as Record<string, unknown>;
  return (
    typeof errcode === 'string' &&
    (error === undefined || typeof error === 'string') &&
    (retry_after_ms === undefined || (typeof retry_after_ms === 'number' && retry_after_ms >= 0))
  );
}
