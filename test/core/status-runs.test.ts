import { describe, expect, it } from 'vitest';
import { MAX_OPEN_RUNS, transition } from '../../src/core/status.ts';
import type { CheckState, Input } from '../../src/core/types.ts';
import { check, deadline, HOUR, MINUTE, ping, T0 } from './fixtures.ts';

/** Feeds inputs at the given times; returns every transition. */
function feed(state: CheckState, steps: [at: number, input: Input][]) {
  return steps.map(([at, input]) => {
    const result = transition(state, input, at);
    state = result.state;
    return result;
  });
}

const last = <T>(list: T[]): T => list[list.length - 1]!;

describe('transition: max runtime', () => {
  const tenMinutes = (overrides: Partial<CheckState> = {}) => check({ maxRuntime: 600, ...overrides });

  it.each([
    ['new', tenMinutes()],
    [
      'up',
      tenMinutes({
        status: 'up',
        lastPingAt: T0 - MINUTE,
        schedule: { kind: 'interval', period: 3600, grace: 60 },
      }),
    ],
    [
      'late',
      tenMinutes({
        status: 'late',
        lastPingAt: T0 - HOUR,
        schedule: { kind: 'interval', period: 3600, grace: 3600 },
      }),
    ],
  ])('sets a deadline at start + max runtime for a %s check', (_status, state) => {
    expect(transition(state, ping('start'), T0).state.nextDeadline).toBe(T0 + 10 * MINUTE);
  });

  it('marks the check down when a run exceeds the max runtime, and drops the run', () => {
    const [, timeout] = feed(tenMinutes(), [
      [T0, ping('start')],
      [T0 + 10 * MINUTE, deadline],
    ]);
    expect(timeout!.state).toMatchObject({ status: 'down', openRuns: {}, nextDeadline: null });
    expect(timeout!.flip).toEqual({
      from: 'new',
      to: 'down',
      at: T0 + 10 * MINUTE,
      reason: 'run exceeded max runtime (10 minutes)',
      cause: 'too_long',
    });
  });

  it('names the run that exceeded the max runtime', () => {
    const [, timeout] = feed(tenMinutes(), [
      [T0, ping('start', 'nightly')],
      [T0 + 10 * MINUTE, deadline],
    ]);
    expect(timeout!.flip?.reason).toBe('run "nightly" exceeded max runtime (10 minutes)');
  });

  it('keeps only the runs still within the limit, so the dropped run cannot fire again', () => {
    const results = feed(tenMinutes(), [
      [T0, ping('start', 'a')],
      [T0 + 5 * MINUTE, ping('start', 'b')],
      [T0 + 10 * MINUTE, deadline],
    ]);
    expect(last(results).state.openRuns).toEqual({ b: T0 + 5 * MINUTE });
    const after = feed(last(results).state, [[T0 + 11 * MINUTE, ping('success', 'b')]]);
    expect(last(after).state).toMatchObject({ status: 'up', openRuns: {}, nextDeadline: T0 + 16 * MINUTE });
  });

  it('suspends the schedule deadline while a run is open: the max runtime is its limit', () => {
    const state = check({ maxRuntime: 3600, status: 'up', lastPingAt: T0 });
    expect(transition(state, ping('start'), T0 + MINUTE).state.nextDeadline).toBe(T0 + MINUTE + HOUR);
  });

  it('limits a run without a max runtime to one period and the grace after its start', () => {
    expect(transition(check(), ping('start'), T0).state).toMatchObject({
      status: 'new',
      openRuns: { '': T0 },
      nextDeadline: T0 + 6 * MINUTE,
    });
  });

  it('removes the runtime deadline when the run ends in time', () => {
    const [, end] = feed(tenMinutes({ schedule: { kind: 'none' } }), [
      [T0, ping('start')],
      [T0 + 3 * MINUTE, ping('success')],
    ]);
    expect(end!.state).toMatchObject({ status: 'up', openRuns: {}, nextDeadline: null });
    expect(end!.durationMs).toBe(3 * MINUTE);
  });

  it('does nothing when the runtime deadline input comes early', () => {
    const [started, early] = feed(tenMinutes(), [
      [T0, ping('start')],
      [T0 + 10 * MINUTE - 1, deadline],
    ]);
    expect(early!.state).toBe(started!.state);
    expect(early!.flip).toBeNull();
  });

  it('keeps the deadline due when a ping arrives after a run overran but before the sweep', () => {
    const [, other] = feed(tenMinutes(), [
      [T0, ping('start', 'a')],
      [T0 + 12 * MINUTE, ping('start', 'b')],
    ]);
    expect(other!.state.nextDeadline).toBe(T0 + 12 * MINUTE);
    const timeout = transition(other!.state, deadline, T0 + 12 * MINUTE);
    expect(timeout.state).toMatchObject({ status: 'down', openRuns: { b: T0 + 12 * MINUTE } });
  });
});

describe('transition: overlapping runs', () => {
  it.each([
    ['success', 'up'],
    ['fail', 'down'],
  ] as const)('matches a %s to its run by run id and measures each run', (end, status) => {
    const results = feed(check(), [
      [T0, ping('start', 'a')],
      [T0 + MINUTE, ping('start', 'b')],
      [T0 + 5 * MINUTE, ping(end, 'a')],
      [T0 + 7 * MINUTE, ping(end, 'b')],
    ]);
    expect(results[1]!.state.openRuns).toEqual({ a: T0, b: T0 + MINUTE });
    expect(results[2]!.durationMs).toBe(5 * MINUTE);
    expect(results[2]!.state.openRuns).toEqual({ b: T0 + MINUTE });
    expect(results[3]!.durationMs).toBe(6 * MINUTE);
    expect(results[3]!.state).toMatchObject({ status, openRuns: {} });
  });

  it('closes the run started without an id before any other', () => {
    const results = feed(check(), [
      [T0, ping('start')],
      [T0 + MINUTE, ping('start', 'b')],
      [T0 + 2 * MINUTE, ping('success')],
    ]);
    expect(last(results).durationMs).toBe(2 * MINUTE);
    expect(last(results).state.openRuns).toEqual({ b: T0 + MINUTE });
  });

  it('closes the most recent run when an end without an id matches no anonymous start', () => {
    const results = feed(check(), [
      [T0, ping('start', 'a')],
      [T0 + MINUTE, ping('start', 'b')],
      [T0 + 3 * MINUTE, ping('success')],
    ]);
    expect(last(results).durationMs).toBe(2 * MINUTE);
    expect(last(results).state.openRuns).toEqual({ a: T0 });
  });

  it('measures nothing for an end whose run id was never started', () => {
    const results = feed(check(), [
      [T0, ping('start', 'a')],
      [T0 + MINUTE, ping('success', 'zzz')],
    ]);
    expect(last(results).durationMs).toBeNull();
    expect(last(results).state.openRuns).toEqual({ a: T0 });
  });

  it.each(['toString', '__proto__'])('treats a run id named %j as a plain id', (runId) => {
    const results = feed(check(), [
      [T0, ping('success', runId)],
      [T0 + MINUTE, ping('start', runId)],
      [T0 + 3 * MINUTE, ping('success', runId)],
    ]);
    expect(results.map((r) => r.durationMs)).toEqual([null, null, 2 * MINUTE]);
    expect(last(results).state.openRuns).toEqual({});
  });

  it('measures nothing for an end without any start', () => {
    expect(transition(check(), ping('success'), T0).durationMs).toBeNull();
  });

  it('keeps the first start of a run that is started again with the same id', () => {
    const results = feed(check(), [
      [T0, ping('start', 'a')],
      [T0 + MINUTE, ping('start', 'a')],
      [T0 + 3 * MINUTE, ping('success', 'a')],
    ]);
    expect(results[1]!.state.openRuns).toEqual({ a: T0 });
    expect(last(results).durationMs).toBe(3 * MINUTE);
  });

  it(`keeps at most ${MAX_OPEN_RUNS} open runs, keeping the oldest (their limits come first)`, () => {
    const starts = Array.from({ length: MAX_OPEN_RUNS + 2 }, (_, i): [number, Input] => [
      T0 + i * MINUTE,
      ping('start', `run-${i}`),
    ]);
    const runs = last(feed(check(), starts)).state.openRuns;
    expect(Object.keys(runs)).toHaveLength(MAX_OPEN_RUNS);
    expect(runs['run-0']).toBe(T0);
    expect(runs).not.toHaveProperty(`run-${MAX_OPEN_RUNS - 1}`);
    expect(runs).not.toHaveProperty(`run-${MAX_OPEN_RUNS}`);
    expect(runs[`run-${MAX_OPEN_RUNS + 1}`]).toBe(T0 + (MAX_OPEN_RUNS + 1) * MINUTE);
  });

  it('does not call a long run late: its own limit replaces the schedule deadline', () => {
    const up = check({ status: 'up', lastPingAt: T0 });
    const { state } = transition(up, ping('start'), T0 + 4 * MINUTE);
    expect(state).toMatchObject({ lastPingAt: T0 + 4 * MINUTE, nextDeadline: T0 + 10 * MINUTE });
    expect(
      transition({ ...state, nextDeadline: T0 + 9 * MINUTE }, deadline, T0 + 9 * MINUTE).flip,
    ).toBeNull();
  });
});
