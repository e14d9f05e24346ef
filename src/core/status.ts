// The check state machine: (state, input, now) -> new state and at most one flip.
// Pure: no clock reads, no I/O, and the given state is never mutated, so the shells can
// retry, replay and test it with plain values.

import { describeSchedule, formatDuration, nextDue } from './schedule.ts';
import type { CheckState, EventKind, Flip, Input, OpenRuns, Schedule, Status, Transition } from './types.ts';

// A job that sends starts with fresh run ids and never ends them must not grow the row
// without bound; at the cap the newest open runs make room (see openRun).
export const MAX_OPEN_RUNS = 16;

/** Seconds an http check's result may come after its probe's timeout before the check is late. */
export const PROBE_SLACK_SECONDS = 5;

export interface CheckOptions {
  maxRuntime?: number | null;
  failureThreshold?: number;
  manualResume?: boolean;
}

/** A check that has never been pinged: status new, nothing pending. */
export function newCheckState(schedule: Schedule, options: CheckOptions = {}): CheckState {
  return {
    status: 'new',
    schedule,
    maxRuntime: options.maxRuntime ?? null,
    failureThreshold: Math.max(1, options.failureThreshold ?? 1),
    manualResume: options.manualResume ?? false,
    lastPingAt: null,
    failureCount: 0,
    openRuns: {},
    nextDeadline: null,
  };
}

/** When a check in `up` goes late: the schedule's next time after the last ping. */
function dueAt(state: CheckState): number | null {
  const due = state.lastPingAt === null ? null : nextDue(state.schedule, state.lastPingAt);
  if (due === null || !state.probe) return due;
  // A probe starts when due and its result lands up to its timeout later (and a little more
  // for the prober's own scheduling): calling the check late at the period itself would
  // flip it up -> late -> up whenever one answer is slower than the one before.
  return due + (state.probe.timeout + PROBE_SLACK_SECONDS) * 1000;
}

function graceMs(schedule: Schedule): number {
  return schedule.kind === 'none' ? 0 : schedule.grace * 1000;
}

/**
 * The schedule's next deadline: going late (up) or going down (late); none otherwise.
 * Suspended while runs are open: each run has its own limit instead (runDeadline).
 */
function scheduleDeadline(state: CheckState): number | null {
  if (state.status !== 'up' && state.status !== 'late') return null;
  if (hasOpenRuns(state)) return null;
  const due = dueAt(state);
  if (due === null) return null;
  return state.status === 'up' ? due : due + graceMs(state.schedule);
}

function hasOpenRuns(state: CheckState): boolean {
  return Object.keys(state.openRuns).length > 0;
}

/**
 * When a run started at `started` is overdue: after the max runtime when one is set, else
 * when the schedule would call the job down had the start been a ping. Nothing completed
 * since the run began, so the schedule owes it no more than one period and the grace.
 * Event checks without a max runtime give runs no limit.
 */
function runLimit(state: CheckState, started: number): number | null {
  if (state.maxRuntime !== null) return started + state.maxRuntime * 1000;
  const due = nextDue(state.schedule, started);
  return due === null ? null : due + graceMs(state.schedule);
}

/**
 * The earliest open run's limit. A down or paused check has no run deadline, nor has an unknown
 * one: its run may well have ended, where vigil cannot see it.
 */
function runDeadline(state: CheckState): number | null {
  if (state.status === 'down' || state.status === 'paused' || state.status === 'unknown') return null;
  let earliest: number | null = null;
  for (const started of Object.values(state.openRuns)) {
    const limit = runLimit(state, started);
    if (limit !== null && (earliest === null || limit < earliest)) earliest = limit;
  }
  return earliest;
}

/** The earliest pending deadline of a state, as the store should keep it; null when none. */
export function nextDeadlineFor(state: CheckState): number | null {
  const deadlines = [scheduleDeadline(state), runDeadline(state)].filter((d) => d !== null);
  return deadlines.length === 0 ? null : Math.min(...deadlines);
}

function settle(state: CheckState, now: number): CheckState {
  // A ping can land after an open run's limit but before the scheduler got to
  // it; clamping keeps "nextDeadline <= now" meaning "act now" without inventing the past.
  const deadline = nextDeadlineFor(state);
  return { ...state, nextDeadline: deadline === null ? null : Math.max(deadline, now) };
}

function result(
  before: CheckState,
  after: CheckState,
  now: number,
  reason: string,
  extra: Partial<Pick<Transition, 'durationMs' | 'ignored'> & Pick<Flip, 'cause'>> = {},
): Transition {
  const state = settle(after, now);
  let flip: Flip | null = null;
  if (before.status !== state.status) {
    flip = { from: before.status, to: state.status, at: now, reason };
    if (extra.cause !== undefined && state.status === 'down') flip.cause = extra.cause;
  }
  return { state, flip, durationMs: extra.durationMs ?? null, ignored: extra.ignored ?? false };
}

function unchanged(state: CheckState, ignored = false): Transition {
  return { state, flip: null, durationMs: null, ignored };
}

function expectation(schedule: Schedule): string {
  const words = describeSchedule(schedule);
  return words.startsWith('cron ') ? `expected a ping per ${words}` : `expected a ping ${words}`;
}

/** Why the runs past their limit make the check down, in words. */
function overdueReason(state: CheckState, overdue: [runId: string, started: number][], now: number): string {
  const named = overdue.length === 1 && overdue[0]![0] !== '' ? `run "${overdue[0]![0]}"` : 'run';
  if (state.maxRuntime !== null) {
    return `${named} exceeded max runtime (${formatDuration(state.maxRuntime * 1000)})`;
  }
  const oldest = Math.min(...overdue.map(([, started]) => started));
  const ago = formatDuration(now - oldest);
  const what =
    overdue.length === 1
      ? `${named} started ${ago} ago and has not finished`
      : `${overdue.length} runs have not finished, the oldest started ${ago} ago`;
  return `${what}; ${expectation(state.schedule)}`;
}

function onDeadline(state: CheckState, now: number): Transition {
  if (state.nextDeadline === null || now < state.nextDeadline) return unchanged(state);

  if (hasOpenRuns(state)) {
    // The schedule waits while runs are open; only a run past its own limit fires.
    if (state.status === 'down' || state.status === 'paused') return result(state, state, now, '');
    const openRuns: OpenRuns = {};
    const overdue: [string, number][] = [];
    // Every run past its limit goes, not only the oldest, so none of them fires again.
    for (const [runId, started] of Object.entries(state.openRuns)) {
      const limit = runLimit(state, started);
      if (limit !== null && now >= limit) overdue.push([runId, started]);
      else openRuns[runId] = started;
    }
    if (overdue.length === 0) return result(state, state, now, '');
    return result(state, { ...state, status: 'down', openRuns }, now, overdueReason(state, overdue, now), {
      cause: 'too_long',
    });
  }

  const due = dueAt(state);
  if (due !== null && (state.status === 'up' || state.status === 'late')) {
    // Reaching the stored deadline is enough: after vigil's own downtime the scheduler may
    // have pushed it past due + grace, and the check must still go down when it arrives.
    const since = `last ping ${formatDuration(now - (state.lastPingAt ?? now))} ago`;
    if (now >= due + graceMs(state.schedule)) {
      return result(state, { ...state, status: 'down' }, now, `${expectation(state.schedule)}; ${since}`);
    }
    if (state.status === 'up' && now >= due) {
      return result(
        state,
        { ...state, status: 'late' },
        now,
        `late: ${expectation(state.schedule)}; ${since}`,
      );
    }
  }
  // A stale deadline (the schedule changed, or the state moved on): nothing fires, and
  // the recomputed deadline lies after `now`, so the scheduler will not spin on it.
  return result(state, state, now, '');
}

type PingInput = Extract<Input, { type: 'ping' }>;

function closeRun(runs: OpenRuns, runId: string | null | undefined, now: number) {
  let key: string | undefined;
  // hasOwn, not `in`: a run id such as "toString" must not match Object.prototype.
  if (runId) key = Object.hasOwn(runs, runId) ? runId : undefined;
  else if (Object.hasOwn(runs, '')) key = '';
  else {
    // An end without a run id belongs to the most recent start.
    let latest = Number.NEGATIVE_INFINITY;
    for (const [id, started] of Object.entries(runs)) {
      if (started > latest) {
        latest = started;
        key = id;
      }
    }
  }
  if (key === undefined) return { openRuns: runs, durationMs: null };
  const { [key]: started, ...rest } = runs;
  return { openRuns: rest, durationMs: now - started! };
}

function openRun(runs: OpenRuns, runId: string, now: number): OpenRuns {
  // A run already open keeps its first start: nothing has completed since then, so a job
  // that keeps starting and never ends cannot push its own limit ahead of it.
  if (Object.hasOwn(runs, runId)) return runs;
  // At the cap, the newest open runs make room: the oldest carry the earliest limits, and
  // forgetting them would let a job that never finishes escape by starting often enough.
  const entries = Object.entries(runs).sort((a, b) => a[1] - b[1]);
  const kept = entries.slice(0, MAX_OPEN_RUNS - 1);
  return { ...Object.fromEntries(kept), [runId]: now };
}

function failureWords(input: PingInput): string {
  if (input.kind !== 'exit') return 'run failed';
  return input.exitStatus === undefined
    ? 'exited without a status'
    : `exited with status ${input.exitStatus}`;
}

function onPing(state: CheckState, input: PingInput, now: number): Transition {
  if (state.status === 'paused' && state.manualResume) return unchanged(state, true);
  if (input.kind === 'log') return unchanged(state);

  // A ping resumes a paused check, and then counts as if the check were new.
  // A ping to an unknown check (runs of a source read again after an outage) counts as it
  // would have on an up check, or a new one that never had a ping.
  const base: CheckState =
    state.status === 'paused'
      ? { ...state, status: 'new' }
      : state.status === 'unknown'
        ? { ...state, status: state.lastPingAt === null ? 'new' : 'up' }
        : state;
  if (input.kind === 'warn') return onWarning(state, base, now);
  // An exit ping without a status counts as a failure: silence about success is not success.
  const failed = input.kind === 'fail' || (input.kind === 'exit' && input.exitStatus !== 0);

  if (input.kind === 'start') {
    const openRuns = openRun(base.openRuns, input.runId ?? '', now);
    // The start counts as the last ping and brings a late check back, but while the run is
    // open its own limit replaces the schedule's deadline (see runLimit).
    const status: Status = base.status === 'late' ? 'up' : base.status;
    return result(state, { ...base, status, openRuns, lastPingAt: now }, now, 'run started');
  }

  const { openRuns, durationMs } = closeRun(base.openRuns, input.runId, now);
  const pinged = { ...base, openRuns, lastPingAt: now };

  if (!failed) {
    const stayDown = base.status === 'down' && base.manualResume;
    const status: Status = stayDown ? 'down' : 'up';
    const reason = base.status === 'down' ? 'success ping received' : 'ping received';
    return result(state, { ...pinged, status, failureCount: 0 }, now, reason, { durationMs });
  }

  const failureCount = base.failureCount + 1;
  const threshold = Math.max(1, base.failureThreshold);
  const words = failureWords(input);
  if (failureCount >= threshold) {
    const reason = threshold > 1 ? `${failureCount} consecutive failures (${words})` : words;
    return result(state, { ...pinged, status: 'down', failureCount }, now, reason, {
      durationMs,
      cause: 'failed',
    });
  }
  // Below the threshold the job did report in, so a new or late check counts as up.
  const status: Status = base.status === 'new' || base.status === 'late' ? 'up' : base.status;
  const reason = `ping received (${words}; failure ${failureCount} of ${threshold} before down)`;
  return result(state, { ...pinged, status, failureCount }, now, reason, { durationMs });
}

/**
 * A warning: the job is alive but not well. It counts as a ping (the schedule starts over)
 * and makes the check late, so its alert goes only to channels that take "late" events. It
 * is no failure and clears none, and it leaves open runs alone; a down check stays down, as
 * only a success ends an outage. (Rejected: a log ping plus a flag on the check, which would
 * have put a second source of status outside the state machine.)
 */
function onWarning(state: CheckState, base: CheckState, now: number): Transition {
  const status: Status = base.status === 'down' ? 'down' : 'late';
  return result(state, { ...base, status, lastPingAt: now }, now, 'warning received');
}

/**
 * The state machine's own fields, always in one shape. Callers pass whole checks (thirty
 * fields, in as many shapes as there are ways to build one); spreading those made every
 * copy below a slow, generic one, ten times the cost of the rest of a ping's transition.
 */
export function stateOf(s: CheckState): CheckState {
  return {
    status: s.status,
    schedule: s.schedule,
    maxRuntime: s.maxRuntime,
    failureThreshold: s.failureThreshold,
    manualResume: s.manualResume,
    lastPingAt: s.lastPingAt,
    failureCount: s.failureCount,
    openRuns: s.openRuns,
    nextDeadline: s.nextDeadline,
    probe: s.probe ?? null,
  };
}

export function transition(check: CheckState, input: Input, now: number): Transition {
  const state = stateOf(check);
  const t = step(state, input, now);
  // nothing changed: the caller's own state back
  return t.state === state ? { ...t, state: check } : t;
}

function step(state: CheckState, input: Input, now: number): Transition {
  switch (input.type) {
    case 'deadline':
      return onDeadline(state, now);
    case 'ping':
      return onPing(state, input, now);
    case 'pause':
      if (state.status === 'paused') return unchanged(state);
      return result(state, { ...state, status: 'paused', openRuns: {}, failureCount: 0 }, now, 'paused');
    case 'resume':
      if (state.status !== 'paused' && state.status !== 'down') return unchanged(state);
      return result(state, { ...state, status: 'new', openRuns: {}, failureCount: 0 }, now, 'resumed');
    case 'blind':
      // Down and paused checks keep their status: a down check's alert already went, and its
      // recovery must still be told when the source shows a success again.
      if (state.status !== 'new' && state.status !== 'up' && state.status !== 'late') return unchanged(state);
      return result(state, { ...state, status: 'unknown' }, now, 'source cannot be read');
    case 'sight': {
      if (state.status !== 'unknown') return unchanged(state);
      // Back to what the last ping says; a deadline that passed meanwhile fires at once.
      const status: Status = state.lastPingAt === null ? 'new' : 'up';
      return result(state, { ...state, status }, now, 'source can be read again');
    }
  }
}

/**
 * Re-evaluates a check whose settings were just edited (`state` already carries them).
 * A late check that the new schedule no longer calls past due (its next due time is
 * after `now`, or the schedule is none) comes back up. Otherwise only the deadline moves;
 * one already behind us becomes `now`, so the scheduler acts at once. New, down and
 * paused checks never flip here.
 */
export function reconfigure(state: CheckState, now: number): Transition {
  // A late check with an open run is not past due either: the run's own limit holds the
  // schedule (a start would have brought it back up anyway).
  if (state.status === 'late') {
    const due = hasOpenRuns(state) ? null : dueAt(state);
    if (due === null || due > now) return result(state, { ...state, status: 'up' }, now, 'schedule changed');
  }
  return result(state, state, now, '');
}

/**
 * What a flip means for notifications. Only going down, coming back from down, and going
 * late are news; a first ping, a late check catching up, pausing and resuming are not.
 */
export function eventForFlip(flip: Flip): EventKind | null {
  if (flip.to === 'down') return flip.cause ?? 'down';
  if (flip.to === 'late') return 'late';
  if (flip.from === 'down' && flip.to === 'up') return 'up';
  return null;
}
