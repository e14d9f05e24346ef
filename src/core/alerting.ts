// Noise control, decided without I/O: whether a flip's alert goes now, waits for a
// maintenance window to end, or is not sent at all; when reminders fall due; and what a held
// alert becomes when its window ends.
import type { Hold } from './maintenance.ts';
import { formatDuration } from './schedule.ts';
import { type AlertState, DOWN_EVENTS, type EventKind, type Schedule, type Status } from './types.ts';

export interface AlertDecision {
  alert: AlertState;
  note: string | null;
  /** for held and grace: when to look at it again */
  releaseAt: number | null;
}

/** The part of a flip these decisions read. */
export interface AlertedFlip {
  id: number;
  to: Status;
  event: EventKind | null;
  alert: AlertState | null;
}

export function holdNote(hold: Hold): string {
  return `held by maintenance window "${hold.window.name}" until ${new Date(hold.until).toISOString()}`;
}

/**
 * What happens to the alert of a new flip with `event`. A recovery is news only when the
 * down alert before it went out (`downFlip`: the flip that made the check down): an outage
 * nobody was told about needs no all-clear. Everything else is queued, or held while a
 * maintenance window covers the check.
 */
export function decideAlert(
  event: EventKind,
  hold: Hold | null,
  downFlip: AlertedFlip | null,
): AlertDecision {
  if (event === 'up' && !wasSent(downFlip)) {
    return { alert: 'suppressed', note: 'no down alert was sent for this outage', releaseAt: null };
  }
  if (hold !== null) return { alert: 'held', note: holdNote(hold), releaseAt: hold.until };
  return { alert: 'queued', note: null, releaseAt: null };
}

/** Whether a flip's alert went out (queued at once, or released after a hold). */
export function wasSent(flip: AlertedFlip | null): boolean {
  return flip !== null && (flip.alert === 'queued' || flip.alert === 'released');
}

/** The part of a check a release decision reads. */
export interface ReleaseCheck {
  status: Status;
  schedule: Schedule;
  /** the check's newest flip */
  lastFlipId: number | null;
}

export type Release =
  /** still inside a window: look again then */
  | { action: 'hold'; until: number; note: string }
  /** pings were missed during the window: the check gets a fresh grace before the alert goes */
  | { action: 'grace'; until: number; note: string }
  | { action: 'send' }
  | { action: 'drop'; note: string };

/**
 * What a held (or grace) alert becomes at `now`. An alert about a state the check has since
 * left is dropped: it recovered during the window, so nobody needs to hear of it. A problem
 * caused by missed pings (down, late) gets a fresh grace from the window's end, since the job
 * may simply have been paused for the maintenance; a failed or too-long run is sent at once.
 * A recovery held because the down alert went out before the window is sent.
 */
export function decideRelease(
  flip: AlertedFlip,
  check: ReleaseCheck,
  hold: Hold | null,
  now: number,
): Release {
  if (hold !== null) return { action: 'hold', until: hold.until, note: holdNote(hold) };
  if (flip.id !== check.lastFlipId || check.status !== flip.to) {
    return { action: 'drop', note: `the check became ${check.status} before the alert was released` };
  }
  const missed = flip.event === 'down' || flip.event === 'late';
  if (missed && flip.alert === 'held') {
    const grace = check.schedule.kind === 'none' ? 0 : check.schedule.grace * 1000;
    if (grace > 0) {
      return {
        action: 'grace',
        until: now + grace,
        note: `maintenance ended; fresh grace of ${formatDuration(grace)} before the alert`,
      };
    }
  }
  return { action: 'send' };
}

/**
 * Milliseconds between reminders for a check that stays down: its own `realertEvery`
 * (seconds), but never less than the project's silence period; null when it has none.
 */
export function reminderInterval(realertEvery: number | null, silencePeriod: number): number | null {
  if (realertEvery === null || realertEvery <= 0) return null;
  return Math.max(realertEvery, silencePeriod) * 1000;
}

/** When the first reminder after an alert sent at `sentAt` is due; null for none. */
export function firstReminder(
  event: EventKind,
  sentAt: number,
  realertEvery: number | null,
  silencePeriod: number,
): number | null {
  const every = reminderInterval(realertEvery, silencePeriod);
  return every !== null && DOWN_EVENTS.includes(event) ? sentAt + every : null;
}
