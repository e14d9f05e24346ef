// Token buckets in memory, one per key (a ping key, a check, an API key, a client address, an
// email): how vigil slows floods and guessing. A key seen before costs one Map lookup and no
// allocation; memory is bounded (past `maxKeys`, buckets that have refilled are forgotten, then
// the oldest). Each process counts on its own: per node on Node, per isolate on Workers.

export interface RateLimitOptions {
  /** requests allowed at once */
  burst: number;
  /** one more request every this many ms */
  refillMs: number;
  /** keys tracked at most; default 10,000 */
  maxKeys?: number;
}

/** A limit as configured: `perSecond` requests a second on average, `burst` at once. */
export interface Rate {
  perSecond: number;
  burst: number;
}

/** The configurable limits (VIGIL_RATE_LIMIT_*); null: that limit is off. */
export interface RateLimitSettings {
  /** pings per project ping key (slug pings) or per check (UUID pings) */
  ping: Rate | null;
  /** pings per client address */
  pingAddress: Rate | null;
  /** API requests (/api/v1 and the compat APIs) per API key */
  api: Rate | null;
  /** API requests without a valid key, per client address: key guessing is slow */
  apiAddress: Rate | null;
  /** dashboard sign-in attempts per client address (each email has its own fixed limit too) */
  login: Rate | null;
}

export type RateLimits = { readonly [K in keyof RateLimitSettings]: RateLimiter | null };

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly maxKeys: number;

  constructor(options: RateLimitOptions) {
    this.burst = options.burst;
    this.refillMs = options.refillMs;
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  static of(rate: Rate, maxKeys?: number): RateLimiter {
    return new RateLimiter({ burst: rate.burst, refillMs: 1000 / rate.perSecond, maxKeys });
  }

  /** Takes one request for `key` at `now`: 0 when allowed, else the ms until the next one is. */
  take(key: string, now: number): number {
    const b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) this.makeRoom(now);
      this.buckets.set(key, { tokens: this.burst - 1, at: now });
      return 0;
    }
    // updated in place: a busy key allocates nothing
    const tokens = this.tokensAt(b, now);
    b.at = now;
    if (tokens < 1) {
      b.tokens = tokens;
      return Math.ceil((1 - tokens) * this.refillMs);
    }
    b.tokens = tokens - 1;
    return 0;
  }

  /** The ms until `key` may send again (0: now), taking nothing. */
  wait(key: string, now: number): number {
    const b = this.buckets.get(key);
    if (b === undefined) return 0;
    const tokens = this.tokensAt(b, now);
    return tokens < 1 ? Math.ceil((1 - tokens) * this.refillMs) : 0;
  }

  /** Forgets `key` (after a successful sign-in). */
  reset(key: string): void {
    this.buckets.delete(key);
  }

  /** keys tracked now */
  get size(): number {
    return this.buckets.size;
  }

  private tokensAt(b: Bucket, now: number): number {
    // a clock that stepped back refills nothing rather than taking tokens away
    return Math.min(this.burst, b.tokens + Math.max(0, now - b.at) / this.refillMs);
  }

  /**
   * Full: forget every bucket that has refilled (it is the same as none), then, if most are
   * still in use, the oldest, which start again with a full burst. Leaving a tenth free keeps
   * the sweep's cost spread over many new keys.
   */
  private makeRoom(now: number): void {
    for (const [key, b] of this.buckets) {
      if (this.tokensAt(b, now) >= this.burst) this.buckets.delete(key);
    }
    const target = Math.floor(this.maxKeys * 0.9);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}

/** One limiter per configured limit, made once per process (or isolate) and shared by its routes. */
export function createRateLimits(settings: RateLimitSettings): RateLimits {
  const of = (rate: Rate | null) => (rate ? RateLimiter.of(rate) : null);
  return {
    ping: of(settings.ping),
    pingAddress: of(settings.pingAddress),
    api: of(settings.api),
    apiAddress: of(settings.apiAddress),
    login: of(settings.login),
  };
}

/** A wait in ms as a Retry-After value: whole seconds, at least 1. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/** Thrown by API routes over a limit: a 429 with Retry-After in the route's own error shape. */
export class RateLimitedError extends Error {
  /** seconds, for Retry-After */
  readonly retryAfter: number;

  constructor(waitMs: number, what: string) {
    const seconds = retryAfterSeconds(waitMs);
    super(`${what}; retry in ${seconds} s`);
    this.retryAfter = seconds;
  }
}
