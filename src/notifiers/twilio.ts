// The Twilio SMS channel: a short text (title, reason, link) to one or more phone numbers,
// one Messages API request per number.
import { z } from 'zod';
import { classifyResponse, parseJson, resultFromHttpError } from './classify.ts';
import { baseUrl, secret } from './fields.ts';
import type { HttpClient, HttpResponse } from './http.ts';
import { type AlertMessage, describeAlert, truncate } from './message.ts';
import type { Notifier, SendResult } from './notifier.ts';

/** Twilio accepts 1600 characters, but recommends staying under 320 (two concatenated
 * segments) for deliverability; alerts are cut to that, the link is never cut. */
export const SMS_MAX_CHARS = 320;
const TWILIO_MAX_CHARS = 1600;
const MAX_RECIPIENTS = 10;

const E164 = /^\+[1-9]\d{5,14}$/;
// an alphanumeric sender ID: up to 11 letters, digits and spaces, at least one letter
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

const phoneNumber = z.string().regex(E164, 'must be a phone number in E.164 format, e.g. +14155550100');

function sid(prefix: string, what: string) {
  return z
    .string()
    .regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`), `must be ${what}: "${prefix}" and 32 hex characters`);
}

export const twilioConfigSchema = z
  .object({
    account_sid: sid('AC', 'an Account SID'),
    /** the account's auth token; or an API key below */
    auth_token: secret(128).optional(),
    api_key_sid: sid('SK', 'an API key SID').optional(),
    api_key_secret: secret(128).optional(),
    from: z
      .string()
      .refine(
        (from) => E164.test(from) || ALPHANUMERIC_SENDER.test(from),
        'must be a phone number in E.164 format (+14155550100) or an alphanumeric sender ID of up to 11 characters',
      )
      .optional(),
    messaging_service_sid: sid('MG', 'a Messaging Service SID').optional(),
    // one number or a list; stored as a list
    to: z
      .union([phoneNumber, z.array(phoneNumber).min(1).max(MAX_RECIPIENTS)])
      .transform((to) => (typeof to === 'string' ? [to] : to))
      .refine((to) => new Set(to).size === to.length, 'must not list a number twice'),
    api_url: baseUrl('https://api.twilio.com'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.from === undefined) === (c.messaging_service_sid === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'set either from or messaging_service_sid' });
    }
    if ((c.api_key_sid === undefined) !== (c.api_key_secret === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.api_key_sid === undefined ? 'api_key_sid' : 'api_key_secret'],
        message: 'api_key_sid and api_key_secret go together',
      });
    }
    if ((c.auth_token === undefined) === (c.api_key_sid === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth_token'],
        message: 'set either auth_token or an API key (api_key_sid and api_key_secret)',
      });
    }
  });

export type TwilioConfig = z.output<typeof twilioConfigSchema>;

export const twilio: Notifier<TwilioConfig> = {
  kind: 'twilio',
  configSchema: twilioConfigSchema,
  secretFields: ['auth_token', 'api_key_secret'],

  async send(payload, config, { http, deliveryId }) {
    const body = smsBody(describeAlert(payload));
    const url = `${config.api_url}/2010-04-01/Accounts/${config.account_sid}/Messages.json`;
    const user = config.api_key_sid ?? config.account_sid;
    const password = config.api_key_secret ?? config.auth_token ?? '';
    const headers = {
      Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    };
    const sender: Record<string, string> =
      config.messaging_service_sid !== undefined
        ? { MessagingServiceSid: config.messaging_service_sid }
        : { From: config.from ?? '' };

    const done =
      deliveryId === undefined
        ? new Set<string>()
        : reachedFor(`${config.account_sid}:${Object.values(sender)[0]}:${deliveryId}`);
    const sent: string[] = [];
    const failed: string[] = [];
    const retry: string[] = [];
    let retryAfterMs: number | undefined;
    for (const to of config.to) {
      if (done.has(to)) continue;
      const form = new URLSearchParams({ To: to, ...sender, Body: body }).toString();
      const { result, stop } = await sendOne(http, url, { method: 'POST', headers, body: form });
      if (result.outcome === 'delivered') {
        done.add(to);
        sent.push(`${to}${result.detail ? ` (${result.detail})` : ''}`);
      } else if (result.outcome === 'failed') {
        failed.push(`${to}: ${result.error}`);
      } else {
        retry.push(`${to}: ${result.error}`);
        if (result.retryAfterMs !== undefined)
          retryAfterMs = Math.max(retryAfterMs ?? 0, result.retryAfterMs);
      }
      // an answer about the account (credentials, rate limit) or none at all would be the same
      // for every number; only answers about one number (400) let the round go on
      if (stop) break;
    }

    const reached = config.to.filter((to) => done.has(to));
    const note =
      reached.length > 0 && reached.length < config.to.length ? ` (sent to ${reached.join(', ')})` : '';
    if (retry.length > 0) {
      const error = `${[...retry, ...failed].join('; ')}${note}`;
      return retryAfterMs === undefined
        ? { outcome: 'retry', error }
        : { outcome: 'retry', error, retryAfterMs };
    }
    if (failed.length > 0) return { outcome: 'failed', error: `${failed.join('; ')}${note}` };
    return { outcome: 'delivered', detail: sent.length > 0 ? `sent to ${sent.join(', ')}` : 'already sent' };
  },
};

/** One Messages API request; `stop` when its answer was not about this one number. */
async function sendOne(
  http: HttpClient,
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
): Promise<{ result: SendResult; stop: boolean }> {
  let res: HttpResponse;
  try {
    res = await http.request(url, init);
  } catch (err) {
    return { result: resultFromHttpError(err), stop: true };
  }
  const result = classify(res);
  return { result, stop: result.outcome !== 'delivered' && res.status !== 400 };
}

/** Twilio errors are `{ code, message, more_info, status }`: the code and message say what to fix. */
function classify(res: HttpResponse): SendResult {
  const result = classifyResponse(res);
  const body = parseJson(res) as Record<string, unknown> | undefined;
  if (result.outcome === 'delivered') {
    return typeof body?.sid === 'string' ? { outcome: 'delivered', detail: body.sid } : result;
  }
  if (typeof body?.message !== 'string') return result;
  const code = typeof body.code === 'number' || typeof body.code === 'string' ? ` ${body.code}` : '';
  const more = typeof body.more_info === 'string' ? ` (${body.more_info})` : '';
  const error = `HTTP ${res.status}, Twilio error${code}: ${body.message}${more}`;
  return { ...result, error };
}

/** The SMS text: title, reason, how long it was down (recoveries) and the link, within
 * SMS_MAX_CHARS. The reason is cut first, then the title; the link never is. */
export function smsBody(m: AlertMessage): string {
  const downFor = m.facts.find((f) => f.label === 'Down for');
  const tailLines = [...(downFor ? [`${downFor.label}: ${downFor.value}`] : []), m.link];
  const fixed = tailLines.join('\n').length;
  const title = truncate(m.title, Math.max(40, Math.min(160, SMS_MAX_CHARS - fixed - 1)));
  const room = SMS_MAX_CHARS - fixed - title.length - 2;
  const lines = room >= 20 ? [title, truncate(m.summary, room), ...tailLines] : [title, ...tailLines];
  return truncate(lines.join('\n'), TWILIO_MAX_CHARS);
}

// Numbers already reached per delivery, so a retry after a partial round (one number answered
// 503) does not text the others again. In memory: after a restart a retry may send a duplicate,
// which beats a missed alert. Bounded, oldest first out; a day outlives any retry schedule.
const REACHED_TTL_MS = 24 * 60 * 60 * 1000;
const REACHED_MAX = 1000;
const reachedByDelivery = new Map<string, { numbers: Set<string>; at: number }>();

function reachedFor(key: string): Set<string> {
  const now = Date.now();
  for (const [id, entry] of reachedByDelivery) {
    if (reachedByDelivery.size <= REACHED_MAX && now - entry.at < REACHED_TTL_MS) break;
    reachedByDelivery.delete(id);
  }
  let entry = reachedByDelivery.get(key);
  if (entry === undefined) {
    entry = { numbers: new Set(), at: now };
    reachedByDelivery.set(key, entry);
  }
  return entry.numbers;
}
