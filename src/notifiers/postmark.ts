// Postmark (postmarkapp.com/developer/user-guide/send-email-with-api): the alert as an email
// through POST /email with a server's API token. Postmark has no idempotency key.
import { z } from 'zod';
import { deliver, jsonRequest, parseJson } from './classify.ts';
import { apiToken, emailApiFields, emailContent, mailbox, providerResult } from './email-api.ts';
import type { HttpResponse } from './http.ts';
import type { Notifier, SendResult } from './notifier.ts';

export const POSTMARK_API = 'https://api.postmarkapp.com';

export const postmarkConfigSchema = z
  .object({
    /** the Server API token (API Tokens tab of the server) */
    server_token: apiToken(),
    ...emailApiFields(POSTMARK_API),
    /** a transactional message stream's ID; Postmark's default is "outbound" */
    message_stream: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be the ID of a message stream, e.g. outbound')
      .optional(),
  })
  .strict();

export type PostmarkConfig = z.output<typeof postmarkConfigSchema>;

export const postmark: Notifier<PostmarkConfig> = {
  kind: 'postmark',
  configSchema: postmarkConfigSchema,
  secretFields: ['server_token'],

  async send(payload, config, { http }) {
    const content = emailContent(payload, config.subject_prefix);
    const body: Record<string, unknown> = {
      From: mailbox(config),
      To: config.to.join(', '),
      Subject: content.subject,
      TextBody: content.text,
      HtmlBody: content.html,
      Headers: Object.entries(content.headers).map(([Name, Value]) => ({ Name, Value })),
    };
    if (config.message_stream !== undefined) body.MessageStream = config.message_stream;
    const headers = { Accept: 'application/json', 'X-Postmark-Server-Token': config.server_token };
    return deliver(http, `${config.api_url}/email`, jsonRequest(body, headers), readAnswer);
  },
};

/**
 * 200 `{ MessageID, ErrorCode: 0, Message: "OK" }`. A request Postmark will not send (an
 * unverified sender signature, an inactive recipient) is 422 `{ ErrorCode, Message }`; a bad
 * token 401. Both are failed with Postmark's message; 429 and 5xx are retried.
 */
function readAnswer(res: HttpResponse): SendResult {
  const answer = parseJson(res) as
    | { MessageID?: unknown; ErrorCode?: unknown; Message?: unknown }
    | undefined;
  const fields = typeof answer === 'object' && answer !== null ? answer : {};
  const message = typeof fields.Message === 'string' ? fields.Message : undefined;
  const code = typeof fields.ErrorCode === 'number' ? fields.ErrorCode : undefined;
  if (res.status >= 200 && res.status < 300) {
    // a 200 always carries ErrorCode 0; anything else would be a refusal
    if (code !== undefined && code !== 0)
      return { outcome: 'failed', error: `Postmark: ${message ?? 'refused'} (ErrorCode ${code})` };
    return typeof fields.MessageID === 'string'
      ? { outcome: 'delivered', detail: `message ${fields.MessageID}` }
      : { outcome: 'delivered', detail: `HTTP ${res.status}` };
  }
  const words =
    message === undefined ? undefined : code === undefined ? message : `${message} (ErrorCode ${code})`;
  return providerResult(res, 'Postmark', words);
}
