// A discovered job's runs are seen only when its source is next read, so a deadline that has
// passed says nothing until a sync after it: the run may well have happened. The deadline
// sweep asks here before it calls such a check late or down.
import { nextDeadlineFor } from '../core/status.ts';
import type { Check, Tx } from '../store/store.ts';
import { adapterFor } from './registry.ts';

/** How long after its sync is due to look again: time for the sync itself to commit. */
const AFTER_SYNC_MS = 1000;

/**
 * When to look at a job check's passed deadline again, or null to act on it now. A check's
 * own due time (from its schedule, or an open run's limit) is recomputed rather than read from
 * the row, since the row's may already be a deferred one.
 */
export async function deferUntilSynced(tx: Tx, check: Check, now: number): Promise<number | null> {
  if (check.origin === null || check.origin.sourceKey === '') return null;
  const due = nextDeadlineFor(check);
  if (due === null) return null;
  const source = await tx.getSource(check.origin.sourceId);
  if (source === null || !adapterFor(source.kind).readsRuns) return null;
  if (source.lastSuccessAt !== null && source.lastSuccessAt >= due) return null;
  return Math.max(source.nextSyncAt, now) + AFTER_SYNC_MS;
}
