// The ping protocol, wire-compatible with Healthchecks.io:
//   /ping/<uuid>[/start|/fail|/log|/<0-255>]
//   /ping/<ping-key>/<slug>[/start|/fail|/log|/<0-255>]   (?create=1 creates an unknown slug)
// Answers are plain text ("OK", "Created", "not found") as existing clients expect.
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { SLUG_PATTERN } from '../core/slug.ts';
import type { PingKind } from '../core/types.ts';
import type { PingRequest } from '../ingest/ingest.ts';
import type { AppDeps } from './deps.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PING_KEY = /^[A-Za-z0-9_-]{8,64}$/;
/** Past the stored part, a body is read and dropped up to this, then the request is cut off. */
const MAX_DISCARD = 10 * 1024 * 1024;

type Action = { kind: PingKind; exitStatus?: number };

function parseAction(segment: string): Action | 'invalid' | null {
  if (segment === 'start' || segment === 'fail' || segment === 'log') return { kind: segment };
  if (/^\d+$/.test(segment)) {
    const code = Number(segment);
    return code <= 255 ? { kind: 'exit', exitStatus: code } : 'invalid';
  }
  return null;
}

function text(c: Context, status: 200 | 201 | 400 | 404 | 405 | 413, body: string) {
  return c.text(body, status);
}

/** Reads at most `limit` bytes of the body while streaming; the rest is read and dropped. */
async function readCapped(req: Request, limit: number): Promise<{ body: string | null; truncated: boolean }> {
  if (!req.body) return { body: null, truncated: false };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let seen = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    seen += value.byteLength;
    if (kept < limit) {
      const part = value.byteLength > limit - kept ? value.subarray(0, limit - kept) : value;
      chunks.push(part);
      kept += part.byteLength;
    }
    if (seen > limit + MAX_DISCARD) {
      await reader.cancel();
      break;
    }
  }
  if (seen === 0) return { body: null, truncated: false };
  const bytes = new Uint8Array(kept);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { body: new TextDecoder().decode(bytes), truncated: seen > kept };
}

function decodeSegments(path: string): string[] | null {
  try {
    return path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return null; // malformed %-escapes
  }
}

function sourceAddress(c: Context, deps: AppDeps): string | null {
  if (deps.config.trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded.slice(0, 64);
  }
  return deps.clientAddress(c);
}

export function pingRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.use('*', cors({ origin: '*', allowMethods: ['GET', 'POST', 'HEAD', 'OPTIONS'] }));

  app.all('/*', async (c) => {
    const method = c.req.method;
    if (method !== 'GET' && method !== 'POST' && method !== 'HEAD') {
      c.header('Allow', 'GET, POST, HEAD');
      return text(c, 405, 'method not allowed: use GET, POST or HEAD');
    }
    const segments = decodeSegments(c.req.path.replace(/^\/ping\/?/, ''));
    if (!segments || segments.length === 0) return text(c, 404, 'not found');

    let action: Action = { kind: 'success' };
    const last = segments.length > 1 ? parseAction(segments.at(-1)!) : null;
    if (last === 'invalid') return text(c, 400, 'invalid exit status: use 0-255');
    if (last) segments.pop();

    let target: PingRequest['target'];
    if (segments.length === 1 && UUID.test(segments[0]!)) {
      target = { checkId: segments[0]!.toLowerCase() };
    } else if (segments.length >= 2 && PING_KEY.test(segments[0]!)) {
      const create = c.req.query('create') === '1';
      target = { pingKey: segments[0]!, slug: segments.slice(1).join('/'), create };
      if (!SLUG_PATTERN.test(target.slug)) {
        return create
          ? text(c, 400, 'invalid slug: use lowercase letters, digits, - _ . /')
          : text(c, 404, 'not found');
      }
    } else {
      return text(c, 404, 'not found');
    }
    if (last) action = last;

    const rid = c.req.query('rid') ?? null;
    if (rid !== null && !UUID.test(rid)) return text(c, 400, 'invalid rid: use a UUID');

    const { body, truncated } =
      method === 'POST'
        ? await readCapped(c.req.raw, deps.config.pingBodyLimit)
        : { body: null, truncated: false };
    const outcome = await deps.ingestor.submit({
      target,
      ...action,
      runId: rid?.toLowerCase() ?? null,
      method,
      source: sourceAddress(c, deps),
      userAgent: c.req.header('user-agent')?.slice(0, 200) ?? null,
      body,
      truncated,
      at: deps.now(),
    });
    c.header('Ping-Body-Limit', String(deps.config.pingBodyLimit));
    if (outcome.result === 'not-found') return text(c, 404, 'not found');
    if (outcome.result === 'ok' && outcome.created) return text(c, 201, 'Created');
    return text(c, 200, 'OK');
  });
  return app;
}
