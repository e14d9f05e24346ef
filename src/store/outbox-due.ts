// When the next outbox row can be claimed, for the dispatcher's sleep: the earliest time over
// the pending rows that are not waiting behind an older one of their channel and check, a row
// in flight counting as the end of its lease. One aggregate over every pending row read them
// all, with a probe each (20,000 queued for a provider that is down: 10-12 ms, at every turn of
// the dispatcher's loop). The rows are read in the order they fall due instead, a page at a
// time, until no later row can come sooner than the best found: usually the first row decides,
// so the first page is small (where a statement costs little: SQLite), and the pages grow.
import type { Row } from './rows.ts';

const LARGEST_PAGE = 1024;

/**
 * `page(at, id, size)` gives the next `size` pending rows after (next_attempt_at, id) in that order,
 * each with `next_attempt_at`, `lease_until`, `id` and `behind` (1 or true: an older one of its
 * channel and check is still pending).
 */
export async function earliestClaimable(
  page: (afterAt: number, afterId: number, size: number) => Promise<Row[]>,
  firstPage: number,
): Promise<number | null> {
  let best = Number.POSITIVE_INFINITY;
  let afterAt = Number.MIN_SAFE_INTEGER;
  let afterId = 0;
  for (let size = firstPage; ; size = Math.min(size * 4, LARGEST_PAGE)) {
    const rows = await page(afterAt, afterId, size);
    for (const r of rows) {
      const at = Number(r.next_attempt_at);
      // a row's time is never before its next_attempt_at, so nothing from here on comes sooner
      if (at >= best) return best;
      const lease = r.lease_until === null ? null : Number(r.lease_until);
      if (!r.behind) best = Math.min(best, lease === null || lease < at ? at : lease);
      afterAt = at;
      afterId = Number(r.id);
    }
    if (rows.length < size) return best === Number.POSITIVE_INFINITY ? null : best;
  }
}
