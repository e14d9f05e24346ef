// The domain's plain values. Times are epoch milliseconds; schedule lengths are seconds
// (as users write them). Nothing here does I/O.

/**
 * `unknown`: vigil cannot see the job right now (its source, e.g. a pg_cron database, is
 * unreachable), so the check has no deadline until it can again; see the blind and sight inputs.
 */
export const STATUSES = ['new', 'up', 'late', 'down', 'paused', 'unknown'] as const;
export type Status = (typeof STATUSES)[number];

export const SEVERITIES = ['critical', 'important', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type Schedule =
  | { kind: 'interval'; period: number; grace: number }
  | { kind: 'cron'; expression: string; timezone: string; grace: number }
  | { kind: 'none' };

/**
 * What a job can tell us. `exit` carries an exit status: 0 is success, anything else a failure.
 * `warn` (alive but not well, e.g. a degraded daemon) is sent only by the compat APIs: the
 * public ping routes do not accept it.
 */
export type PingKind = 'success' | 'start' | 'fail' | 'log' | 'exit' | 'warn';

/** Open runs: run id ('' for a start sent without one) -> when it started. */
export type OpenRuns = Record<string, number>;

/** The part of a check the state machine reads and writes. */
export interface CheckState {
  status: Status;
  schedule: Schedule;
  /** seconds; a started run must end within this, or the check goes down */
  maxRuntime: number | null;
  /** consecutive failures before the check is down (>= 1) */
  failureThreshold: number;
  /** a down check stays down until resumed by hand */
  manualResume: boolean;
  /** last ping that counts (success, fail, start, exit); `log` does not */
  lastPingAt: number | null;
  /** consecutive failures so far */
  failureCount: number;
  openRuns: OpenRuns;
  /** when the check changes state if nothing arrives; null when nothing is pending */
  nextDeadline: number | null;
  /** an http check's probe: its results arrive up to its timeout after they are due */
  probe?: Probe | null;
}

/** An active check: vigil requests the URL every schedule period and records the result as a ping. */
export interface Probe {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  url: string;
  /** status codes that count as success, e.g. ["200-299", "301"] */
  expectedStatus: string[];
  /** the response body must contain (`contains`) or must not contain (`not_contains`) this */
  keyword: string | null;
  keywordMode: 'contains' | 'not_contains';
  /** seconds */
  timeout: number;
  headers: Record<string, string>;
  body: string | null;
}

export type Input =
  | { type: 'ping'; kind: PingKind; exitStatus?: number; runId?: string | null }
  | { type: 'deadline' }
  | { type: 'pause' }
  | { type: 'resume' }
  /** the check's source cannot be read: new, up and late checks become unknown */
  | { type: 'blind' }
  /** the source can be read again (after its missed runs were fed in): unknown checks resume */
  | { type: 'sight' };

export interface Flip {
  from: Status;
  to: Status;
  at: number;
  /** in words, e.g. "no ping for 5 minutes", "run exceeded max runtime (10 s)" */
  reason: string;
  /** for a flip to down: why — a failed run or a run past its limit; absent for missed pings */
  cause?: 'failed' | 'too_long';
}

export interface Transition {
  state: CheckState;
  /** present when the status changed */
  flip: Flip | null;
  /** for an end ping that matched an open run: end − start, in ms */
  durationMs: number | null;
  /** for a ping: whether it changed nothing because it was ignored (e.g. paused + manual resume) */
  ignored: boolean;
}

/**
 * What a notification says happened; decided from a flip. `down`: pings stopped coming;
 * `failed`: a run reported failure; `too_long`: a run went past its limit; `late`: a ping is
 * overdue and the grace period has started; `up`: a down check is back.
 */
export const EVENT_KINDS = ['down', 'failed', 'too_long', 'late', 'up'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** The events that mean the check is down. */
export const DOWN_EVENTS: readonly EventKind[] = ['down', 'failed', 'too_long'];

/**
 * What became of a flip's alert. queued: notifications were queued (or would have been, had
 * any channel taken them); held: a maintenance window holds it until its release time; grace:
 * the window ended and the check has a fresh grace before the alert goes; released: held, then
 * queued; dropped: held, and the check recovered before release; suppressed: a recovery whose
 * down alert was never sent.
 */
export type AlertState = 'queued' | 'held' | 'grace' | 'released' | 'dropped' | 'suppressed';
