// The alert timers the deadline sweep also runs: held alerts whose maintenance window (or
// fresh grace after it) has ended, and reminders for checks that stay down.
import { decideRelease, firstReminder, reminderInterval, wasSent } from '../core/alerting.ts';
import { holdAt } from '../core/maintenance.ts';
import { queueAlert } from '../ingest/queue-alerts.ts';
import { DEFAULT_SILENCE_PERIOD } from '../projects/keys.ts';
import { cachedReads } from '../store/read-cache.ts';
import type { Check, FlipRow, Tx } from '../store/store.ts';

export interface TimerContext {
  baseUrl: string;
}

export interface TimerResult {
  /** alerts released, reminders sent, and held alerts looked at again */
  handled: number;
  queued: number;
  /** checks whose row changed (their reminder time): for the caller to announce */
  changed: Check[];
}

/**
 * Looks at one held flip whose release time has come: holds it further while a window still
 * covers the check, gives a fresh grace, queues its alert, or drops it (see decideRelease).
 */
export async function releaseFlip(
  tx: Tx,
  flip: FlipRow,
  now: number,
  ctx: TimerContext,
): Promise<TimerResult> {
  const result: TimerResult = { handled: 1, queued: 0, changed: [] };
  const check = await tx.getCheck(flip.checkId);
  if (check === null || flip.event === null) {
    await tx.setFlipAlert(flip.id, 'dropped', 'the check was deleted', null);
    return result;
  }
  const hold = holdAt(await tx.listMaintenance(check.projectId), check, now);
  const last = await tx.lastFlip(check.id);
  const release = decideRelease(
    flip,
    { status: check.status, schedule: check.schedule, lastFlipId: last?.id ?? null },
    hold,
    now,
  );
  switch (release.action) {
    case 'hold':
      await tx.setFlipAlert(flip.id, 'held', release.note, release.until);
      return result;
    case 'grace':
      await tx.setFlipAlert(flip.id, 'grace', release.note, release.until);
      return result;
    case 'drop':
      await tx.setFlipAlert(flip.id, 'dropped', release.note, null);
      return result;
    case 'send':
      break;
  }
  await tx.setFlipAlert(flip.id, 'released', 'released after maintenance', null);
  // a recovery says how long the check was down: since the flip before it
  const before =
    flip.event === 'up' ? (await tx.listFlips(check.id, { limit: 1, after: flip.id }))[0] : undefined;
  const project = await tx.getProject(check.projectId);
  result.queued = await queueAlert(tx, check, flip, flip.event, now, {
    baseUrl: ctx.baseUrl,
    downtimeMs: before ? flip.at - before.at : null,
    project,
  });
  const remindAt = firstReminder(
    flip.event,
    now,
    check.realertEvery,
    project?.silencePeriod ?? DEFAULT_SILENCE_PERIOD,
  );
  if (remindAt !== null) {
    const next = { ...check, remindAt, remindersSent: 0, rev: check.rev + 1, updatedAt: now };
    if (await tx.updateCheckState(next, check.rev)) result.changed.push(next);
  }
  return result;
}

/**
 * Sends the next reminder for a check that stays down, unless a maintenance window covers it
 * now (the reminder then waits for the window's end) or its down alert never went out.
 */
export async function remind(tx: Tx, check: Check, now: number, ctx: TimerContext): Promise<TimerResult> {
  const result: TimerResult = { handled: 1, queued: 0, changed: [] };
  const project = await tx.getProject(check.projectId);
  const every = reminderInterval(check.realertEvery, project?.silencePeriod ?? DEFAULT_SILENCE_PERIOD);
  const downFlip = await tx.lastFlip(check.id);
  let next: Check;
  if (every === null || check.status !== 'down' || downFlip?.event == null || !wasSent(downFlip)) {
    next = { ...check, remindAt: null };
  } else {
    const hold = holdAt(await tx.listMaintenance(check.projectId), check, now);
    if (hold !== null) {
      next = { ...check, remindAt: hold.until };
    } else {
      const seq = check.remindersSent + 1;
      result.queued = await queueAlert(tx, check, downFlip, downFlip.event, now, {
        baseUrl: ctx.baseUrl,
        seq,
        project,
      });
      next = { ...check, remindAt: now + every, remindersSent: seq };
    }
  }
  next = { ...next, rev: check.rev + 1, updatedAt: now };
  if (await tx.updateCheckState(next, check.rev)) result.changed.push(next);
  return result;
}

/** Who claims the timers it runs, and until when (see Store.claimDueReleases). */
export interface TimerClaim {
  owner: string;
  until: number;
}

type TimerStore = { transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> } & Pick<
  Tx,
  'claimDueReleases' | 'claimDueReminders' | 'releaseFlipClaims' | 'releaseCheckClaims'
>;

/**
 * Claims every due release and reminder (up to `limit` of each) and runs them in one
 * transaction. The claims keep other nodes from doing the same work meanwhile; the writes
 * still guard themselves (rev compares, one outbox row per flip, channel and seq).
 */
export async function runAlertTimers(
  store: TimerStore,
  now: number,
  limit: number,
  ctx: TimerContext,
  claim: TimerClaim,
): Promise<TimerResult> {
  const [flips, checks] = await Promise.all([
    store.claimDueReleases(now, claim.until, limit, claim.owner),
    store.claimDueReminders(now, claim.until, limit, claim.owner),
  ]);
  const total: TimerResult = { handled: 0, queued: 0, changed: [] };
  if (flips.length === 0 && checks.length === 0) return total;
  const flipIds = flips.map((f) => f.id);
  const checkIds = checks.map((c) => c.id);
  await store
    .transaction(async (txn) => {
      // a window that ends releases many checks of one project at once: read it once
      const tx = cachedReads(txn);
      for (const seen of flips) {
        // re-read inside the transaction: another pass may have moved it since the claim
        const flip = await tx.getFlip(seen.id);
        if (flip === null || flip.releaseAt === null || flip.releaseAt > now) continue;
        add(total, await releaseFlip(tx, flip, now, ctx));
      }
      for (const seen of checks) {
        const check = await tx.getCheck(seen.id);
        if (check === null || check.remindAt === null || check.remindAt > now) continue;
        add(total, await remind(tx, check, now, ctx));
      }
      await tx.releaseFlipClaims(claim.owner, flipIds);
      await tx.releaseCheckClaims(claim.owner, checkIds);
    })
    .catch(async (err: unknown) => {
      // free them now, so the retry a second later need not wait for the claims to end
      await store.releaseFlipClaims(claim.owner, flipIds).catch(() => {});
      await store.releaseCheckClaims(claim.owner, checkIds).catch(() => {});
      throw err;
    });
  return total;
}

function add(total: TimerResult, r: TimerResult): void {
  total.handled += r.handled;
  total.queued += r.queued;
  total.changed.push(...r.changed);
}
