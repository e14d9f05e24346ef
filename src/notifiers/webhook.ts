// The generic webhook channel: the AlertPayload as JSON to a URL of the operator's choosing,
// or a body of their own from a template; optionally signed so the receiver can tell it came
// from us.
import { z } from 'zod';
import { deliver } from './classify.ts';
import { httpUrl, secret } from './fields.ts';
import type { Notifier } from './notifier.ts';
import {
  bodyEncoding,
  jsonTemplateProblem,
  renderTemplate,
  templateProblem,
  valuesFor,
} from './webhook-template.ts';

export const USER_AGENT = 'vigil-webhook/1';
export const SIGNATURE_HEADER = 'X-Vigil-Signature';
export const EVENT_HEADER = 'X-Vigil-Event';
export const DELIVERY_HEADER = 'X-Vigil-Delivery';

const MAX_HEADERS = 20;
export const MAX_TEMPLATE_BYTES = 16 * 1024;
// type/subtype and optional parameters, e.g. `text/plain; charset=utf-8`
const MEDIA_TYPE =
  /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(?:\s*;\s*[A-Za-z0-9!#$&^_.+-]+=(?:[A-Za-z0-9!#$&^_.+-]+|"[\x20\x21\x23-\x7e]*"))*$/;
// RFC 9110 token characters
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// what fetch accepts in a header value: tab, visible ASCII and Latin-1; no line breaks
export const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers vigil sets itself or that belong to the connection, not to the operator. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'user-agent',
  SIGNATURE_HEADER.toLowerCase(),
  EVENT_HEADER.toLowerCase(),
  DELIVERY_HEADER.toLowerCase(),
]);

const headerName = z
  .string()
  .regex(HEADER_NAME, 'must be a valid HTTP header name')
  .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), 'is set by vigil and cannot be overridden');

export const webhookConfigSchema = z
  .object({
    url: httpUrl(),
    secret: secret(256).optional(),
    method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
    headers: z
      .record(headerName, z.string().max(1024).regex(HEADER_VALUE, 'must be printable text on one line'))
      .refine((h) => Object.keys(h).length <= MAX_HEADERS, `at most ${MAX_HEADERS} headers`)
      .refine((h) => {
        const names = Object.keys(h).map((name) => name.toLowerCase());
        return new Set(names).size === names.length;
      }, 'header names must differ by more than case')
      .optional(),
    /** a body of the operator's own instead of the AlertPayload JSON, with {{placeholders}} */
    body_template: z
      .string()
      .min(1)
      .refine(
        (t) => new TextEncoder().encode(t).length <= MAX_TEMPLATE_BYTES,
        `at most ${MAX_TEMPLATE_BYTES} bytes`,
      )
      .optional(),
    /** the Content-Type of a templated body (default application/json) */
    content_type: z.string().max(200).regex(MEDIA_TYPE, 'must be a media type like text/plain').optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const [name, value] of Object.entries(c.headers ?? {})) {
      const problem = templateProblem(value, 'header');
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['headers', name], message: problem });
    }
    if (c.body_template === undefined) {
      if (c.content_type !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['content_type'],
          message: 'applies to body_template only; without one the body is the alert as JSON',
        });
      }
      return;
    }
    const problem =
      templateProblem(c.body_template, 'body') ??
      (bodyEncoding(c.content_type ?? 'application/json') === 'json'
        ? jsonTemplateProblem(c.body_template)
        : undefined);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['body_template'], message: problem });
  });

export type WebhookConfig = z.output<typeof webhookConfigSchema>;

export const webhook: Notifier<WebhookConfig> = {
  kind: 'webhook',
  configSchema: webhookConfigSchema,
  // header values are masked too: they usually carry the receiver's token (Authorization, X-Api-Key)
  secretFields: ['secret', 'headers'],
  // webhook URLs often carry their own token (Discord, Zapier, Slack-style hooks)
  urlFields: ['url'],

  async send(payload, config, { http, deliveryId }) {
    const values = valuesFor(payload, deliveryId);
    const contentType =
      config.body_template === undefined ? 'application/json' : (config.content_type ?? 'application/json');
    // rendered once: these exact bytes are what is signed and what is sent
    const body =
      config.body_template === undefined
        ? JSON.stringify(payload)
        : renderTemplate(config.body_template, bodyEncoding(contentType), values);
    const headers: Record<string, string> = {
      ...Object.fromEntries(
        Object.entries(config.headers ?? {}).map(([name, value]) => [
          name,
          renderTemplate(value, 'header', values),
        ]),
      ),
      'Content-Type': contentType,
      'User-Agent': USER_AGENT,
      [EVENT_HEADER]: payload.event,
    };
    if (deliveryId !== undefined) headers[DELIVERY_HEADER] = deliveryId;
    if (config.secret !== undefined) headers[SIGNATURE_HEADER] = await signBody(config.secret, body);
    // `?? 'POST'`: a stored config that skipped the schema must not silently become a GET
    return deliver(http, config.url, { method: config.method ?? 'POST', headers, body });
  },
};

/** The X-Vigil-Signature value for a body: `sha256=` + hex HMAC-SHA256 of its UTF-8 bytes. */
export async function signBody(secret: string, body: string | Uint8Array): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret), toBytes(body));
  return `sha256=${Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * For receivers: whether `header` is a valid signature of the raw body bytes as received.
 * crypto.subtle.verify compares in constant time, so the check leaks nothing about the
 * expected value.
 */
export async function verifySignature(
  secret: string,
  body: string | Uint8Array,
  header: string | null | undefined,
): Promise<boolean> {
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header?.trim() ?? '');
  if (match === null) return false;
  const hex = match[1]!;
  const signature = new Uint8Array(32);
  for (let i = 0; i < 32; i++) signature[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return crypto.subtle.verify('HMAC', await hmacKey(secret), signature, toBytes(body));
}

function hmacKey(secret: string) {
  return crypto.subtle.importKey('raw', toBytes(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}

function toBytes(data: string | Uint8Array): Uint8Array<ArrayBuffer> {
  return typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data);
}
