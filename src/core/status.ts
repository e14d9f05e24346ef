// The check state machine: (state, input, now) -> new state and at most one flip.
// Pure: no clock reads, no I/O, and the given state is never mutated, so the shells can
// retry, replay and test it with plain values.

import { describeSchedule, formatDuration, nextDue } from './schedule.ts';
import type { CheckState, EventKind, Flip, Input, OpenRuns, Schedule, Status, Transition } from './types.ts';

// A job that sends starts with fresh run ids and never ends them must not grow the row
// without bound; the oldest runs are forgotten first.
export const MAX_OPEN_RUNS = 16;

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
  return state.lastPingAt === null ? null : nextDue(state.schedule, state.lastPingAt);
}

function graceMs(schedule: Schedule): number {
  return schedule.kind === 'none' ? 0 : schedule.grace * 1000;
}

/** The schedule's next deadline: going late (up) or going down (late); none otherwise. */
function scheduleDeadline(state: CheckState): number | null {
  if (state.status !== 'up' && state.status !== 'late') return null;
  const due = dueAt(state);
  if (due === null) return null;
  return state.status === 'up' ? due : due + graceMs(state.schedule);
}

function oldestRun(runs: OpenRuns): number | null {
  let oldest: number | null = null;
  for (const started of Object.values(runs)) if (oldest === null || started < oldest) oldest = started;
  return oldest;
}

/** When the oldest open run exceeds the max runtime; a down or paused check has no runtime deadline. */
function runtimeDeadline(state: CheckState): number | null {
  if (state.maxRuntime === null || state.status === 'down' || state.status === 'paused') return null;
  const oldest = oldestRun(state.openRuns);
  return oldest === null ? null : oldest + state.maxRuntime * 1000;
}

/** The earliest pending deadline of a state, as the store should keep it; null when none. */
export function nextDeadlineFor(state: CheckState): number | null {
  const deadlines = [scheduleDeadline(state), runtimeDeadline(state)].filter((d) => d !== null);
  return deadlines.length === 0 ? null : Math.min(...deadlines);
}

function settle(state: CheckState, now: number): CheckState {
  // A ping can land after an open run's runtime deadline but before the scheduler got to
  // it; clamping keeps "nextDeadline <= now" meaning "act now" without inventing the past.
  const deadline = nextDeadlineFor(state);
  return { ...state, nextDeadline: deadline === null ? null : Math.max(deadline, now) };
}

function result(
  before: CheckState,
  after: CheckState,
  now: number,
  reason: string,
  extra: Partial<Pick<Transition, 'durationMs' | 'ignored'>> = {},
): Transition {
  const state = settle(after, now);
  const flip: Flip | null =
    before.status === state.status ? null : { from: before.status, to: state.status, at: now, reason };
  return { state, flip, durationMs: extra.durationMs ?? null, ignored: extra.ignored ?? false };
}

function unchanged(state: CheckState, ignored = false): Transition {
  return { state, flip: null, durationMs: null, ignored };
}

function expectation(schedule: Schedule): string {
  const words = describeSchedule(schedule);
  return words.startsWith('cron ') ? `expected a ping per ${words}` : `expected a ping ${words}`;
}

function onDeadline(state: CheckState, now: number): Transition {
  if (state.nextDeadline === null || now < state.nextDeadline) return unchanged(state);

  const runtime = runtimeDeadline(state);
  if (runtime !== null && now >= runtime) {
    const limit = (state.maxRuntime ?? 0) * 1000;
    const openRuns: OpenRuns = {};
    const exceeded: string[] = [];
    // Every run past its limit goes, not only the oldest, so none of them fires again.
    for (const [runId, started] of Object.entries(state.openRuns)) {
      if (now >= started + limit) exceeded.push(runId);
      else openRuns[runId] = started;
    }
    const named = exceeded.length === 1 && exceeded[0] !== '' ? `run "${exceeded[0]}"` : 'run';
    const reason = `${named} exceeded max runtime (${formatDuration(limit)})`;
    return result(state, { ...state, status: 'down', openRuns }, now, reason);
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
  const { [runId]: _restarted, ...rest } = runs;
  const entries = Object.entries(rest).sort((a, b) => a[1] - b[1]);
  const kept = entries.slice(Math.max(0, entries.length - (MAX_OPEN_RUNS - 1)));
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
  const base: CheckState = state.status === 'paused' ? { ...state, status: 'new' } : state;
  // An exit ping without a status counts as a failure: silence about success is not success.
  const failed = input.kind === 'fail' || (input.kind === 'exit' && input.exitStatus !== 0);

  if (input.kind === 'start') {
    const openRuns = openRun(base.openRuns, input.runId ?? '', now);
    // The start re-anchors the schedule, so a long job is not called late while it runs.
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
    return result(state, { ...pinged, status: 'down', failureCount }, now, reason, { durationMs });
  }
  // Below the threshold the job did report in, so a new or late check counts as up.
  const status: Status = base.status === 'new' || base.status === 'late' ? 'up' : base.status;
  const reason = `ping received (${words}; failure ${failureCount} of ${threshold} before down)`;
  return result(state, { ...pinged, status, failureCount }, now, reason, { durationMs });
}

export function transition(state: CheckState, input: Input, now: number): Transition {
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
  }
}

/**
 * What a flip means for notifications. Only going down, coming back from down, and going
 * late are news; a first ping, a late check catching up, pausing and resuming are not.
 */
export function eventForFlip(flip: Flip): EventKind | null {
  if (flip.to === 'down') return 'down';
  if (flip.to === 'late') return 'late';
  if (flip.from === 'down' && flip.to === 'up') return 'up';
  return null;
}
