// Reading cron.job_run_details incrementally: the cursor remembers the highest run id seen and
// the runs seen unfinished, so each sync reads only what is new or may have changed, and a run
// is neither fed twice nor skipped across restarts (the cursor commits with the pings). Pure.
import type { RunEvent } from './adapter.ts';

/** A row of cron.job_run_details as the adapter reads it. */
export interface RunRow {
  runid: number;
  jobid: string;
  /** starting, running, sending, connecting (libpq mode), succeeded, failed */
  status: string;
  returnMessage: string | null;
  startTime: number | null;
  endTime: number | null;
}

export interface RunCursor {
  /** the highest run id read so far */
  last: number;
  /** unfinished runs whose start was fed in */
  open: number[];
  /** unfinished runs seen before pg_cron gave them a start time (status `starting`) */
  waiting: number[];
}

/** Most rows one sync reads; the next sync goes on from where this one stopped. */
export const RUNS_PER_SYNC = 5000;
/** A source's first sync reads about this many of the newest runs, not its whole history. */
export const FIRST_SYNC_RUNS = 1000;
/** Unfinished runs remembered at most; a job that never finishes its runs cannot grow the cursor. */
const MAX_UNFINISHED = 1000;

export function parseCursor(text: string | null): RunCursor | null {
  if (text === null) return null;
  try {
    const c = JSON.parse(text) as Partial<RunCursor>;
    if (typeof c.last !== 'number' || !Number.isSafeInteger(c.last)) return null;
    return { last: c.last, open: ids(c.open), waiting: ids(c.waiting) };
  } catch {
    return null;
  }
}

function ids(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((v): v is number => Number.isSafeInteger(v)) : [];
}

/** Where a source with no cursor starts: the newest runs only, below `maxRunid`. */
export function firstCursor(maxRunid: number): RunCursor {
  return { last: Math.max(0, maxRunid - FIRST_SYNC_RUNS), open: [], waiting: [] };
}

/** The run ids to read again besides those above `last`. */
export function unfinished(cursor: RunCursor): number[] {
  return [...cursor.open, ...cursor.waiting];
}

const FINISHED: Record<string, 'success' | 'fail'> = { succeeded: 'success', failed: 'fail' };

/**
 * The run events in `rows` (ordered by run id) that vigil has not fed in yet, and the cursor
 * after them. A start goes once per run, when its start time is known; an end carries the
 * run's duration when vigil never fed its start (the state machine times the others).
 * `now` stands in for a time pg_cron did not record.
 */
export function readRuns(
  rows: RunRow[],
  cursor: RunCursor,
  now: number,
): { runs: RunEvent[]; cursor: RunCursor } {
  const started = new Set(cursor.open);
  const runs: RunEvent[] = [];
  const open: number[] = [];
  const waiting: number[] = [];
  let last = cursor.last;
  for (const row of rows) {
    last = Math.max(last, row.runid);
    const base = { key: row.jobid, runId: String(row.runid) };
    const end = FINISHED[row.status];
    if (end !== undefined) {
      const fedStart = started.has(row.runid);
      const durationMs =
        !fedStart && row.startTime !== null && row.endTime !== null ? row.endTime - row.startTime : null;
      const at = row.endTime ?? row.startTime ?? now;
      runs.push({ ...base, kind: end, at, durationMs, body: row.returnMessage });
    } else if (row.startTime !== null) {
      if (!started.has(row.runid)) {
        runs.push({ ...base, kind: 'start', at: row.startTime, durationMs: null, body: null });
      }
      open.push(row.runid);
    } else {
      waiting.push(row.runid);
    }
  }
  // Unfinished runs that did not come back were deleted (pg_cron's history is often pruned):
  // nothing more will be told about them, and the state machine's limits take care of them.
  return {
    runs,
    cursor: { last, open: newest(open, MAX_UNFINISHED), waiting: newest(waiting, MAX_UNFINISHED) },
  };
}

function newest(runids: number[], max: number): number[] {
  return runids.length <= max ? runids : runids.slice(-max);
}
