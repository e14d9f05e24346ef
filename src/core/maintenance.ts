// Maintenance windows: when a check's alerts are held. Pure: every function takes the time.
import { nextCronRun } from './schedule.ts';

/**
 * A one-off window has `startsAt`/`endsAt`; a recurring one a cron expression for its starts,
 * a duration and a timezone (e.g. "0 2 * * 0", 7200 s, Europe/Berlin: Sundays 02:00–04:00
 * local time, DST included). A window covers the listed checks and the checks carrying any
 * of the listed tags; with neither listed, the whole project.
 */
export type MaintenanceWindow =
  | (WindowScope & { id: string; name: string; kind: 'once'; startsAt: number; endsAt: number })
  | (WindowScope & {
      id: string;
      name: string;
      kind: 'recurring';
      cron: string;
      timezone: string;
      /** seconds */
      duration: number;
    });

export interface WindowScope {
  checkIds: readonly string[];
  tags: readonly string[];
}

export interface Occurrence {
  start: number;
  end: number;
}

/** The part of a check a window's scope reads. */
export interface ScopedCheck {
  id: string;
  tags: readonly string[];
}

/**
 * Occurrences of a recurring window looked at when finding the one that covers a time: more
 * only when windows overlap themselves (a duration longer than the gap between starts).
 */
const MAX_OVERLAPPING = 1000;

export function covers(window: WindowScope, check: ScopedCheck): boolean {
  if (window.checkIds.length === 0 && window.tags.length === 0) return true;
  return window.checkIds.includes(check.id) || window.tags.some((tag) => check.tags.includes(tag));
}

/** The occurrence of `window` that contains `at` (start <= at < end), latest end first; null if none. */
export function occurrenceAt(window: MaintenanceWindow, at: number): Occurrence | null {
  if (window.kind === 'once') {
    return window.startsAt <= at && at < window.endsAt
      ? { start: window.startsAt, end: window.endsAt }
      : null;
  }
  const durationMs = window.duration * 1000;
  // Starts in (at - duration, at] are the ones still running at `at`.
  const first = nextCronRun(window.cron, window.timezone, at - durationMs);
  if (first === null || first > at) return null;
  // Later starts that have begun by `at` (self-overlapping windows) push the end out.
  let end = first + durationMs;
  let start = nextCronRun(window.cron, window.timezone, first);
  for (let i = 0; start !== null && start <= at && i < MAX_OVERLAPPING; i++) {
    end = start + durationMs;
    start = nextCronRun(window.cron, window.timezone, start);
  }
  return { start: first, end };
}

/** The next `count` occurrences that end after `from` (the current one first, if any). */
export function upcoming(window: MaintenanceWindow, from: number, count: number): Occurrence[] {
  if (window.kind === 'once') {
    return window.endsAt > from ? [{ start: window.startsAt, end: window.endsAt }] : [];
  }
  const out: Occurrence[] = [];
  const current = occurrenceAt(window, from);
  if (current !== null) out.push(current);
  let start = nextCronRun(window.cron, window.timezone, current?.start ?? from);
  while (start !== null && out.length < count) {
    if (start > from) out.push({ start, end: start + window.duration * 1000 });
    start = nextCronRun(window.cron, window.timezone, start);
  }
  return out;
}

export interface Hold {
  window: MaintenanceWindow;
  /** when the last window covering the check at `at` ends, following windows that overlap */
  until: number;
}

/**
 * Whether `check`'s alerts are held at `at`, by which window, and until when. Where windows
 * overlap or touch, `until` runs to the end of the last of them, so a hold never lifts for
 * an instant between two windows.
 */
export function holdAt(windows: readonly MaintenanceWindow[], check: ScopedCheck, at: number): Hold | null {
  const mine = windows.filter((w) => covers(w, check));
  let first: MaintenanceWindow | null = null;
  let until = at;
  // Each pass looks at the end of the hold so far; windows running then extend it.
  for (let i = 0; i <= mine.length; i++) {
    const probe = until;
    for (const window of mine) {
      const occurrence = occurrenceAt(window, probe);
      if (occurrence !== null && occurrence.end > until) {
        first ??= window;
        until = occurrence.end;
      }
    }
    if (until === probe) break;
  }
  return first === null ? null : { window: first, until };
}
