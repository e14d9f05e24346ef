// When to try a failed delivery again. Pure: the caller passes the random source, so tests
// (and a replay of a bug) get the same delays every time.

/** ceiling of the first retry */
export const BASE_DELAY_MS = 5_000;
/** no retry waits longer than this, whatever the attempt or the provider's Retry-After */
export const MAX_DELAY_MS = 60 * 60 * 1000;
/** full jitter can draw ~0; a floor keeps a failing provider from being hit again at once */
export const MIN_DELAY_MS = 1_000;
/** deliveries give up this long after the notification's first attempt */
export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;

// 5 s · 2^30 is far past the cap; stopping the exponent here keeps huge attempt counts from
// reaching Infinity (and Infinity · 0 = NaN when random() returns 0).
const MAX_EXPONENT = 30;

/**
 * Delay before the next attempt, after attempt number `attempt` (1 = the first try) failed.
 *
 * Exponential with full jitter: a uniform draw in [0, min(1 h, 5 s · 2^(attempt−1))), raised
 * to at least 1 s. Full jitter spreads retries of many notifications that failed together
 * (one provider outage) instead of having them return in lockstep.
 *
 * With `retryAfterMs` (the provider's Retry-After), the delay is max(retryAfterMs, the
 * jittered delay): never sooner than the provider asked, never shorter than our own backoff
 * would have been. Still capped at 1 h, so a provider asking for a day gets asked again
 * (and may say so again) rather than silently pushing us past the 24 h window.
 */
export function nextRetryDelay(attempt: number, random: () => number, retryAfterMs?: number): number {
  const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(n - 1, MAX_EXPONENT));
  const jittered = Math.max(MIN_DELAY_MS, Math.floor(unit(random()) * ceiling));
  if (retryAfterMs === undefined || !(retryAfterMs > 0)) return jittered;
  return Math.min(MAX_DELAY_MS, Math.max(Math.ceil(retryAfterMs), jittered));
}

/** A random() result forced into [0, 1): a bad source must not yield negative or NaN delays. */
function unit(value: number): number {
  if (!(value > 0)) return 0;
  return Math.min(value, 1 - Number.EPSILON);
}
