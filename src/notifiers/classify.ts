// Turning what came back from a provider into a SendResult (STYLE habit 6): temporary trouble
// is retried, permanent trouble marks the channel broken with a message the operator can act on.
import { type HttpClient, HttpError, type HttpRequestInit, type HttpResponse } from './http.ts';
import type { SendResult } from './notifier.ts';

const SNIPPET_CHARS = 200;

export interface ClassifyOptions {
  /** epoch ms, for Retry-After given as an HTTP-date (default: Date.now()) */
  now?: number;
}

/**
 * 2xx delivered; 408, 425, 429 and 5xx retry (with the provider's Retry-After when it sent
 * one); every other status (400, 401, 403, 404, 410, unfollowed 3xx, ...) failed, with the
 * status and the start of the provider's body, which usually says what is wrong.
 */
export function classifyResponse(res: HttpResponse, opts: ClassifyOptions = {}): SendResult {
  const { status } = res;
  if (status >= 200 && status < 300) return { outcome: 'delivered', detail: `HTTP ${status}` };
  const error = describeStatus(res);
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), opts.now ?? Date.now());
    return retryAfterMs === undefined
      ? { outcome: 'retry', error }
      : { outcome: 'retry', error, retryAfterMs };
  }
  return { outcome: 'failed', error };
}

/**
 * A failure below HTTP as a SendResult: timeouts and network errors are worth retrying, a
 * refused address or a bad URL will not fix itself. Anything else is a bug and is rethrown,
 * for the dispatcher to record against the notification.
 */
export function resultFromHttpError(err: unknown): SendResult {
  if (!(err instanceof HttpError)) throw err;
  return err.kind === 'timeout' || err.kind === 'network'
    ? { outcome: 'retry', error: err.message }
    : { outcome: 'failed', error: err.message };
}

/** Retry-After as delay-seconds or an HTTP-date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  // delay-seconds; some providers send fractions ("1.5"), which Date.parse would read as a year
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function describeStatus(res: HttpResponse): string {
  const snippet = res.text.replace(/\s+/g, ' ').trim();
  if (snippet === '') return `HTTP ${res.status} (empty body)`;
  const cut = snippet.length > SNIPPET_CHARS ? `${snippet.slice(0, SNIPPET_CHARS)}…` : snippet;
  return `HTTP ${res.status}: ${cut}`;
}

/**
 * One request to a provider, its answer turned into a SendResult. `inspect` reads what the
 * status alone cannot tell (Slack and Telegram answer 200 with `"ok": false`); when it returns
 * undefined, the status decides.
 */
export async function deliver(
  http: HttpClient,
  url: string,
  init: HttpRequestInit,
  inspect?: (res: HttpResponse) => SendResult | undefined,
): Promise<SendResult> {
  let res: HttpResponse;
  try {
    res = await http.request(url, init);
  } catch (err) {
    return resultFromHttpError(err);
  }
  return inspect?.(res) ?? classifyResponse(res);
}

/** A JSON request: the body serialised, Content-Type set, `headers` added. */
export function jsonRequest(
  body: unknown,
  headers: Record<string, string> = {},
  method = 'POST',
): HttpRequestInit {
  return { method, headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

/** The body parsed as JSON, or undefined when it is not JSON (or was cut short). */
export function parseJson(res: HttpResponse): unknown {
  if (res.truncated) return undefined;
  try {
    return JSON.parse(res.text);
  } catch {
    return undefined;
  }
}
