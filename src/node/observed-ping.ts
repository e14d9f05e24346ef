// The ping fast path (fast-ping.ts) with what the Hono app's observeRequests middleware does
// for every other request: latency into the histogram, refused pings counted, the client's
// X-Request-Id echoed, and a log line when access logging is on or the answer is a fault. A
// ping pays one clock read and a few increments (with metrics on); ids and lines only when used.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { alwaysLogged, type RequestLog } from '../http/middleware/observe.ts';
import { loggablePath } from '../http/request-id.ts';
import type { VigilMetrics } from '../metrics/vigil-metrics.ts';
import { requestIdOf } from './request-id.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Refused before the ingestor saw them: malformed (400), wrong method (405), too large (413),
 * rate limited (429), busy (503). A 404 is left out: the ingestor counts the pings of checks
 * that do not exist, and a path that cannot name a check at all is no ping.
 */
function refused(status: number): boolean {
  return status === 400 || status === 405 || status === 413 || status === 429 || status === 503;
}

export function observedPing(
  fastPing: Listener,
  options: { metrics: VigilMetrics | null; log: RequestLog },
): Listener {
  const { metrics, log } = options;
  const timed = metrics !== null || log.access;
  return async function observedPing(req, res) {
    if (req.headers['x-request-id'] !== undefined) res.setHeader('X-Request-Id', requestIdOf(req));
    const started = timed ? performance.now() : 0;
    await fastPing(req, res);
    const status = res.statusCode;
    const ms = timed ? performance.now() - started : 0;
    if (metrics) {
      metrics.observeHttp('ping', status, ms / 1000);
      if (refused(status)) metrics.countPing('unknown', 'rejected');
    }
    if (log.access || alwaysLogged(status)) {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      log.write({
        req_id: requestIdOf(req),
        method: req.method ?? 'GET',
        path: loggablePath(q === -1 ? url : url.slice(0, q)),
        status,
        ms: Math.round(ms * 100) / 100,
        remote: req.socket.remoteAddress ?? null,
      });
    }
  };
}
