// A token bucket per key (an email, a client address), in memory: enough to make password
// guessing slow. Buckets that have refilled are forgotten, so memory stays bounded.

export interface RateLimitOptions {
  /** attempts allowed in a burst */
  burst: number;
  /** one more attempt every this many ms */
  refillMs: number;
  /** keys tracked at most; the oldest are dropped beyond it */
  maxKeys?: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly options: RateLimitOptions) {}

  /** Takes one attempt for `key` at `now`: 0 when allowed, else the ms until the next is. */
  take(key: string, now: number): number {
    const { burst, refillMs } = this.options;
    const b = this.buckets.get(key) ?? { tokens: burst, at: now };
    const tokens = Math.min(burst, b.tokens + Math.max(0, now - b.at) / refillMs);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return Math.ceil((1 - tokens) * refillMs);
    }
    this.buckets.delete(key); // re-inserted last: Map order is then oldest-first
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    this.trim();
    return 0;
  }

  /** Forgets `key` (after a successful sign-in). */
  reset(key: string): void {
    this.buckets.delete(key);
  }

  private trim(): void {
    const max = this.options.maxKeys ?? 10_000;
    while (this.buckets.size > max) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) break;
      this.buckets.delete(oldest);
    }
  }
}
