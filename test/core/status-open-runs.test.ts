// Runs that start and never end. A start must not keep a dead job looking alive: while
// runs are open the schedule waits, and each run has its own limit instead.
import { describe, expect, it } from 'vitest';
import { transition } from '../../src/core/status.ts';
import type { CheckState, Flip, Input, Schedule } from '../../src/core/types.ts';
import { check, deadline, HOUR, MINUTE, ping, SECOND, T0 } from './fixtures.ts';

const DAY = 24 * HOUR;

/**
 * Feeds the inputs in order and acts as an ideal scheduler: a deadline is handled at the
 * moment it falls, before the next input (an input at the very same time comes first).
 */
function simulate(start: CheckState, steps: [at: number, input: Input][], until: number) {
  let state = start;
  const flips: Flip[] = [];
  const durations: (number | null)[] = [];
  const handleDeadlines = (before: number, inclusive: boolean) => {
    for (let guard = 0; state.nextDeadline !== null; guard++) {
      const at = state.nextDeadline;
      if (inclusive ? at > before : at >= before) return;
      if (guard > 100) throw new Error(`the deadline does not move (${at})`);
      const result = transition(state, deadline, at);
      state = result.state;
      if (result.flip) flips.push(result.flip);
    }
  };
  for (const [at, input] of steps) {
    handleDeadlines(at, false);
    const result = transition(state, input, at);
    state = result.state;
    if (result.flip) flips.push(result.flip);
    if (input.type === 'ping' && input.kind !== 'start') durations.push(result.durationMs);
  }
  handleDeadlines(until, true);
  return { state, flips, durations };
}

const twoSeconds: Schedule = { kind: 'interval', period: 2, grace: 1 };
// 02:00 UTC on T0's day, and the same time the day after.
const NIGHT = Date.UTC(2026, 0, 10, 2, 0, 0);
const nightly: Schedule = { kind: 'cron', expression: '0 2 * * *', timezone: 'UTC', grace: 300 };
/** Up after last night's run, which ended at 02:20. */
const nightlyUp = (overrides: Partial<CheckState> = {}) =>
  check({
    schedule: nightly,
    status: 'up',
    lastPingAt: NIGHT - DAY + 20 * MINUTE,
    nextDeadline: NIGHT,
    ...overrides,
  });
/** Every 5 minutes with 1 minute of grace, pinged at T0. */
const up = () => check({ status: 'up', lastPingAt: T0, nextDeadline: T0 + 5 * MINUTE });

const everyOneAndAHalfSeconds = Array.from({ length: 40 }, (_, i): [number, Input] => [
  T0 + (i + 1) * 1500,
  ping('start'),
]);

interface Scenario {
  state: CheckState;
  steps: [number, Input][];
  until: number;
  flips: Flip[];
  after?: Partial<CheckState>;
  durations?: (number | null)[];
}

const scenarios: Record<string, Scenario> = {
  'a job that keeps sending /start and never ends goes down once, one period and the grace after its first start':
    {
      state: check({ schedule: twoSeconds }),
      steps: [[T0, ping('success')], ...everyOneAndAHalfSeconds],
      until: T0 + 60 * SECOND,
      flips: [
        { from: 'new', to: 'up', at: T0, reason: 'ping received' },
        {
          from: 'up',
          to: 'down',
          cause: 'too_long',
          at: T0 + 4500,
          reason: 'run started 3 seconds ago and has not finished; expected a ping every 2 seconds',
        },
      ],
      after: { status: 'down', nextDeadline: null },
    },
  'a long cron run is neither late nor down until the next scheduled time and the grace': {
    state: nightlyUp(),
    steps: [[NIGHT, ping('start')]],
    until: NIGHT + DAY + 10 * MINUTE,
    flips: [
      {
        from: 'up',
        to: 'down',
        cause: 'too_long',
        at: NIGHT + DAY + 5 * MINUTE,
        reason: 'run started 1 day ago and has not finished; expected a ping at 02:00 UTC',
      },
    ],
  },
  'a long cron run that ends at 02:30 is next due at 02:00 the day after': {
    state: nightlyUp(),
    steps: [
      [NIGHT, ping('start')],
      [NIGHT + 30 * MINUTE, ping('success')],
    ],
    until: NIGHT + DAY - 1,
    flips: [],
    after: { status: 'up', openRuns: {}, lastPingAt: NIGHT + 30 * MINUTE, nextDeadline: NIGHT + DAY },
    durations: [30 * MINUTE],
  },
  'a cron run with a max runtime of an hour goes down at 03:00, not at 02:05': {
    state: nightlyUp({ maxRuntime: 3600 }),
    steps: [[NIGHT, ping('start')]],
    until: NIGHT + DAY + 10 * MINUTE,
    flips: [
      {
        from: 'up',
        to: 'down',
        at: NIGHT + HOUR,
        reason: 'run exceeded max runtime (1 hour)',
        cause: 'too_long',
      },
    ],
    after: { openRuns: {}, nextDeadline: null },
  },
  'overlapping runs each have their own limit: the one still open goes down': {
    state: up(),
    steps: [
      [T0 + MINUTE, ping('start', 'a')],
      [T0 + 3 * MINUTE, ping('start', 'b')],
      [T0 + 4 * MINUTE, ping('success', 'a')],
    ],
    until: T0 + HOUR,
    flips: [
      {
        from: 'up',
        to: 'down',
        cause: 'too_long',
        at: T0 + 9 * MINUTE,
        reason: 'run "b" started 6 minutes ago and has not finished; expected a ping every 5 minutes',
      },
    ],
    after: { openRuns: {}, nextDeadline: null },
    durations: [3 * MINUTE],
  },
  'overlapping runs each have their own limit: the first to pass it goes, the other stays open': {
    state: up(),
    steps: [
      [T0 + MINUTE, ping('start', 'a')],
      [T0 + 3 * MINUTE, ping('start', 'b')],
      [T0 + 8 * MINUTE, ping('success', 'b')],
    ],
    until: T0 + 8 * MINUTE,
    flips: [
      {
        from: 'up',
        to: 'down',
        cause: 'too_long',
        at: T0 + 7 * MINUTE,
        reason: 'run "a" started 6 minutes ago and has not finished; expected a ping every 5 minutes',
      },
      { from: 'down', to: 'up', at: T0 + 8 * MINUTE, reason: 'success ping received' },
    ],
    after: { openRuns: {}, nextDeadline: T0 + 13 * MINUTE },
    durations: [5 * MINUTE],
  },
  'runs past their limit by the same deadline all go, and the check goes down once': {
    state: up(),
    steps: [
      [T0 + MINUTE, ping('start', 'a')],
      [T0 + MINUTE, ping('start', 'b')],
      [T0 + 2 * MINUTE, ping('start', 'c')],
    ],
    until: T0 + HOUR,
    flips: [
      {
        from: 'up',
        to: 'down',
        cause: 'too_long',
        at: T0 + 7 * MINUTE,
        reason: '2 runs have not finished, the oldest started 6 minutes ago; expected a ping every 5 minutes',
      },
    ],
    after: { openRuns: { c: T0 + 2 * MINUTE }, nextDeadline: null },
  },
  'a start repeated with the same run id does not extend its limit': {
    state: up(),
    steps: [
      [T0 + MINUTE, ping('start', 'a')],
      [T0 + 4 * MINUTE, ping('start', 'a')],
      [T0 + 6 * MINUTE, ping('start', 'a')],
    ],
    until: T0 + HOUR,
    flips: [
      {
        from: 'up',
        to: 'down',
        cause: 'too_long',
        at: T0 + 7 * MINUTE,
        reason: 'run "a" started 6 minutes ago and has not finished; expected a ping every 5 minutes',
      },
    ],
  },
  'an event check with a start and no end stays as it is without a max runtime': {
    state: check({ schedule: { kind: 'none' } }),
    steps: [
      [T0, ping('success')],
      [T0 + MINUTE, ping('start')],
    ],
    until: T0 + 365 * DAY,
    flips: [{ from: 'new', to: 'up', at: T0, reason: 'ping received' }],
    after: { status: 'up', openRuns: { '': T0 + MINUTE }, nextDeadline: null },
  },
  'a new check whose first run never ends goes down': {
    state: check(),
    steps: [[T0, ping('start')]],
    until: T0 + HOUR,
    flips: [
      {
        from: 'new',
        to: 'down',
        cause: 'too_long',
        at: T0 + 6 * MINUTE,
        reason: 'run started 6 minutes ago and has not finished; expected a ping every 5 minutes',
      },
    ],
  },
  'a late check comes up on a start and then waits for the run': {
    state: check({ status: 'late', lastPingAt: T0, nextDeadline: T0 + 6 * MINUTE }),
    steps: [
      [T0 + 5 * MINUTE + 30 * SECOND, ping('start')],
      [T0 + 11 * MINUTE, ping('success')],
    ],
    until: T0 + 16 * MINUTE - 1,
    flips: [{ from: 'late', to: 'up', at: T0 + 5 * MINUTE + 30 * SECOND, reason: 'run started' }],
    after: { status: 'up', nextDeadline: T0 + 16 * MINUTE },
    durations: [5 * MINUTE + 30 * SECOND],
  },
  'the schedule applies again from the end of the last open run': {
    state: up(),
    steps: [
      [T0 + MINUTE, ping('start', 'a')],
      [T0 + 2 * MINUTE, ping('start', 'b')],
      [T0 + 6 * MINUTE, ping('success', 'a')],
      [T0 + 7 * MINUTE, ping('success', 'b')],
    ],
    until: T0 + 12 * MINUTE,
    flips: [
      {
        from: 'up',
        to: 'late',
        at: T0 + 12 * MINUTE,
        reason: 'late: expected a ping every 5 minutes; last ping 5 minutes ago',
      },
    ],
    after: { status: 'late', openRuns: {}, nextDeadline: T0 + 13 * MINUTE },
    durations: [5 * MINUTE, 5 * MINUTE],
  },
};

describe('transition: open runs', () => {
  it.each(Object.entries(scenarios))('%s', (_name, scenario) => {
    const { state, flips, durations } = simulate(scenario.state, scenario.steps, scenario.until);
    expect(flips).toEqual(scenario.flips);
    if (scenario.after) expect(state).toMatchObject(scenario.after);
    if (scenario.durations) expect(durations).toEqual(scenario.durations);
  });

  it.each([
    ['without a max runtime', nightlyUp(), NIGHT + DAY + 5 * MINUTE],
    ['with a max runtime of an hour', nightlyUp({ maxRuntime: 3600 }), NIGHT + HOUR],
  ])('keeps a cron run open at 02:05 %s, with the deadline at its limit', (_name, before, limit) => {
    const started = transition(before, ping('start'), NIGHT).state;
    expect(started).toMatchObject({ status: 'up', lastPingAt: NIGHT, nextDeadline: limit });
    const early = transition({ ...started, nextDeadline: NIGHT + 5 * MINUTE }, deadline, NIGHT + 5 * MINUTE);
    expect(early.flip).toBeNull();
    expect(early.state).toMatchObject({ status: 'up', openRuns: { '': NIGHT }, nextDeadline: limit });
  });

  it('sets the deadline to the earliest limit among the open runs', () => {
    const { state } = simulate(
      up(),
      [
        [T0 + 2 * MINUTE, ping('start', 'late-starter')],
        [T0 + 3 * MINUTE, ping('start', 'a')],
        [T0 + 4 * MINUTE, ping('success', 'late-starter')],
      ],
      T0 + 4 * MINUTE,
    );
    expect(state).toMatchObject({ openRuns: { a: T0 + 3 * MINUTE }, nextDeadline: T0 + 9 * MINUTE });
  });

  it('tells of the oldest run when several pass their limit before the deadline is handled', () => {
    const busy = check({
      status: 'up',
      lastPingAt: T0 + MINUTE,
      openRuns: { '': T0, a: T0 + MINUTE },
      nextDeadline: T0 + 6 * MINUTE,
    });
    const { flip } = transition(busy, deadline, T0 + 7 * MINUTE);
    expect(flip?.reason).toBe(
      '2 runs have not finished, the oldest started 7 minutes ago; expected a ping every 5 minutes',
    );
  });
});
