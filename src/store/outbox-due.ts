// When the next outbox row can be claimed, for the dispatcher's sleep: the earliest time over
// the pending rows that are not waiting behind an older one of their channel and check, a row
// in flight counting as the end of its lease. One aggregate over every pending row read them
// all, with a probe each (20,000 queued for a provider that is down: 10-12 ms, at every turn of
// the dispatcher's loop). The rows are read in the order they fall due instead, a page at a
// time, until no later row can come sooner than the best found: usually the first row decides.
import type { Row } from './rows.ts';

export const DUE_PAGE = 256;

/**
 * `page(at, id)` gives the next DUE_PAGE pending rows after (next_attempt_at, id) in that order,
 * each with `next_attempt_at`, `lease_until`, `id` and `behind` (1 or true: an older one of its
 * channel and check is still pending).
 */
export async function earliestClaimable(
  page: (afterAt: number, afterId: number) => Promise<Row[]>,
): Promise<number | null> {
  let best = Number.POSITIVE_INFINITY;
  let afterAt = Number.MIN_SAFE_INTEGER;
  let afterId = 0;
  for (;;) {
    const rows = await page(afterAt, afterId);
    for (const r of rows) {
      const at = Number(r.next_attempt_at);
      // a row's time is never before its next_attempt_at, so nothing from here on comes sooner
      if (at >= best) return best;
      const lease = r.lease_until === null ? null : Number(r.lease_until);
      if (!r.behind) best = Math.min(best, lease === null || lease < at ? at : lease);
      afterAt = at;
      afterId = Number(r.id);
    }
    if (rows.length < DUE_PAGE) return best === Number.POSITIVE_INFINITY ? null : best;
  }
}
