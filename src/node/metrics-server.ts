// /metrics on a port of its own (VIGIL_METRICS_PORT, on VIGIL_METRICS_HOST: loopback unless
// told otherwise), for a Prometheus that reaches vigil over a private network: nothing else is
// served there, so the main port stays as it is, and it needs no key unless one is set.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../config.ts';
import { EXPOSITION_CONTENT_TYPE, metricsAuthMessage, metricsKeyCheck } from '../metrics/metrics-auth.ts';
import type { VigilMetrics } from '../metrics/vigil-metrics.ts';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

function sendError(res: ServerResponse, status: number, code: string, message: string, headers = {}): void {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

export async function startMetricsServer(
  metrics: VigilMetrics,
  options: { host: string; port: number; key: string | null; onError: (err: unknown) => void },
): Promise<MetricsServer> {
  const check = options.key === null ? null : metricsKeyCheck(options.key);
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics')
        return sendError(res, 404, 'not_found', 'only /metrics is served on this port');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return sendError(res, 405, 'method_not_allowed', `${req.method} is not allowed here; use GET`, {
          Allow: 'GET, HEAD',
        });
      }
      const auth = check ? await check(req.headers.authorization) : 'ok';
      if (auth !== 'ok') {
        return sendError(res, 401, 'unauthorized', metricsAuthMessage(auth), {
          'WWW-Authenticate': 'Bearer realm="vigil metrics"',
        });
      }
      const text = await metrics.render();
      res.writeHead(200, {
        'Content-Type': EXPOSITION_CONTENT_TYPE,
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    })().catch((err: unknown) => {
      options.onError(err);
      if (!res.headersSent) sendError(res, 500, 'internal', 'internal error; it has been logged');
      else res.end();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the address is in use' : err.message;
      reject(
        new ConfigError(
          `cannot listen on ${options.host}:${options.port} (VIGIL_METRICS_HOST, VIGIL_METRICS_PORT): ${why}`,
        ),
      );
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
