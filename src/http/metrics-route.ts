// GET /metrics on the main listener: the Prometheus exposition behind the metrics key, or a
// 404 that says how to turn it on (or that it is served on its own port). On Workers there
// is no /metrics (its numbers live in one isolate among many): the 404 says so.
import type { Context } from 'hono';
import { EXPOSITION_CONTENT_TYPE, metricsAuthMessage, metricsKeyCheck } from '../metrics/metrics-auth.ts';
import type { VigilMetrics } from '../metrics/vigil-metrics.ts';
import { ApiError } from './errors.ts';

export interface MetricsEndpoint {
  /** null: nothing is counted (metrics are off) */
  metrics: VigilMetrics | null;
  /** the key that reads /metrics on this listener; null: it answers 404 with `notHere` */
  key: string | null;
  /** why /metrics is not served here and how to change that */
  notHere: string;
}

const NO_METRICS =
  'this runtime has no /metrics (on Cloudflare Workers, use the Workers dashboard and analytics); see docs/operations.md#metrics';

export function metricsRoute(endpoint: MetricsEndpoint | undefined) {
  const metrics = endpoint?.metrics;
  const check = metrics && endpoint.key ? metricsKeyCheck(endpoint.key) : null;
  return async function metricsRoute(c: Context) {
    if (!metrics || !check) throw new ApiError(404, 'not_found', endpoint?.notHere ?? NO_METRICS);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      c.header('Allow', 'GET, HEAD');
      throw new ApiError(405, 'method_not_allowed', `${c.req.method} is not allowed here; use GET`);
    }
    const auth = await check(c.req.header('authorization'));
    if (auth !== 'ok') {
      c.header('WWW-Authenticate', 'Bearer realm="vigil metrics"');
      throw new ApiError(401, 'unauthorized', metricsAuthMessage(auth));
    }
    return c.body(await metrics.render(), 200, { 'Content-Type': EXPOSITION_CONTENT_TYPE });
  };
}
