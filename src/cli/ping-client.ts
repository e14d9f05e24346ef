// Pings from the job side (`vigil run`, `vigil ping`): which URL a check answers on, and one
// ping sent with a short retry. A job must never fail because vigil is away, so nothing here
// throws once the target is known: the result says what happened.
import { randomUUID } from 'node:crypto';
import { UUID_PATTERN } from '../core/ids.ts';
import { SLUG_PATTERN } from '../core/slug.ts';
import type { ClientConfig } from './client-config.ts';
import { CliError } from './io.ts';

export type PingAction = 'success' | 'start' | 'fail' | 'log' | number;

export interface PingTarget {
  /** the ping URL without an action; holds the ping key when addressed by slug */
  url: string;
  /** the same URL with the ping key masked, for messages */
  label: string;
}

/** A check named by UUID pings /ping/<uuid>; by slug, /ping/<ping-key>/<slug>. */
export function pingTarget(check: string, config: ClientConfig): PingTarget {
  if (UUID_PATTERN.test(check)) {
    const url = `${config.url}/ping/${check.toLowerCase()}`;
    return { url, label: url };
  }
  if (!SLUG_PATTERN.test(check)) {
    throw new CliError(
      `"${check}" is neither a check UUID nor a slug (lowercase letters, digits, - _ . /)`,
      2,
    );
  }
  if (!config.pingKey) {
    throw new CliError(
      `pinging by slug needs the project's ping key: set VIGIL_PING_KEY, or "ping_key" in the config file (or VIGIL_API_KEY to look the slug up, or use the check's UUID)`,
      78,
    );
  }
  const path = check.split('/').map(encodeURIComponent).join('/');
  return {
    url: `${config.url}/ping/${encodeURIComponent(config.pingKey)}/${path}`,
    label: `${config.url}/ping/<ping-key>/${path}`,
  };
}

/**
 * Like pingTarget, but a slug without a ping key is looked up with the API key instead
 * (GET /api/v1/checks?slug=), so either key works. Throws CliError when neither is set, the
 * slug is unknown, or vigil cannot be asked.
 */
export async function resolvePingTarget(
  check: string,
  config: ClientConfig,
  fetchImpl: typeof fetch = fetch,
): Promise<PingTarget> {
  if (UUID_PATTERN.test(check) || config.pingKey || !config.apiKey || !SLUG_PATTERN.test(check)) {
    return pingTarget(check, config);
  }
  let res: Response;
  try {
    res = await fetchImpl(`${config.url}/api/v1/checks?slug=${encodeURIComponent(check)}`, {
      headers: { Authorization: `Bearer ${config.apiKey}`, 'User-Agent': USER_AGENT },
      signal: AbortSignal.timeout(5000),
    });
  } catch (err) {
    throw new CliError(`cannot look up check "${check}" at ${config.url}: ${(err as Error).message}`, 69);
  }
  if (!res.ok)
    throw new CliError(`cannot look up check "${check}": HTTP ${res.status}`, res.status === 401 ? 77 : 1);
  const found = ((await res.json()) as { checks?: { id: string }[] }).checks?.[0];
  if (!found) throw new CliError(`no check with slug "${check}" in the API key's project`, 1);
  return pingTarget(found.id, config);
}

/** `--rid auto` is a fresh UUID; any other value must already be one (the server says so too). */
export function runId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === 'auto') return randomUUID();
  if (!UUID_PATTERN.test(value)) throw new CliError(`--rid: use "auto" or a UUID, got "${value}"`, 2);
  return value.toLowerCase();
}

export type PingResult = { ok: true; status: number } | { ok: false; status: number | null; why: string };

export interface PingOptions {
  rid?: string;
  body?: string;
  /** waits before each retry; the default is 200 ms, 1 s, 3 s */
  backoffMs?: readonly number[];
  /** each request's own limit */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export const DEFAULT_BACKOFF_MS = [200, 1000, 3000] as const;
const USER_AGENT = 'vigil-cli/0.1.0';

function actionUrl(target: PingTarget, action: PingAction, rid: string | undefined): string {
  const suffix = action === 'success' ? '' : `/${action}`;
  return `${target.url}${suffix}${rid ? `?rid=${rid}` : ''}`;
}

/** Tells what an action is called in messages: "start", "exit status 3". */
export function describeAction(action: PingAction): string {
  return typeof action === 'number' ? `exit status ${action}` : action;
}

/**
 * Sends one ping. Network errors, timeouts, 5xx and 429 answers are retried after each backoff
 * step (after a 429, at least its Retry-After, up to 10 s); any other 4xx is final at once (an
 * unknown check does not appear by waiting).
 */
export async function sendPing(
  target: PingTarget,
  action: PingAction,
  opts: PingOptions = {},
): Promise<PingResult> {
  const doFetch = opts.fetch ?? fetch;
  const backoff = opts.backoffMs ?? DEFAULT_BACKOFF_MS;
  const url = actionUrl(target, action, opts.rid);
  let last: PingResult = { ok: false, status: null, why: 'not sent' };
  let retryAfterMs = 0;
  for (let attempt = 0; attempt <= backoff.length; attempt++) {
    if (attempt > 0) {
      const wait = Math.max(backoff[attempt - 1]!, retryAfterMs);
      await new Promise((r) => setTimeout(r, wait));
    }
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: {
          'User-Agent': USER_AGENT,
          'Content-Type': 'text/plain; charset=utf-8',
          // our clock, so vigil can show how far it is from its own (it never trusts it)
          'X-Vigil-Client-Time': String(Date.now()),
        },
        body: opts.body ?? '',
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
      });
      const text = (await res.text()).trim().slice(0, 200);
      if (res.ok) return { ok: true, status: res.status };
      last = { ok: false, status: res.status, why: `HTTP ${res.status}${text ? ` ${text}` : ''}` };
      if (res.status === 429) {
        const seconds = Number(res.headers.get('retry-after'));
        retryAfterMs = Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), 10) * 1000 : 0;
      } else if (res.status < 500) return last;
    } catch (err) {
      last = { ok: false, status: null, why: reason(err) };
    }
  }
  return last;
}

/** fetch hides the useful part ("ECONNREFUSED") in `cause`. */
function reason(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'no answer within the timeout';
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

/** The one line printed when a ping is given up; never shows the ping key. */
export function giveUpLine(what: string, target: PingTarget, why: string): string {
  return `vigil: could not report ${what} to ${target.label}: ${why}\n`;
}
