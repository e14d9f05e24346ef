// Reading cron.job_run_details by cursor (pure; no database): each run is told once, its start
// when pg_cron has given it one, its end with the run's own times.
import { describe, expect, it } from 'vitest';
import {
  FIRST_SYNC_RUNS,
  firstCursor,
  parseCursor,
  type RunRow,
  readRuns,
  unfinished,
} from '../../src/sources/pg-cron-runs.ts';

const T = Date.UTC(2026, 0, 5, 12, 0, 0);
const NOW = T + 3_600_000;

function row(
  runid: number,
  status: string,
  start: number | null,
  end: number | null = null,
  message = '',
): RunRow {
  return { runid, jobid: '1', status, returnMessage: message || null, startTime: start, endTime: end };
}

describe('readRuns', () => {
  it('tells a finished run as its end, with its duration, when its start was never seen', () => {
    const { runs, cursor } = readRuns([row(5, 'succeeded', T, T + 1500, 'SELECT 1')], firstCursor(4), NOW);
    expect(runs).toEqual([
      { key: '1', kind: 'success', runId: '5', at: T + 1500, durationMs: 1500, body: 'SELECT 1' },
    ]);
    expect(cursor).toEqual({ last: 5, open: [], waiting: [] });
  });

  it('tells a failed run as a failure with its message', () => {
    const { runs } = readRuns([row(5, 'failed', T, T + 10, 'ERROR:  disk full')], firstCursor(0), NOW);
    expect(runs).toMatchObject([{ kind: 'fail', at: T + 10, body: 'ERROR:  disk full' }]);
  });

  it('tells a running run as a start once, then its end without a duration of its own', () => {
    const first = readRuns([row(5, 'running', T)], firstCursor(4), NOW);
    expect(first.runs).toEqual([
      { key: '1', kind: 'start', runId: '5', at: T, durationMs: null, body: null },
    ]);
    expect(first.cursor).toEqual({ last: 5, open: [5], waiting: [] });
    expect(unfinished(first.cursor)).toEqual([5]);

    const again = readRuns([row(5, 'running', T)], first.cursor, NOW);
    expect(again.runs).toEqual([]);
    expect(again.cursor).toEqual(first.cursor);

    // the state machine times it from the start it was told
    const done = readRuns([row(5, 'succeeded', T, T + 9000)], again.cursor, NOW);
    expect(done.runs).toEqual([
      { key: '1', kind: 'success', runId: '5', at: T + 9000, durationMs: null, body: null },
    ]);
    expect(done.cursor).toEqual({ last: 5, open: [], waiting: [] });
  });

  it('waits for the start time of a run pg_cron is still starting, and keeps reading it', () => {
    const starting = readRuns([row(5, 'starting', null)], firstCursor(4), NOW);
    expect(starting.runs).toEqual([]);
    expect(starting.cursor).toEqual({ last: 5, open: [], waiting: [5] });
    expect(unfinished(starting.cursor)).toEqual([5]);
    const running = readRuns([row(5, 'running', T)], starting.cursor, NOW);
    expect(running.runs).toMatchObject([{ kind: 'start', at: T }]);
    expect(running.cursor).toEqual({ last: 5, open: [5], waiting: [] });
  });

  it('forgets unfinished runs whose rows were deleted', () => {
    const { runs, cursor } = readRuns([], { last: 9, open: [5], waiting: [7] }, NOW);
    expect(runs).toEqual([]);
    expect(cursor).toEqual({ last: 9, open: [], waiting: [] });
  });

  it('keeps run id order, and moves the cursor to the highest run read', () => {
    const { runs, cursor } = readRuns(
      [row(3, 'succeeded', T, T + 1), row(8, 'running', T + 5), row(9, 'failed', T + 6, T + 7)],
      { last: 7, open: [3], waiting: [] },
      NOW,
    );
    expect(runs.map((r) => `${r.runId}:${r.kind}`)).toEqual(['3:success', '8:start', '9:fail']);
    expect(cursor).toEqual({ last: 9, open: [8], waiting: [] });
  });

  it('uses the sync time for a run pg_cron recorded no time for', () => {
    const { runs } = readRuns([row(5, 'failed', null, null, 'job startup timeout')], firstCursor(4), NOW);
    expect(runs).toMatchObject([{ kind: 'fail', at: NOW, durationMs: null }]);
  });
});

describe('the cursor', () => {
  it('starts a new source at its newest runs, not its whole history', () => {
    expect(firstCursor(50)).toEqual({ last: 0, open: [], waiting: [] });
    expect(firstCursor(FIRST_SYNC_RUNS + 20).last).toBe(20);
  });

  it('reads back what it wrote, and treats anything else as no cursor', () => {
    const cursor = { last: 12, open: [10], waiting: [11] };
    expect(parseCursor(JSON.stringify(cursor))).toEqual(cursor);
    expect(parseCursor(JSON.stringify({ last: 12 }))).toEqual({ last: 12, open: [], waiting: [] });
    expect(parseCursor(null)).toBeNull();
    expect(parseCursor('not json')).toBeNull();
    expect(parseCursor('{"last":"12"}')).toBeNull();
  });
});
