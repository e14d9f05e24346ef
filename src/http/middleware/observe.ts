// Every request through the Hono app: a request id (kept in the context for log lines, sent
// back in X-Request-Id), its time into the latency histogram, and a log line when access
// logging is on (VIGIL_ACCESS_LOG) or the answer is a fault (5xx). On Node the ping fast path does
// the same in src/node/observed-ping.ts, at less cost.
import type { MiddlewareHandler } from 'hono';
import { loggablePath, requestIdFrom } from '../request-id.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** this request's id (src/http/request-id.ts) */
    requestId: string;
  }
}

export interface RequestLine {
  req_id: string;
  method: string;
  /** without the query, and without the keys some paths hold (loggablePath) */
  path: string;
  status: number;
  ms: number;
  remote: string | null;
}

export interface RequestLog {
  /** a line for every request; when false, only for faults (alwaysLogged) */
  access: boolean;
  write(line: RequestLine): void;
}

/**
 * Whether a request gets a log line even with the access log off: a 5xx is a fault to look
 * into, except a 503, which vigil answers on purpose (busy, or the database refusing writes,
 * logged once by the storage monitor) and which would otherwise fill the log at full ping rate.
 */
export function alwaysLogged(status: number): boolean {
  return status >= 500 && status !== 503;
}

export interface ObserveOptions {
  /** told each request's path, status and seconds taken (for the latency histogram) */
  observe?: (path: string, status: number, seconds: number) => void;
  log?: RequestLog;
  remote: (c: Parameters<MiddlewareHandler>[0]) => string | null;
}

export function observeRequests(options: ObserveOptions): MiddlewareHandler {
  const { observe, log, remote } = options;
  return async function observeRequests(c, next) {
    const started = performance.now();
    const id = requestIdFrom(c.req.header('x-request-id'));
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
    // a Response a handler made itself does not carry the header set above
    if (!c.res.headers.has('x-request-id')) c.header('X-Request-Id', id);
    const ms = performance.now() - started;
    const status = c.res.status;
    observe?.(c.req.path, status, ms / 1000);
    if (log && (log.access || alwaysLogged(status))) {
      log.write({
        req_id: id,
        method: c.req.method,
        path: loggablePath(c.req.path),
        status,
        ms: Math.round(ms * 100) / 100,
        remote: remote(c),
      });
    }
  };
}
