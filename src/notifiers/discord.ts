// Discord webhooks: one embed per alert. `?wait=true` makes Discord answer with the created
// message or an error instead of a bare 204, so a bad embed is reported rather than lost.
import { z } from 'zod';
import { classifyResponse, deliver, jsonRequest, parseJson } from './classify.ts';
import { httpUrl } from './fields.ts';
import type { HttpResponse } from './http.ts';
import { type AlertMessage, defuseFences, describeAlert, tail, truncate } from './message.ts';
import type { Notifier, SendResult } from './notifier.ts';

/** Discord's embed limits (Message resource → Embed limits), in characters. */
export const EMBED_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  /** title, description, field names and values, footer text and author name together */
  total: 6000,
} as const;

const SUMMARY_CHARS = 1000;
// facts are one-liners; holding them far below Discord's 1,024 leaves the description its room
const FACT_CHARS = 256;
const FOOTER = 'vigil';
const BODY_HEADING = '**Last ping body (tail):**';
// /api/webhooks/{id}/{token}, optionally versioned (/api/v10/…); any host, for proxies and tests
const WEBHOOK_PATH = /\/api\/(v\d+\/)?webhooks\/\d+\/[\w-]+\/?$/;

export const discordConfigSchema = z
  .object({
    webhook_url: httpUrl().refine(
      (url) => !URL.canParse(url) || WEBHOOK_PATH.test(new URL(url).pathname),
      'must be a Discord webhook URL (https://discord.com/api/webhooks/{id}/{token})',
    ),
    /** overrides the webhook's name; Discord refuses names containing "discord" or "clyde" */
    username: z
      .string()
      .min(1)
      .max(80)
      .refine(
        (name) => !/discord|clyde/i.test(name),
        'must not contain "discord" or "clyde" (Discord refuses it)',
      )
      .optional(),
  })
  .strict();

export type DiscordConfig = z.output<typeof discordConfigSchema>;

export interface DiscordEmbed {
  title: string;
  description: string;
  url: string;
  color: number;
  fields: { name: string; value: string; inline: boolean }[];
  timestamp: string;
  footer: { text: string };
}

export const discord: Notifier<DiscordConfig> = {
  kind: 'discord',
  configSchema: discordConfigSchema,
  secretFields: [],
  urlFields: ['webhook_url'],

  async send(payload, config, { http }) {
    const url = new URL(config.webhook_url);
    url.searchParams.set('wait', 'true');
    const body = {
      ...(config.username !== undefined && { username: config.username }),
      embeds: [alertEmbed(describeAlert(payload), payload.flip.at)],
      // embeds cannot ping anyone, but a check name must never become an @everyone
      allowed_mentions: { parse: [] },
    };
    return deliver(http, url.href, jsonRequest(body), inspectAnswer);
  },
};

/** The alert as an embed within every one of Discord's limits; the body tail gives way first. */
export function alertEmbed(m: AlertMessage, flipAt: string): DiscordEmbed {
  const title = truncate(m.title, EMBED_LIMITS.title);
  const fields = m.facts.slice(0, EMBED_LIMITS.fields).map((fact) => ({
    name: truncate(fact.label, EMBED_LIMITS.fieldName),
    value: truncate(fact.value, FACT_CHARS) || '-',
    inline: true,
  }));
  const fixed = title.length + FOOTER.length + fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
  const room = Math.min(EMBED_LIMITS.description, EMBED_LIMITS.total - fixed);
  const summary = truncate(m.summary, Math.min(SUMMARY_CHARS, room));
  let description = summary;
  if (m.bodyTail !== null) {
    // heading, fence and line breaks around the tail
    const bodyRoom = room - summary.length - BODY_HEADING.length - 12;
    if (bodyRoom >= 20) {
      description += `\n\n${BODY_HEADING}\n\`\`\`\n${tail(defuseFences(m.bodyTail), bodyRoom)}\n\`\`\``;
    }
  }
  return {
    title,
    description,
    url: m.link,
    color: m.colorInt,
    fields,
    timestamp: flipAt,
    footer: { text: FOOTER },
  };
}

/** `text` with every ``` broken by zero-width spaces, so it cannot close the code block early. */
/** Errors are {"message": "Unknown Webhook", "code": 10015}; 429s carry `retry_after` in seconds. */
function inspectAnswer(res: HttpResponse): SendResult {
  const result = classifyResponse(res);
  if (result.outcome === 'delivered') return result;
  const answer = parseJson(res) as { message?: unknown; code?: unknown; retry_after?: unknown } | undefined;
  let error = `Discord: ${result.error}`;
  if (typeof answer?.message === 'string') {
    const code = typeof answer.code === 'number' ? `code ${answer.code}, ` : '';
    error = `Discord: ${answer.message} (${code}HTTP ${res.status})`;
  }
  if (result.outcome === 'retry' && typeof answer?.retry_after === 'number' && answer.retry_after >= 0) {
    // finer than the Retry-After header, which is whole seconds
    return { outcome: 'retry', error, retryAfterMs: Math.ceil(answer.retry_after * 1000) };
  }
  return { ...result, error };
}
