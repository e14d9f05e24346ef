// Which failed requests are answered 503 with Retry-After rather than 500: nothing was saved,
// for a reason that is no fault of the request and passes without a change to it. The ping
// handler (plain text) and the API's error handler (JSON) each word the answer their own way;
// which errors qualify, in what order, and how long the client should wait is decided here once.
import { databaseUnavailable, UNAVAILABLE_RETRY_AFTER_S } from '../store/database-unavailable.ts';
import { STORAGE_RETRY_AFTER_S, type StorageProblem, storageProblem } from '../store/storage-problem.ts';
import { ConflictError } from '../store/store.ts';

/**
 * Retry-After on a conflict: the request lost a race for its rows to other requests, and the
 * next try, a second later, most likely wins it.
 */
export const BUSY_RETRY_AFTER_S = 1;

export type Unavailable =
  // the database refuses writes (disk full, read-only): someone has to fix the machine
  | { reason: 'storage'; retryAfterS: number; problem: StorageProblem }
  // the database server cannot be reached (restarting, failing over): it passes by itself
  | { reason: 'database'; retryAfterS: number }
  // on D1, the rows the request changes kept changing under it until the store gave up
  | { reason: 'busy'; retryAfterS: number };

/**
 * Why `err` should be answered 503, and after how many seconds to try again; null for any
 * other error. A refused write comes first: its cause says more than the failure it led to.
 */
export function unavailable(err: unknown): Unavailable | null {
  const problem = storageProblem(err);
  if (problem) return { reason: 'storage', retryAfterS: STORAGE_RETRY_AFTER_S, problem };
  if (databaseUnavailable(err)) return { reason: 'database', retryAfterS: UNAVAILABLE_RETRY_AFTER_S };
  if (err instanceof ConflictError) return { reason: 'busy', retryAfterS: BUSY_RETRY_AFTER_S };
  return null;
}
