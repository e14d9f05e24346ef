// Resend (resend.com/docs/api-reference/emails/send-email): the alert as an email through
// POST /emails, one request per alert, made idempotent by the delivery id so a retry after a
// timeout sends one email, not two.
import { z } from 'zod';
import { deliver, jsonRequest, parseJson } from './classify.ts';
import { apiToken, emailApiFields, emailContent, mailbox, providerResult } from './email-api.ts';
import type { HttpResponse } from './http.ts';
import type { Notifier, SendResult } from './notifier.ts';

export const RESEND_API = 'https://api.resend.com';

export const resendConfigSchema = z
  .object({
    /** an API key (re_…), "Sending access" is enough */
    api_key: apiToken(),
    ...emailApiFields(RESEND_API),
  })
  .strict();

export type ResendConfig = z.output<typeof resendConfigSchema>;

export const resend: Notifier<ResendConfig> = {
  kind: 'resend',
  configSchema: resendConfigSchema,
  secretFields: ['api_key'],

  async send(payload, config, { http, deliveryId }) {
    const content = emailContent(payload, config.subject_prefix);
    const body = {
      from: mailbox(config),
      to: config.to,
      subject: content.subject,
      text: content.text,
      html: content.html,
      headers: content.headers,
    };
    const headers: Record<string, string> = { Authorization: `Bearer ${config.api_key}` };
    // Resend keeps a key for 24 hours and answers a repeat with the first answer, sending nothing
    if (deliveryId !== undefined) headers['Idempotency-Key'] = `vigil-${deliveryId}`;
    return deliver(http, `${config.api_url}/emails`, jsonRequest(body, headers), readAnswer);
  },
};

/**
 * 200 `{ id }`; errors are `{ statusCode, name, message }` (validation_error,
 * invalid_api_key, rate_limit_exceeded, …). 409 concurrent_idempotent_requests means the
 * first attempt with this key is still being sent: ask again later, it will answer for it.
 */
function readAnswer(res: HttpResponse): SendResult {
  const answer = parseJson(res) as { id?: unknown; name?: unknown; message?: unknown } | undefined;
  const fields = typeof answer === 'object' && answer !== null ? answer : {};
  if (res.status >= 200 && res.status < 300) {
    return typeof fields.id === 'string'
      ? { outcome: 'delivered', detail: `email ${fields.id}` }
      : { outcome: 'delivered', detail: `HTTP ${res.status}` };
  }
  const name = typeof fields.name === 'string' ? fields.name : undefined;
  const message = typeof fields.message === 'string' ? fields.message : undefined;
  const words = message === undefined ? name : name === undefined ? message : `${name}: ${message}`;
  const result = providerResult(res, 'Resend', words);
  if (res.status === 409 && name === 'concurrent_idempotent_requests' && result.outcome === 'failed')
    return { outcome: 'retry', error: result.error };
  return result;
}
