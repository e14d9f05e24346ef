// Writing the consequence with the cause: a check's new state, its flip and the outbox
// rows for that flip go into the caller's transaction together.
import { type AlertDecision, decideAlert, firstReminder, wasSent } from '../core/alerting.ts';
import { holdAt } from '../core/maintenance.ts';
import { eventForFlip } from '../core/status.ts';
import type { CheckState, EventKind, PingKind, Transition } from '../core/types.ts';
import { DEFAULT_SILENCE_PERIOD } from '../projects/keys.ts';
import { copyCheck } from '../store/rows.ts';
import type { Check, FlipRow, Project, Tx } from '../store/store.ts';
import { ConflictError } from '../store/store.ts';
import { queueAlert } from './queue-alerts.ts';

export interface CommitContext {
  baseUrl: string;
  /** body of the ping that caused the transition, when a ping did */
  pingBody?: string | null;
}

export interface Committed {
  check: Check;
  flipId: number | null;
  /** how many notifications were queued */
  queued: number;
  /** the flip, when the status changed */
  flip?: FlipRow;
  /** an incident (down period) this commit opened or resolved */
  incident?: { id: number; change: 'opened' | 'resolved' };
  /** the ping behind the commit, when a ping caused it */
  ping?: { n: number; at: number; kind: PingKind; exitStatus: number | null; durationMs: number | null };
}

export { ConflictError };

/**
 * `check` with the state machine's own fields of `s` (its result may carry stale copies of the
 * others) and the bookkeeping of a write at `now`: a fresh copy, for the caller to set more on.
 */
function nextCheck(check: Check, s: CheckState, flipped: boolean, now: number): Check {
  const next = copyCheck(check);
  next.status = s.status;
  next.schedule = s.schedule;
  next.maxRuntime = s.maxRuntime;
  next.failureThreshold = s.failureThreshold;
  next.manualResume = s.manualResume;
  next.lastPingAt = s.lastPingAt;
  next.failureCount = s.failureCount;
  next.openRuns = s.openRuns;
  next.nextDeadline = s.nextDeadline;
  if (flipped) next.statusChangedAt = now;
  next.rev = check.rev + 1;
  next.updatedAt = now;
  return next;
}

export async function commitTransition(
  tx: Tx,
  check: Check,
  t: Transition,
  now: number,
  ctx: CommitContext,
): Promise<Committed> {
  const event = t.flip ? eventForFlip(t.flip) : null;
  let decision: AlertDecision | null = null;
  let downFlip: FlipRow | null = null;
  let project: Project | null | undefined;
  // a fresh copy: set in place rather than copied again (this runs for every ping)
  const next = nextCheck(check, t.state, t.flip !== null, now);
  if (next.status !== 'down') {
    next.remindAt = null;
    next.remindersSent = 0;
  }
  if (event !== null) {
    const hold = holdAt(await tx.listMaintenance(check.projectId), check, now);
    // the flip that made the check down: whether its alert went out decides a recovery's
    if (event === 'up') downFlip = await tx.lastFlip(check.id);
    decision = decideAlert(event, hold, downFlip);
    if (decision.alert === 'queued') {
      project = await tx.getProject(check.projectId);
      const remindAt = firstReminder(
        event,
        now,
        check.realertEvery,
        project?.silencePeriod ?? DEFAULT_SILENCE_PERIOD,
      );
      next.remindAt = remindAt;
      next.remindersSent = 0;
    }
  }
  if (!(await tx.updateCheckState(next, check.rev)))
    throw new ConflictError(`check ${check.id} changed concurrently`);
  if (!t.flip) return { check: next, flipId: null, queued: 0 };

  const flipRow: Omit<FlipRow, 'id'> = {
    checkId: check.id,
    from: t.flip.from,
    to: t.flip.to,
    at: t.flip.at,
    reason: t.flip.reason,
    event,
    alert: decision?.alert ?? null,
    alertNote: decision?.note ?? null,
    releaseAt: decision?.releaseAt ?? null,
  };
  const flipId = await tx.insertFlip(flipRow);
  const flip: FlipRow = { id: flipId, ...flipRow };
  const incident = await trackIncident(tx, next, flip, event);
  const base = { check: next, flipId, queued: 0, flip, ...(incident ? { incident } : {}) };
  if (event === null || decision === null) return base;
  if (
    decision.alert === 'suppressed' &&
    downFlip !== null &&
    !wasSent(downFlip) &&
    downFlip.releaseAt !== null
  ) {
    // the down alert was still held: now there is nothing left to tell
    await tx.setFlipAlert(downFlip.id, 'dropped', 'the check recovered before the alert was released', null);
  }
  if (decision.alert !== 'queued') return base;
  const queued = await queueAlert(tx, next, flip, event, now, {
    baseUrl: ctx.baseUrl,
    pingBody: ctx.pingBody,
    downtimeMs: event === 'up' ? now - check.statusChangedAt : null,
    project,
  });
  return { ...base, queued };
}

/**
 * Incidents are down periods: a flip to down opens one, a flip out of down (up, paused,
 * resumed) resolves the open one. Held or not, the outage happened: maintenance decides
 * alerts, not history.
 */
async function trackIncident(
  tx: Tx,
  check: Check,
  flip: FlipRow,
  event: EventKind | null,
): Promise<Committed['incident']> {
  if (flip.to === 'down') {
    const id = await tx.insertIncident({
      projectId: check.projectId,
      checkId: check.id,
      flipId: flip.id,
      event: event ?? 'down',
      reason: flip.reason,
      openedAt: flip.at,
      resolvedAt: null,
      acknowledgedAt: null,
      acknowledgedBy: null,
    });
    return { id, change: 'opened' };
  }
  if (flip.from === 'down') {
    const open = await tx.openIncident(check.id);
    if (open === null) return undefined;
    await tx.resolveIncident(open.id, flip.at);
    return { id: open.id, change: 'resolved' };
  }
  return undefined;
}
