// Request ids: one per HTTP request, in the X-Request-Id response header and as `req_id` in
// every log line about the request, so an answer a user quotes leads to its log lines. A
// sane id the client (or a proxy in front) sent is kept; otherwise a new one is made from a
// random prefix drawn once per process and a counter: unique across restarts and nodes in
// practice, and far cheaper than a UUID per request. Runtime-neutral.

/** what an incoming id may be: short, and nothing that could break a log line or a header */
const SANE = /^[A-Za-z0-9._-]{1,64}$/;

let prefix: string | null = null;
let counter = 0;

export function newRequestId(): string {
  // drawn on first use: a Worker may not make random values at startup (global scope)
  prefix ??= Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => (b % 36).toString(36)).join('');
  counter++;
  return `${prefix}-${counter.toString(36)}`;
}

/** The client's id when it is sane, else a new one. */
export function requestIdFrom(header: string | null | undefined): string {
  return header != null && SANE.test(header) ? header : newRequestId();
}

/**
 * The path as a log line may show it: the query is left out (it may carry a run id or a key)
 * and so are the capabilities in paths (a ping key or check id after /ping/, an application
 * id after /heartbeat/, a badge key after /badge/): whoever reads logs must not be able to ping.
 */
export function loggablePath(path: string): string {
  return path.replace(/^\/(ping|heartbeat|badge)\/[^/]+/, '/$1/***');
}
