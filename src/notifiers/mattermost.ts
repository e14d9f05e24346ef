// Mattermost incoming webhooks: Slack-compatible JSON, so the alert is Slack's attachment,
// without Slack's entity escaping (Mattermost would show &amp; literally inside code blocks).
import { z } from 'zod';
import { classifyResponse, deliver, jsonRequest, parseJson } from './classify.ts';
import { httpUrl } from './fields.ts';
import type { HttpResponse } from './http.ts';
import { describeAlert, truncate } from './message.ts';
import type { AlertPayload, Notifier, SendResult } from './notifier.ts';
import { type AttachmentStyle, alertAttachment } from './slack.ts';

const STYLE: AttachmentStyle = { escapeText: defuseMentions, timestamp: true };
const TITLE_CHARS = 250;

/** A URL whose path has /hooks/ in it, as every Slack-style incoming webhook of a chat server does. */
export function hooksUrl(example: string) {
  return httpUrl().refine(
    (url) => !URL.canParse(url) || new URL(url).pathname.includes('/hooks/'),
    `must be the incoming webhook URL (${example})`,
  );
}

/**
 * `text` unable to notify a whole channel: a check named "@channel" (or Slack's "<!channel>",
 * which these servers translate) would otherwise page everyone. A zero-width space after the @
 * or < breaks the mention and looks the same.
 */
export function defuseMentions(text: string): string {
  return text.replace(/@(?=(channel|here|all|everyone)\b)/gi, '@\u200b').replace(/<!/g, '<\u200b!');
}

export const mattermostConfigSchema = z
  .object({
    webhook_url: hooksUrl('https://mattermost.example.com/hooks/xxx-generatedkey-xxx'),
    /** a channel's name as in its URL (town-square), or @username for a direct message */
    channel: z
      .string()
      .max(64)
      .regex(
        /^@?[a-z0-9][a-z0-9._-]*$/,
        'must be the channel name from its URL (e.g. town-square) or @username, not #name or the display name',
      )
      .optional(),
    /** shown as the sender; the server must allow integrations to override usernames */
    username: z.string().min(1).max(64).optional(),
    /** the sender's picture; the server must allow integrations to override profile pictures */
    icon_url: httpUrl().optional(),
  })
  .strict();

export type MattermostConfig = z.output<typeof mattermostConfigSchema>;

export const mattermost: Notifier<MattermostConfig> = {
  kind: 'mattermost',
  configSchema: mattermostConfigSchema,
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

/**
 * The body of a Slack-compatible incoming webhook (Mattermost, Rocket.Chat): a title line that
 * cannot mention a whole channel, the optional sender and destination overrides, and Slack's
 * attachment.
 */
export function slackCompatibleBody(
  payload: AlertPayload,
  config: { channel?: string; username?: string; icon_url?: string },
  style: AttachmentStyle,
) {
  const message = describeAlert(payload);
  return {
    text: defuseMentions(truncate(message.title, TITLE_CHARS)),
    ...(config.channel !== undefined && { channel: config.channel }),
    ...(config.username !== undefined && { username: config.username }),
    ...(config.icon_url !== undefined && { icon_url: config.icon_url }),
    attachments: [alertAttachment(message, payload.flip.at, style)],
  };
}

/** Errors come as {"id": "web.incoming_webhook.invalid.app_error", "message": "Invalid webhook."}. */
function inspectAnswer(res: HttpResponse): SendResult {
  const result = classifyResponse(res);
  if (result.outcome === 'delivered') return result;
  const answer = parseJson(res) as { id?: unknown; message?: unknown } | undefined;
  if (typeof answer?.message !== 'string') return { ...result, error: `Mattermost: ${result.error}` };
  const id = typeof answer.id === 'string' ? `${answer.id}, ` : '';
  return { ...result, error: `Mattermost: ${answer.message} (${id}HTTP ${res.status})` };
}
