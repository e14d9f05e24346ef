// The ping protocol as a Hono route (see ping-handler.ts for the protocol itself). On Node,
// server.ts answers /ping/* before Hono with the same handler (src/node/fast-ping.ts); on
// Workers this route answers them, so it fails the way that one does too: a plain-text 500.
import { Hono } from 'hono';
import type { AppDeps } from './deps.ts';
import { type BodyResult, CappedBody, handlePing, type PingHttpResponse } from './ping-handler.ts';

/** Reads at most `limit` bytes of a web body while streaming; the rest is read and dropped. */
async function readCapped(req: Request, limit: number): Promise<BodyResult> {
  const capped = new CappedBody(limit);
  if (!req.body) return capped.result();
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!capped.push(value)) {
      await reader.cancel();
      break;
    }
  }
  return capped.result();
}

export function pingRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const pingDeps = {
    ingestor: deps.ingestor,
    now: deps.now,
    pingBodyLimit: deps.config.pingBodyLimit,
    trustProxy: deps.config.trustProxy,
    rateLimits: deps.rateLimits,
  };
  app.all('/*', async (c) => {
    let res: PingHttpResponse;
    try {
      res = await handlePing(
        {
          method: c.req.method,
          path: c.req.path.replace(/^\/ping\/?/, ''),
          query: (name) => c.req.query(name) ?? null,
          header: (name) => c.req.header(name) ?? null,
          peer: deps.clientAddress(c),
          readBody: (limit) => readCapped(c.req.raw, limit),
        },
        pingDeps,
      );
    } catch (err) {
      deps.log(err, 'ping failed', { req_id: c.get('requestId') });
      return c.text('internal error', 500);
    }
    if (res.status === 204) return c.body(null, 204, res.headers);
    return c.body(res.text, res.status, { ...res.headers, 'Content-Type': 'text/plain; charset=UTF-8' });
  });
  return app;
}
