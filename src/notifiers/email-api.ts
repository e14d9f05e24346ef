// What every email channel shares, whether it sends through SMTP (email.ts) or a provider's
// HTTP API (resend.ts, postmark.ts, sendgrid.ts, mailgun.ts): who gets the alert, who it is
// from, and what it says. The HTTP ones use fetch only, so they work on Workers too.
import { z } from 'zod';
import { classifyResponse } from './classify.ts';
import { emailHtml } from './email-html.ts';
import { baseUrl, secret } from './fields.ts';
import type { HttpResponse } from './http.ts';
import { describeAlert, plainText, truncate } from './message.ts';
import type { AlertPayload, SendResult } from './notifier.ts';

export const MAX_RECIPIENTS = 10;
export const EVENT_HEADER = 'X-Vigil-Event';
export const CHECK_HEADER = 'X-Vigil-Check';

// z.email() takes bare addresses only: no display names, quotes or line breaks, so nothing a
// channel stores can add a header to the message
export const address = z.email('must be an email address like ops@example.com').max(254);

/** One address or a list of up to 10, each once; stored as a list. */
export const recipients = z
  .union([address, z.array(address).min(1).max(MAX_RECIPIENTS)])
  .transform((to) => (typeof to === 'string' ? [to] : to))
  .refine(
    (to) => new Set(to.map((a) => a.toLowerCase())).size === to.length,
    'must not list an address twice',
  );

export const subjectPrefix = z
  .string()
  .max(50)
  .regex(/^[^\r\n]*$/, 'must be on one line')
  .optional();

/**
 * The sender's name. Always sent quoted ("Name" <address>) or as a field of its own, so
 * commas, dots or colons cannot split it; quotes, backslashes, angle brackets, commas,
 * semicolons and control characters are refused, so it can never end the quoted string or
 * name a second mailbox.
 */
export const fromName = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[^"\\<>,;\p{Cc}]+$/u,
    'must be a plain name, without quotes, <>, commas, semicolons or line breaks',
  )
  .optional();

/** An API key or token: it goes into a header, so visible ASCII only. */
export function apiToken(max = 256) {
  return secret(max).regex(/^[\x21-\x7e]+$/, 'must be the key as shown by the provider, without spaces');
}

/** The config fields every HTTP email channel has, plus its API's base URL. */
export function emailApiFields(defaultApi: string) {
  return {
    to: recipients,
    from: address,
    from_name: fromName,
    subject_prefix: subjectPrefix,
    api_url: baseUrl(defaultApi),
  };
}

export interface EmailApiConfig {
  to: string[];
  from: string;
  from_name?: string | undefined;
  subject_prefix?: string | undefined;
}

/** The alert as an email: the same subject, text and HTML as the SMTP channel sends. */
export interface EmailContent {
  subject: string;
  text: string;
  html: string;
  /** for mail filters: the event and the check's id */
  headers: Record<string, string>;
}

export function emailContent(payload: AlertPayload, subjectPrefix?: string): EmailContent {
  const message = describeAlert(payload);
  return {
    subject: subjectPrefix ? `${subjectPrefix} ${message.title}` : message.title,
    text: plainText(message),
    html: emailHtml(message),
    headers: { [EVENT_HEADER]: payload.event, [CHECK_HEADER]: payload.check.id },
  };
}

/** The From mailbox as one string: the bare address, or `"Name" <address>`. */
export function mailbox(config: Pick<EmailApiConfig, 'from' | 'from_name'>): string {
  return config.from_name === undefined ? config.from : `"${config.from_name}" <${config.from}>`;
}

/**
 * The status decides delivered, retry or failed (429 and 5xx retry, with Retry-After); the
 * provider's own words, when it sent any, replace the raw body in the error.
 */
export function providerResult(res: HttpResponse, provider: string, words: string | undefined): SendResult {
  const base = classifyResponse(res);
  if (base.outcome === 'delivered' || words === undefined || words.trim() === '') return base;
  return {
    ...base,
    error: `${provider}: ${truncate(words.replace(/\s+/g, ' ').trim(), 300)} (HTTP ${res.status})`,
  };
}

/** Basic auth as fetch wants it; the credentials are ASCII (apiToken), so btoa can take them. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${btoa(`${user}:${password}`)}`;
}
