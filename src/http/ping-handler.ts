// The ping protocol, wire-compatible with Healthchecks.io:
//   /ping/<uuid>[/start|/fail|/log|/<0-255>]
//   /ping/<ping-key>/<slug>[/start|/fail|/log|/<0-255>]   (?create=1 creates an unknown slug)
// with ?ts= or X-Vigil-Client-Time: the client's own clock, kept to show skew (client-time.ts).
// Answers are plain text ("OK", "Created", "not found") as existing clients expect.
// Runtime-neutral: the Hono route and the Node fast path both translate to and from these
// plain values.
import { UUID_PATTERN as UUID } from '../core/ids.ts';
import { SLUG_PATTERN } from '../core/slug.ts';
import type { PingKind } from '../core/types.ts';
import { parseClientTime } from '../ingest/client-time.ts';
import type { Ingestor, PingOutcome, PingRequest } from '../ingest/ingest.ts';
import { limitKey, proxiedClient } from './client-address.ts';
import { type RateLimits, retryAfterSeconds } from './rate-limit.ts';
import { type Unavailable, unavailable } from './unavailable.ts';

const PING_KEY = /^[A-Za-z0-9_-]{8,64}$/;
const UTF8 = new TextDecoder();
/** Past the stored part, a body is read and dropped up to this much, then cut off. */
const MAX_DISCARD = 10 * 1024 * 1024;

export interface BodyResult {
  body: string | null;
  truncated: boolean;
  /** past what we read at all: the ping is refused (413), not stored */
  tooLarge?: boolean;
}

/**
 * Keeps the first `limit` bytes of a body as it streams in and counts the rest, so a large
 * body is never buffered whole. Both the web-stream and the node:http readers feed it.
 */
export class CappedBody {
  private readonly chunks: Uint8Array[] = [];
  private kept = 0;
  private seen = 0;

  constructor(private readonly limit: number) {}

  /** Returns false once the body is past what we are willing to read: stop reading. */
  push(chunk: Uint8Array): boolean {
    this.seen += chunk.byteLength;
    if (this.kept < this.limit) {
      const part =
        chunk.byteLength > this.limit - this.kept ? chunk.subarray(0, this.limit - this.kept) : chunk;
      this.chunks.push(part);
      this.kept += part.byteLength;
    }
    return this.seen <= this.limit + MAX_DISCARD;
  }

  result(): BodyResult {
    if (this.seen > this.limit + MAX_DISCARD) return { body: null, truncated: true, tooLarge: true };
    if (this.seen === 0) return { body: null, truncated: false };
    // a ping's body is nearly always one chunk: decoded as it is, without a copy
    let bytes = this.chunks[0]!;
    if (this.chunks.length > 1) {
      bytes = new Uint8Array(this.kept);
      let offset = 0;
      for (const chunk of this.chunks) {
        bytes.set(chunk, offset);
        offset += chunk.byteLength;
      }
    }
    return { body: UTF8.decode(bytes), truncated: this.seen > this.kept };
  }
}

export interface PingHttpRequest {
  method: string;
  /** the path after `/ping/`, still %-encoded */
  path: string;
  query: (name: string) => string | null;
  header: (name: string) => string | null;
  /** the TCP peer */
  peer: string | null;
  /** reads at most `limit` bytes of the body; the rest is read and dropped */
  readBody: (limit: number) => Promise<BodyResult>;
}

export interface PingHttpResponse {
  status: 200 | 201 | 204 | 400 | 404 | 405 | 413 | 429 | 503;
  text: string;
  headers: Record<string, string>;
}

export interface PingDeps {
  ingestor: Ingestor;
  now: () => number;
  pingBodyLimit: number;
  trustProxy: boolean;
  /** absent: no limits */
  rateLimits?: RateLimits;
  /**
   * Waited out before a refused ping is answered (on Node, a second). A client that sends again
   * as soon as it is answered (a loop around curl, a load tool) then costs a request a second
   * per connection, not as many 429s as the server can make. Absent: answered at once.
   */
  holdRefused?: () => Promise<void>;
  /** told about errors that became a 500 */
  onError?: (err: unknown) => void;
}

type Action = { kind: PingKind; exitStatus?: number };

/** CORS is open on pings: browsers and edge functions ping too. */
const CORS = { 'Access-Control-Allow-Origin': '*' };
const PREFLIGHT = {
  ...CORS,
  'Access-Control-Allow-Methods': 'GET, POST, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, User-Agent, X-Vigil-Client-Time',
  'Access-Control-Max-Age': '86400',
};

function answer(
  status: PingHttpResponse['status'],
  text: string,
  extra: Record<string, string> = {},
): PingHttpResponse {
  return { status, text, headers: { ...CORS, ...extra } };
}

/**
 * The answers to stored pings, made once per body limit and shared by every ping (and frozen,
 * so no one changes them for the others): most pings get one of these.
 */
const stored = new Map<
  number,
  { ok: PingHttpResponse; created: PingHttpResponse; notFound: PingHttpResponse }
>();

function storedAnswers(bodyLimit: number) {
  let answers = stored.get(bodyLimit);
  if (answers === undefined) {
    const limit = { 'Ping-Body-Limit': String(bodyLimit) };
    const frozen = (r: PingHttpResponse) => Object.freeze({ ...r, headers: Object.freeze(r.headers) });
    answers = {
      ok: frozen(answer(200, 'OK', limit)),
      created: frozen(answer(201, 'Created', limit)),
      notFound: frozen(answer(404, 'not found', limit)),
    };
    stored.set(bodyLimit, answers);
  }
  return answers;
}

function parseAction(segment: string): Action | 'invalid' | null {
  if (segment === 'start' || segment === 'fail' || segment === 'log') return { kind: segment };
  if (/^\d+$/.test(segment)) {
    const code = Number(segment);
    return code <= 255 ? { kind: 'exit', exitStatus: code } : 'invalid';
  }
  return null;
}

function decodeSegments(path: string): string[] | null {
  try {
    // Empty segments stay (and fail the slug pattern): "a//b" must not quietly become "a/b".
    const parts = path.split('/');
    if (parts.at(-1) === '') parts.pop(); // one trailing slash is harmless
    return parts.map((p) => (p.includes('%') ? decodeURIComponent(p) : p));
  } catch {
    return null; // malformed %-escapes
  }
}

/**
 * The ms until a ping for `key` (a ping key or a check id) from `address` may come, 0 for now.
 * The address first: a flood spread over many keys must not use up each key's pings.
 */
export function pingWait(limits: RateLimits, key: string, address: string | null, now: number): number {
  return limits.pingAddress?.take(limitKey(address), now) || (limits.ping?.take(key, now) ?? 0);
}

/** What a ping answered 503 says, in plain text. */
function refusal(why: Unavailable): string {
  switch (why.reason) {
    case 'storage':
      return `vigil cannot store pings right now: ${why.problem.what}; send it again later`;
    case 'database':
      return 'vigil cannot reach its database right now; send the ping again in a few seconds';
    case 'busy':
      // a burst of pings to one check from many places can keep one losing the race for its row
      return 'busy: the check changed while this ping was stored; send it again';
  }
}

export async function handlePing(req: PingHttpRequest, deps: PingDeps): Promise<PingHttpResponse> {
  const { method } = req;
  if (method === 'OPTIONS') return { status: 204, text: '', headers: PREFLIGHT };
  if (method !== 'GET' && method !== 'POST' && method !== 'HEAD') {
    return answer(405, 'method not allowed: use GET, POST or HEAD', { Allow: 'GET, POST, HEAD' });
  }
  const segments = decodeSegments(req.path);
  if (!segments || segments.length === 0) return answer(404, 'not found');

  // /ping/<uuid>/<action>, /ping/<key>/<slug>/<action>: the last segment is an action only
  // when something stands before it (a lone slug such as "log" or "2024" is a slug).
  const byUuid = UUID.test(segments[0]!);
  const last = segments.length > (byUuid ? 1 : 2) ? parseAction(segments.at(-1)!) : null;
  if (last === 'invalid') return answer(400, 'invalid exit status: use 0-255');
  if (last) segments.pop();

  let target: PingRequest['target'];
  if (byUuid && segments.length === 1) {
    target = { checkId: segments[0]!.toLowerCase() };
  } else if (!byUuid && segments.length >= 2 && PING_KEY.test(segments[0]!)) {
    const create = req.query('create') === '1';
    const slug = segments.slice(1).join('/');
    if (!SLUG_PATTERN.test(slug)) {
      return create
        ? answer(400, 'invalid slug: use lowercase letters, digits, - _ . and / between parts')
        : answer(404, 'not found');
    }
    target = { pingKey: segments[0]!, slug, create };
  } else {
    return answer(404, 'not found');
  }

  const rid = req.query('rid');
  if (rid !== null && !UUID.test(rid)) return answer(400, 'invalid rid: use a UUID');

  const forwarded = deps.trustProxy ? proxiedClient(req.header('x-forwarded-for')) : null;
  const source = forwarded ?? req.peer;
  // before the body is read: a refused ping costs no more than this
  if (deps.rateLimits) {
    const wait = pingWait(
      deps.rateLimits,
      'checkId' in target ? target.checkId : target.pingKey,
      source,
      deps.now(),
    );
    if (wait > 0) {
      const seconds = retryAfterSeconds(wait);
      await deps.holdRefused?.();
      return answer(
        429,
        `rate limited: too many pings for this check, ping key or address; retry in ${seconds} s`,
        { 'Retry-After': String(seconds) },
      );
    }
  }

  const { body, truncated, tooLarge } =
    method === 'POST' ? await req.readBody(deps.pingBodyLimit) : { body: null, truncated: false };
  if (tooLarge) {
    const mb = Math.round((deps.pingBodyLimit + MAX_DISCARD) / 1024 / 1024);
    return answer(
      413,
      `ping body too large: send at most ${mb} MB (the first ${deps.pingBodyLimit} bytes are kept)`,
    );
  }
  let outcome: PingOutcome;
  try {
    outcome = await deps.ingestor.submit({
      target,
      ...(last ?? { kind: 'success' }),
      runId: rid?.toLowerCase() ?? null,
      method,
      source,
      userAgent: req.header('user-agent')?.slice(0, 200) ?? null,
      body,
      truncated,
      at: deps.now(),
      // the client's own clock, if it said: kept to show the skew, never for deadlines
      clientAt: parseClientTime(req.query('ts') ?? req.header('x-vigil-client-time')),
    });
  } catch (err) {
    // Nothing was stored, for a reason that passes: the client is told why, and when to come back.
    const why = unavailable(err);
    if (!why) throw err;
    return answer(503, refusal(why), {
      'Ping-Body-Limit': String(deps.pingBodyLimit),
      'Retry-After': String(why.retryAfterS),
    });
  }
  const answers = storedAnswers(deps.pingBodyLimit);
  if (outcome.result === 'not-found') return answers.notFound;
  if (outcome.result === 'ok' && outcome.created) return answers.created;
  return answers.ok;
}
