// The one outbound HTTP helper (STYLE habit 7). Every notifier talks to the world through it,
// so timeouts, redirect limits, response size limits and the refusal of private addresses are
// decided here once, not per channel. Web fetch only, so it runs wherever the app runs.
import { resolveHost } from './address-guard.ts';
import { isLocalhostName, isPrivateAddress } from './private-address.ts';

export type HttpErrorKind = 'timeout' | 'network' | 'refused-address' | 'bad-url';

/** A failure below HTTP: no response to classify. Messages name the host, never the full URL,
 * because channel URLs often carry tokens in their path or query. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly kind: HttpErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface HttpClientOptions {
  /** whole request: DNS, connect, every redirect hop and reading the body (default 10 s) */
  timeoutMs?: number;
  /** bytes of response body kept; the rest is not read (default 64 KiB) */
  maxResponseBytes?: number;
  /** redirects followed, each hop re-checked (default 3) */
  maxRedirects?: number;
  /** false: a redirect is the answer, not followed (an HTTP probe judges its status itself) */
  followRedirects?: boolean;
  /** let URLs reach loopback/private/link-local addresses (default false) */
  allowPrivateAddresses?: boolean;
  /** hosts exempt from the private-address check: `host` (any port) or `host:port`, e.g. an
   * operator's internal receiver. Checked per hop, so a redirect out of them is still guarded. */
  allowHosts?: readonly string[];
  /** sent when the request sets no User-Agent of its own (default "vigil") */
  userAgent?: string;
  /**
   * The addresses a hostname resolves to, for the private-address check (default: the system
   * resolver, address-guard.ts). null: this runtime does not resolve names, and cannot reach
   * private networks by name anyway (Workers); IP literals are still checked.
   */
  resolveHost?: HostResolver;
}

export type HostResolver = (hostname: string) => Promise<string[] | null>;

export interface HttpRequestInit {
  method?: string;
  headers?: Record<string, string>;
  /** strings and bytes only: a body must be re-sendable on a 307/308 redirect */
  body?: string | Uint8Array;
  /** ends the request early (shutdown); reported like the timeout */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** the body as text, cut at maxResponseBytes */
  text: string;
  /** true when the body was longer than maxResponseBytes */
  truncated: boolean;
}

export interface HttpClient {
  request(url: string, init?: HttpRequestInit): Promise<HttpResponse>;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Why a URL cannot be used for outbound requests, or undefined when it can. Shared with the
 * channel config schemas so a bad URL is refused when saved, not when the first alert fails. */
export function urlProblem(raw: string, base?: URL): string | undefined {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  // fetch refuses them, and a password in a URL would escape secret masking
  if (url.username !== '' || url.password !== '') return 'must not contain credentials; use a header';
  return undefined;
}

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
  const maxRedirects = options.maxRedirects ?? 3;
  const followRedirects = options.followRedirects ?? true;
  const allowPrivate = options.allowPrivateAddresses ?? false;
  const allowHosts = new Set((options.allowHosts ?? []).map((host) => host.toLowerCase()));
  const userAgent = options.userAgent ?? 'vigil';
  const resolve = options.resolveHost ?? resolveHost;

  async function guard(url: URL, signal: AbortSignal): Promise<void> {
    if (allowPrivate || allowHosts.has(url.host) || allowHosts.has(url.hostname)) return;
    if (isLocalhostName(url.hostname)) throw refused(url.hostname, 'loopback');
    let addresses: string[] | null;
    try {
      addresses = await abortable(resolve(url.hostname), signal);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new HttpError('network', `could not resolve ${url.hostname}: ${describeCause(err)}`, {
        cause: err,
      });
    }
    if (addresses === null) return;
    if (addresses.length === 0) throw new HttpError('network', `could not resolve ${url.hostname}`);
    const blocked = addresses.find(isPrivateAddress);
    if (blocked !== undefined) throw refused(url.hostname, blocked);
  }

  async function request(rawUrl: string, init: HttpRequestInit = {}): Promise<HttpResponse> {
    // one deadline for everything, so redirects or a trickling body cannot stretch it
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([timeout, init.signal]) : timeout;
    let url = parseUrl(rawUrl);
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    const headers = new Headers(init.headers);
    if (!headers.has('user-agent')) headers.set('user-agent', userAgent);
    try {
      for (let hop = 0; ; hop++) {
        await guard(url, signal);
        // redirect: 'manual' so every hop goes through guard() before we connect to it
        const res = await fetch(url, { method, headers, body: body ?? null, signal, redirect: 'manual' });
        const location = res.headers.get('location');
        if (!followRedirects || !REDIRECT_STATUSES.has(res.status) || location === null) {
          return { status: res.status, headers: res.headers, ...(await readCapped(res, maxResponseBytes)) };
        }
        void res.body?.cancel().catch(() => {});
        if (hop >= maxRedirects) {
          throw new HttpError('bad-url', `too many redirects (more than ${maxRedirects}) from ${url.host}`);
        }
        const next = parseUrl(location, url);
        if (next.origin !== url.origin) {
          // as browsers do: credentials meant for one origin are not handed to another
          headers.delete('authorization');
          headers.delete('cookie');
        }
        // fetch semantics: 303 (and 301/302 after POST) continue as a GET without the body
        if ((res.status === 303 && method !== 'HEAD') || (res.status <= 302 && method === 'POST')) {
          method = 'GET';
          body = undefined;
          headers.delete('content-type');
        }
        url = next;
      }
    } catch (err) {
      if (err instanceof HttpError) throw err;
      if (signal.aborted) {
        throw new HttpError('timeout', `${url.host} did not answer within ${timeoutMs} ms`, { cause: err });
      }
      throw new HttpError('network', `could not reach ${url.host}: ${describeCause(err)}`, { cause: err });
    }
  }

  return { request };
}

function parseUrl(raw: string, base?: URL): URL {
  const problem = urlProblem(raw, base);
  if (problem !== undefined) throw new HttpError('bad-url', `URL ${problem}`);
  return new URL(raw, base);
}

function refused(hostname: string, address: string): HttpError {
  const what = address === hostname.replace(/^\[|\]$/g, '') ? hostname : `${hostname} (${address})`;
  return new HttpError(
    'refused-address',
    `refused to connect to ${what}: private, loopback and link-local addresses are not allowed`,
  );
}

/** Reads at most `max` bytes, then cancels the stream so a huge or endless body cannot hold us. */
async function readCapped(res: Response, max: number): Promise<{ text: string; truncated: boolean }> {
  if (res.body === null) return { text: '', truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > max) {
      chunks.push(value.subarray(0, max - size));
      size = max;
      truncated = true;
      // not awaited: cancelling tears the connection down, and we have what we need
      void reader.cancel().catch(() => {});
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { text: new TextDecoder().decode(bytes), truncated };
}

/** DNS lookups cannot be cancelled, but we can stop waiting for them. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** fetch says only "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND, ...) is in the cause. */
function describeCause(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  if (!(current instanceof Error)) return String(current);
  const code = (current as { code?: unknown }).code;
  return typeof code === 'string' && !current.message.includes(code)
    ? `${code} ${current.message}`
    : current.message;
}
