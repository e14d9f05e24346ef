// SendGrid (twilio.com/docs/sendgrid/api-reference/mail-send/mail-send): the alert as an email
// through POST /v3/mail/send. SendGrid has no idempotency key.
import { z } from 'zod';
import { deliver, jsonRequest, parseJson } from './classify.ts';
import { apiToken, emailApiFields, emailContent, providerResult } from './email-api.ts';
import type { HttpResponse } from './http.ts';
import type { Notifier, SendResult } from './notifier.ts';

export const SENDGRID_API = 'https://api.sendgrid.com';

export const sendgridConfigSchema = z
  .object({
    /** an API key (SG.…) with the Mail Send permission */
    api_key: apiToken(),
    ...emailApiFields(SENDGRID_API),
  })
  .strict();

export type SendgridConfig = z.output<typeof sendgridConfigSchema>;

export const sendgrid: Notifier<SendgridConfig> = {
  kind: 'sendgrid',
  configSchema: sendgridConfigSchema,
  secretFields: ['api_key'],

  async send(payload, config, { http }) {
    const content = emailContent(payload, config.subject_prefix);
    const body = {
      personalizations: [{ to: config.to.map((email) => ({ email })) }],
      // the name is a field of its own here: nothing to quote
      from:
        config.from_name === undefined
          ? { email: config.from }
          : { email: config.from, name: config.from_name },
      subject: content.subject,
      // SendGrid wants text/plain first, then text/html
      content: [
        { type: 'text/plain', value: content.text },
        { type: 'text/html', value: content.html },
      ],
      headers: content.headers,
    };
    const headers = { Authorization: `Bearer ${config.api_key}` };
    return deliver(http, `${config.api_url}/v3/mail/send`, jsonRequest(body, headers), readAnswer);
  },
};

/**
 * 202 with an empty body and the message's id in X-Message-Id. Errors are
 * `{ errors: [{ message, field, help }] }`: 400 for a bad request, 401 for a bad key, 403 for a
 * sender that is not a verified Sender Identity or a key without Mail Send.
 */
function readAnswer(res: HttpResponse): SendResult {
  if (res.status >= 200 && res.status < 300) {
    const id = res.headers.get('x-message-id');
    return { outcome: 'delivered', detail: id ? `message ${id}` : `HTTP ${res.status}` };
  }
  const answer = parseJson(res) as { errors?: unknown } | undefined;
  const errors =
    typeof answer === 'object' && answer !== null && Array.isArray(answer.errors) ? answer.errors : [];
  const words = errors
    .map((e: { message?: unknown; field?: unknown }) => {
      if (typeof e?.message !== 'string') return undefined;
      return typeof e.field === 'string' && e.field !== '' ? `${e.field}: ${e.message}` : e.message;
    })
    .filter((w): w is string => w !== undefined)
    .join('; ');
  return providerResult(res, 'SendGrid', words === '' ? undefined : words);
}
