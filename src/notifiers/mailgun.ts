// Mailgun (documentation.mailgun.com, "Send an email": POST /v3/{domain}/messages): the alert
// as an email from one of the account's sending domains, as multipart/form-data with Basic
// auth "api:<key>". EU domains use https://api.eu.mailgun.net. Mailgun has no idempotency key.
import { z } from 'zod';
import { deliver, parseJson } from './classify.ts';
import { apiToken, basicAuth, emailApiFields, emailContent, mailbox, providerResult } from './email-api.ts';
import type { HttpRequestInit, HttpResponse } from './http.ts';
import type { Notifier, SendResult } from './notifier.ts';

export const MAILGUN_API = 'https://api.mailgun.net';

const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export const mailgunConfigSchema = z
  .object({
    /** a Domain Sending Key or the account's private API key */
    api_key: apiToken(),
    /** the sending domain as set up in Mailgun, e.g. mg.example.com */
    domain: z.string().regex(DOMAIN, 'must be a sending domain name like mg.example.com'),
    ...emailApiFields(MAILGUN_API),
  })
  .strict();

export type MailgunConfig = z.output<typeof mailgunConfigSchema>;

export const mailgun: Notifier<MailgunConfig> = {
  kind: 'mailgun',
  configSchema: mailgunConfigSchema,
  secretFields: ['api_key'],

  async send(payload, config, { http }) {
    const content = emailContent(payload, config.subject_prefix);
    const fields: [string, string][] = [
      ['from', mailbox(config)],
      ...config.to.map((to): [string, string] => ['to', to]),
      ['subject', content.subject],
      ['text', content.text],
      ['html', content.html],
      // "h:" adds a header to the message
      ...Object.entries(content.headers).map(([name, value]): [string, string] => [`h:${name}`, value]),
    ];
    const url = `${config.api_url}/v3/${encodeURIComponent(config.domain)}/messages`;
    const init = multipart(fields, { Authorization: basicAuth('api', config.api_key) });
    return deliver(http, url, init, readAnswer);
  },
};

/**
 * The fields as multipart/form-data, the body the API reference documents. Built as a string
 * (the outbound helper re-sends string bodies on a redirect); the boundary is random, so no
 * alert text can contain it.
 */
function multipart(fields: [string, string][], headers: Record<string, string>): HttpRequestInit {
  const boundary = `vigil-${crypto.randomUUID()}`;
  const parts = fields.map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return {
    method: 'POST',
    headers: { ...headers, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
    body: `${parts.join('')}--${boundary}--\r\n`,
  };
}

/**
 * 200 `{ id, message: "Queued. Thank you." }`. Errors: 400 `{ message }` saying what is wrong,
 * 401/403 a bad key (sometimes the plain text "Forbidden"), 404 a domain not in the account
 * or in the other region; 429 and 5xx are retried.
 */
function readAnswer(res: HttpResponse): SendResult {
  const answer = parseJson(res) as { id?: unknown; message?: unknown } | undefined;
  const fields = typeof answer === 'object' && answer !== null ? answer : {};
  if (res.status >= 200 && res.status < 300) {
    return typeof fields.id === 'string'
      ? { outcome: 'delivered', detail: `message ${fields.id}` }
      : { outcome: 'delivered', detail: `HTTP ${res.status}` };
  }
  const words =
    typeof fields.message === 'string' ? fields.message : answer === undefined ? res.text : undefined;
  const hint = res.status === 404 ? '; check the domain, and api_url for an EU domain' : '';
  const result = providerResult(res, 'Mailgun', words);
  return result.outcome === 'delivered' ? result : { ...result, error: `${result.error}${hint}` };
}
