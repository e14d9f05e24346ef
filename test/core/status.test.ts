import { describe, expect, it } from 'vitest';
import { eventForFlip, newCheckState, transition } from '../../src/core/status.ts';
import type { CheckState, Flip, Input, Status } from '../../src/core/types.ts';
import { check, deadline, exit, HOUR, MINUTE, pause, ping, resume, T0 } from './fixtures.ts';

// Pings arrive half a minute into the late check's grace period.
const NOW = T0 + 5.5 * MINUTE;

const states: Record<Status, CheckState> = {
  new: check(),
  up: check({ status: 'up', lastPingAt: T0 + MINUTE, nextDeadline: T0 + 6 * MINUTE }),
  late: check({ status: 'late', lastPingAt: T0, nextDeadline: T0 + 6 * MINUTE }),
  down: check({ status: 'down', lastPingAt: T0 - HOUR, failureCount: 1 }),
  paused: check({ status: 'paused', lastPingAt: T0 - HOUR }),
  unknown: check({ status: 'unknown', lastPingAt: T0 + MINUTE }),
};

const inputs: Record<string, Input> = {
  success: ping('success'),
  fail: ping('fail'),
  start: ping('start'),
  log: ping('log'),
  'exit 0': exit(0),
  'exit 3': exit(3),
  pause,
  resume,
  blind: { type: 'blind' },
  sight: { type: 'sight' },
};

type Row = [from: Status, input: string, to: Status, reason: string | null];

const matrix: Row[] = [
  ['new', 'success', 'up', 'ping received'],
  ['new', 'exit 0', 'up', 'ping received'],
  ['new', 'fail', 'down', 'run failed'],
  ['new', 'exit 3', 'down', 'exited with status 3'],
  ['new', 'start', 'new', null],
  ['new', 'log', 'new', null],
  ['new', 'pause', 'paused', 'paused'],
  ['new', 'resume', 'new', null],
  ['up', 'success', 'up', null],
  ['up', 'exit 0', 'up', null],
  ['up', 'fail', 'down', 'run failed'],
  ['up', 'exit 3', 'down', 'exited with status 3'],
  ['up', 'start', 'up', null],
  ['up', 'log', 'up', null],
  ['up', 'pause', 'paused', 'paused'],
  ['up', 'resume', 'up', null],
  ['late', 'success', 'up', 'ping received'],
  ['late', 'exit 0', 'up', 'ping received'],
  ['late', 'fail', 'down', 'run failed'],
  ['late', 'exit 3', 'down', 'exited with status 3'],
  ['late', 'start', 'up', 'run started'],
  ['late', 'log', 'late', null],
  ['late', 'pause', 'paused', 'paused'],
  ['late', 'resume', 'late', null],
  ['down', 'success', 'up', 'success ping received'],
  ['down', 'exit 0', 'up', 'success ping received'],
  ['down', 'fail', 'down', null],
  ['down', 'exit 3', 'down', null],
  ['down', 'start', 'down', null],
  ['down', 'log', 'down', null],
  ['down', 'pause', 'paused', 'paused'],
  ['down', 'resume', 'new', 'resumed'],
  ['paused', 'success', 'up', 'ping received'],
  ['paused', 'exit 0', 'up', 'ping received'],
  ['paused', 'fail', 'down', 'run failed'],
  ['paused', 'exit 3', 'down', 'exited with status 3'],
  ['paused', 'start', 'new', 'run started'],
  ['paused', 'log', 'paused', null],
  ['paused', 'pause', 'paused', null],
  ['paused', 'resume', 'new', 'resumed'],
  ['new', 'blind', 'unknown', 'source cannot be read'],
  ['up', 'blind', 'unknown', 'source cannot be read'],
  ['late', 'blind', 'unknown', 'source cannot be read'],
  ['down', 'blind', 'down', null],
  ['paused', 'blind', 'paused', null],
  ['unknown', 'blind', 'unknown', null],
  ['new', 'sight', 'new', null],
  ['up', 'sight', 'up', null],
  ['down', 'sight', 'down', null],
  ['unknown', 'sight', 'up', 'source can be read again'],
  ['unknown', 'success', 'up', 'ping received'],
  ['unknown', 'fail', 'down', 'run failed'],
  ['unknown', 'start', 'up', 'run started'],
  ['unknown', 'log', 'unknown', null],
  ['unknown', 'pause', 'paused', 'paused'],
];

describe('transition: every status meets every input', () => {
  it.each(matrix)('a %s check given %s becomes %s (%s)', (from, inputName, to, reason) => {
    const { state, flip, ignored } = transition(states[from], inputs[inputName]!, NOW);
    expect(state.status).toBe(to);
    const failed = to === 'down' && (inputName === 'fail' || inputName === 'exit 3');
    const cause = failed ? { cause: 'failed' } : {};
    expect(flip).toEqual(reason === null ? null : { from, to, at: NOW, reason, ...cause });
    expect(ignored).toBe(false);
  });

  it.each(matrix)('a %s check given %s keeps no deadline in the past', (from, inputName) => {
    const { state } = transition(states[from], inputs[inputName]!, NOW);
    if (state.nextDeadline !== null) expect(state.nextDeadline).toBeGreaterThanOrEqual(NOW);
  });

  it.each([
    ['new', 'new', null],
    ['up', 'late', 'late: expected a ping every 5 minutes; last ping 5 minutes ago'],
    ['late', 'down', 'expected a ping every 5 minutes; last ping 6 minutes ago'],
    ['down', 'down', null],
    ['paused', 'paused', null],
  ] as const)('a %s check given its deadline becomes %s (%s)', (from, to, reason) => {
    const at = states[from].nextDeadline ?? NOW;
    const { state, flip } = transition(states[from], deadline, at);
    expect(state.status).toBe(to);
    expect(flip).toEqual(reason === null ? null : { from, to, at, reason });
  });

  it.each(['success', 'fail', 'start', 'exit 0', 'exit 3'])('records a %s ping as the last ping', (name) => {
    expect(transition(states.up, inputs[name]!, NOW).state.lastPingAt).toBe(NOW);
  });

  it('records nothing for a log ping', () => {
    expect(transition(states.late, ping('log'), NOW)).toEqual({
      state: states.late,
      flip: null,
      durationMs: null,
      ignored: false,
    });
  });

  it.each(['up', 'late', 'down'] as const)('clears runs and failures when a %s check is paused', (from) => {
    const busy = { ...states[from], openRuns: { a: T0 }, failureCount: 2, maxRuntime: 600 };
    const { state } = transition(busy, pause, NOW);
    expect(state).toMatchObject({ status: 'paused', openRuns: {}, failureCount: 0, nextDeadline: null });
  });

  it('clears runs and failures when a down check is resumed, and waits for a ping', () => {
    const busy = { ...states.down, openRuns: { a: T0 }, failureCount: 4, maxRuntime: 600 };
    const { state } = transition(busy, resume, NOW);
    expect(state).toMatchObject({ status: 'new', openRuns: {}, failureCount: 0, nextDeadline: null });
  });
});

describe('transition: manual resume', () => {
  const pausedManual = check({ status: 'paused', manualResume: true, lastPingAt: T0 });
  const downManual = check({ status: 'down', manualResume: true, lastPingAt: T0, failureCount: 1 });

  it.each(Object.keys(inputs).filter((name) => !['pause', 'resume', 'blind', 'sight'].includes(name)))(
    'ignores a %s ping while paused',
    (name) => {
      expect(transition(pausedManual, inputs[name]!, NOW)).toEqual({
        state: pausedManual,
        flip: null,
        durationMs: null,
        ignored: true,
      });
    },
  );

  it('keeps a down check down on a success ping, but records the ping', () => {
    const { state, flip, ignored } = transition(downManual, ping('success'), NOW);
    expect(flip).toBeNull();
    expect(ignored).toBe(false);
    expect(state).toMatchObject({ status: 'down', lastPingAt: NOW, failureCount: 0, nextDeadline: null });
  });

  it.each([
    ['paused', pausedManual],
    ['down', downManual],
  ] as const)('brings a %s check back to new only on resume', (from, state) => {
    const result = transition(state, resume, NOW);
    expect(result.state.status).toBe('new');
    expect(result.flip).toEqual({ from, to: 'new', at: NOW, reason: 'resumed' });
  });
});

describe('transition: failure threshold', () => {
  const threshold3 = check({ status: 'up', lastPingAt: T0, failureThreshold: 3 });

  function run(inputList: Input[]) {
    let state = threshold3;
    const flips: Flip[] = [];
    inputList.forEach((input, i) => {
      const result = transition(state, input, T0 + (i + 1) * MINUTE);
      state = result.state;
      if (result.flip) flips.push(result.flip);
    });
    return { state, flips };
  }

  it('stays up for failures below the threshold', () => {
    const { state, flips } = run([ping('fail'), exit(2)]);
    expect(state).toMatchObject({ status: 'up', failureCount: 2 });
    expect(flips).toEqual([]);
  });

  it.each([
    ['fail', ping('fail'), '3 consecutive failures (run failed)'],
    ['exit 3', exit(3), '3 consecutive failures (exited with status 3)'],
  ])('marks the check down on the third consecutive failure (%s)', (_name, last, reason) => {
    const { state, flips } = run([ping('fail'), ping('fail'), last]);
    expect(state).toMatchObject({ status: 'down', failureCount: 3 });
    expect(flips).toEqual([{ from: 'up', to: 'down', at: T0 + 3 * MINUTE, reason, cause: 'failed' }]);
  });

  it.each([
    ['success', ping('success')],
    ['exit 0', exit(0)],
  ])('starts counting again after a %s', (_name, success) => {
    const { state, flips } = run([ping('fail'), ping('fail'), success, ping('fail'), ping('fail')]);
    expect(state).toMatchObject({ status: 'up', failureCount: 2 });
    expect(flips).toEqual([]);
  });

  it('counts a failure below the threshold as a sign of life for a new check', () => {
    const { state, flip } = transition(check({ failureThreshold: 3 }), ping('fail'), T0);
    expect(state).toMatchObject({ status: 'up', failureCount: 1, lastPingAt: T0 });
    expect(flip?.reason).toBe('ping received (run failed; failure 1 of 3 before down)');
  });

  it('marks the check down on the first failure with threshold 1', () => {
    const { state } = transition(check({ status: 'up', lastPingAt: T0 }), ping('fail'), T0 + MINUTE);
    expect(state).toMatchObject({ status: 'down', failureCount: 1, nextDeadline: null });
  });
});

describe('eventForFlip', () => {
  it.each([
    ['up', 'down', 'down'],
    ['late', 'down', 'down'],
    ['new', 'down', 'down'],
    ['paused', 'down', 'down'],
    ['down', 'up', 'up'],
    ['up', 'late', 'late'],
    ['new', 'up', null],
    ['late', 'up', null],
    ['paused', 'up', null],
    ['up', 'paused', null],
    ['down', 'paused', null],
    ['paused', 'new', null],
    ['down', 'new', null],
  ] as const)('tells of a %s -> %s flip as %s', (from, to, event) => {
    expect(eventForFlip({ from, to, at: T0, reason: '' })).toBe(event);
  });
});

describe('newCheckState', () => {
  it('starts new with nothing pending', () => {
    expect(newCheckState({ kind: 'none' }, { maxRuntime: 60, failureThreshold: 2 })).toEqual({
      status: 'new',
      schedule: { kind: 'none' },
      maxRuntime: 60,
      failureThreshold: 2,
      manualResume: false,
      lastPingAt: null,
      failureCount: 0,
      openRuns: {},
      nextDeadline: null,
    });
  });
});

describe('transition: unknown checks', () => {
  it('keeps no run deadline while unknown, and brings it back on sight', () => {
    const running = check({ status: 'up', lastPingAt: T0, openRuns: { r1: T0 }, maxRuntime: 600 });
    const blind = transition(running, { type: 'blind' }, T0 + MINUTE);
    expect(blind.state).toMatchObject({ status: 'unknown', openRuns: { r1: T0 }, nextDeadline: null });
    // the run's limit passed while the source could not be read: it fires once it can again
    const sight = transition(blind.state, { type: 'sight' }, T0 + HOUR);
    expect(sight.state).toMatchObject({ status: 'up', nextDeadline: T0 + HOUR });
    const late = transition(sight.state, deadline, T0 + HOUR);
    expect(late.flip).toMatchObject({ from: 'up', to: 'down', cause: 'too_long' });
  });
});
