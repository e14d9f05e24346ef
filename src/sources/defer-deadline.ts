// A discovered job's runs are seen only when its source is next read, so a deadline that has
// passed says nothing until a sync after it: the run may well have happened. The same holds
// for the source's own health check, whose pings are the syncs themselves. The deadline sweep
// asks here before it calls such a check late or down.
import { nextDeadlineFor } from '../core/status.ts';
import type { Check, Tx } from '../store/store.ts';
import { adapterFor } from './registry.ts';

/** How long after its sync is due to look again: time for the sync itself to commit. */
const AFTER_SYNC_MS = 1000;

/**
 * The longest a deadline waits, past one sync interval, for a sync: more than a sync's timeout
 * and claim lease. A source nobody has read for that long is news in itself (vigil's runner
 * is stuck), so its checks' deadlines count again and the health check goes late, then down.
 */
export const MAX_SYNC_WAIT_MS = 60_000;

/**
 * When to look at a source check's passed deadline again, or null to act on it now. A check's
 * own due time (from its schedule, or an open run's limit) is recomputed rather than read from
 * the row, since the row's may already be a deferred one.
 */
export async function deferUntilSynced(tx: Tx, check: Check, now: number): Promise<number | null> {
  if (check.origin === null) return null;
  const due = nextDeadlineFor(check);
  if (due === null) return null;
  const source = await tx.getSource(check.origin.sourceId);
  if (source === null) return null;
  const health = check.origin.sourceKey === '';
  // Job checks of a kind that reports no runs (Supabase functions are pinged directly) have
  // nothing to wait for; the health check always waits for the sync that pings it.
  if (!health && !adapterFor(source.kind).readsRuns) return null;
  // A failed sync still pings the health check (a failure); only a good one shows runs.
  const seen = health ? source.lastSyncAt : source.lastSuccessAt;
  if (seen !== null && seen >= due) return null;
  if (now - due > source.syncInterval * 1000 + MAX_SYNC_WAIT_MS) return null;
  return Math.max(source.nextSyncAt, now) + AFTER_SYNC_MS;
}
