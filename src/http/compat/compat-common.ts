// What the compat route modules share. The APIs vigil replaces answer errors flat
// (`{ "error": "Unauthorized" }`, sometimes with a "details" string), and their clients look
// for exactly that, so these routes keep that shape instead of vigil's `{ error: { code, message } }`.
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { CheckRuleError, SlugTakenError } from '../../ingest/check-changes.ts';
import type { Check, Store } from '../../store/store.ts';
import { unavailableError } from '../errors.ts';
import { bodyLimit } from '../middleware/body-limit.ts';
import { RateLimitedError } from '../rate-limit.ts';
import { loggablePath } from '../request-id.ts';
import { unavailable } from '../unavailable.ts';

export class CompatError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly error: string,
    readonly details?: string,
  ) {
    super(error);
  }

  body(): { error: string; details?: string } {
    return this.details === undefined ? { error: this.error } : { error: this.error, details: this.details };
  }
}

/** A compat app answers its own errors flat; anything unexpected is logged and a plain 500. */
export function flatErrors(
  app: Hono,
  log: (err: unknown, msg: string, fields?: Record<string, unknown>) => void,
): void {
  app.onError((err, c) => {
    if (err instanceof CompatError) return c.json(err.body(), err.status);
    // e.g. a registration that would rename a check a source discovered
    if (err instanceof CheckRuleError) return c.json({ error: 'Invalid request', details: err.message }, 400);
    if (err instanceof SlugTakenError) return c.json({ error: 'Conflict', details: err.message }, 409);
    if (err instanceof RateLimitedError) {
      c.header('Retry-After', String(err.retryAfter));
      return c.json({ error: 'Too Many Requests', details: err.message }, 429);
    }
    // nothing was saved, for a reason that passes (a full disk, a database restarting)
    const why = unavailable(err);
    if (why) {
      c.header('Retry-After', String(why.retryAfterS));
      return c.json({ error: 'Service Unavailable', details: unavailableError(why).message }, 503);
    }
    log(err, `unhandled error on ${c.req.method} ${loggablePath(c.req.path)}`, {
      req_id: c.get('requestId'),
    });
    return c.json({ error: 'Internal error' }, 500);
  });
}

const BODY_LIMIT = 64 * 1024;

/** Per route, not `use('*')`: these apps are mounted at "/" and must not touch other paths. */
export function limitBody(): MiddlewareHandler {
  return bodyLimit({
    maxSize: BODY_LIMIT,
    onError: () => {
      throw new CompatError(413, 'Payload Too Large', `send at most ${BODY_LIMIT / 1024} KB`);
    },
  });
}

/** The body as JSON whatever its Content-Type (these clients do not all send one). */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') throw new CompatError(400, 'Invalid JSON', 'the body is empty; send a JSON object');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CompatError(400, 'Invalid JSON', (err as Error).message);
  }
}

/** Validates `value`; a failure is a 400 whose details name each field and what to fix. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, error: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues
    .map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`)
    .join('; ');
  throw new CompatError(400, error, details.slice(0, 2000));
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function bearerToken(c: Context): string | null {
  return BEARER.exec(c.req.header('authorization') ?? '')?.[1] ?? null;
}

export function isWrite(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}

/** Every check of the project with this tag (the listing is paged; these sets are small). */
export async function checksTagged(store: Store, projectId: string, tag: string): Promise<Check[]> {
  const all: Check[] = [];
  let after: string | undefined;
  for (;;) {
    const { checks, next } = await store.listChecks(projectId, { tag }, { limit: 500, after });
    all.push(...checks);
    if (next === null) return all;
    after = next;
  }
}

/** A tag list with `tag` in it, added when missing. */
export function withTag(tags: readonly string[], tag: string): string[] {
  return tags.includes(tag) ? [...tags] : [...tags, tag];
}

/** At most `limit` bytes of `text` as UTF-8 (a ping body's limit). */
export function capBytes(text: string, limit: number): { body: string; truncated: boolean } {
  const bytes = new TextEncoder().encode(text);
  if (bytes.byteLength <= limit) return { body: text, truncated: false };
  // fatal: false drops a multi-byte character cut in half rather than failing
  const body = new TextDecoder('utf-8', { fatal: false })
    .decode(bytes.subarray(0, limit))
    .replace(/\uFFFD$/, '');
  return { body, truncated: true };
}

export const unixSeconds = (t: number | null): number | null => (t === null ? null : Math.floor(t / 1000));
export const isoOrNull = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
