// Rocket.Chat incoming webhooks: Slack-compatible JSON (Rocket.Chat maps `username` to the
// message alias and `icon_url` to its avatar), so the alert is Slack's attachment, as for Mattermost.
import { z } from 'zod';
import { classifyResponse, deliver, jsonRequest, parseJson } from './classify.ts';
import { httpUrl } from './fields.ts';
import type { HttpResponse } from './http.ts';
import { defuseMentions, hooksUrl, slackCompatibleBody } from './mattermost.ts';
import type { Notifier, SendResult } from './notifier.ts';
import type { AttachmentStyle } from './slack.ts';

// Rocket.Chat reads an attachment's `ts` as a date, not Slack's epoch seconds: left out
const STYLE: AttachmentStyle = { escapeText: defuseMentions, timestamp: false };

export const rocketchatConfigSchema = z
  .object({
    webhook_url: hooksUrl('https://chat.example.com/hooks/{integration id}/{token}'),
    /** #channel or @user; the integration must allow overriding the destination channel */
    channel: z
      .string()
      .max(100)
      .regex(/^[#@][^\s]+$/, 'must be #channel or @username')
      .optional(),
    /** shown as the sender's name (Rocket.Chat's alias) */
    username: z.string().min(1).max(64).optional(),
    /** the sender's picture (Rocket.Chat's avatar) */
    icon_url: httpUrl().optional(),
  })
  .strict();

export type RocketchatConfig = z.output<typeof rocketchatConfigSchema>;

export const rocketchat: Notifier<RocketchatConfig> = {
  kind: 'rocketchat',
  configSchema: rocketchatConfigSchema,
  secretFields: [],
  urlFields: ['webhook_url'],

  async send(payload, config, { http }) {
    return deliver(
      http,
      config.webhook_url,
      jsonRequest(slackCompatibleBody(payload, config, STYLE)),
      inspectAnswer,
    );
  },
};

/** Answers are {"success": true} or {"success": false, "error": "…"} (400). */
function inspectAnswer(res: HttpResponse): SendResult {
  const answer = parseJson(res) as { success?: unknown; error?: unknown; message?: unknown } | undefined;
  const said = [answer?.error, answer?.message].find((value): value is string => typeof value === 'string');
  const result = classifyResponse(res);
  if (result.outcome === 'delivered') {
    // Rocket.Chat itself refuses with 400, but a 200 saying success: false is no delivery either
    return answer?.success === false
      ? { outcome: 'failed', error: `Rocket.Chat: ${said ?? 'the webhook refused the message'}` }
      : result;
  }
  return {
    ...result,
    error: `Rocket.Chat: ${said === undefined ? result.error : `${said} (HTTP ${res.status})`}`,
  };
}
