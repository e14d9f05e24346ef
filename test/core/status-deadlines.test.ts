import { describe, expect, it } from 'vitest';
import { transition } from '../../src/core/status.ts';
import type { CheckState, Schedule } from '../../src/core/types.ts';
import { check, deadline, exit, HOUR, MINUTE, ping, SECOND, T0 } from './fixtures.ts';

/** Last pinged at T0, every 5 minutes with the given grace, as the state machine left it. */
function pinged(grace = 60, schedule?: Schedule): CheckState {
  const base = check({ schedule: schedule ?? { kind: 'interval', period: 300, grace } });
  return transition(transition(base, ping('success'), T0 - MINUTE).state, ping('success'), T0).state;
}

describe('transition: interval deadlines', () => {
  it('expects the next ping one period after the last', () => {
    expect(pinged()).toMatchObject({ status: 'up', lastPingAt: T0, nextDeadline: T0 + 5 * MINUTE });
  });

  it('marks the check late when the period ends', () => {
    const { state, flip } = transition(pinged(), deadline, T0 + 5 * MINUTE);
    expect(state).toMatchObject({ status: 'late', nextDeadline: T0 + 6 * MINUTE });
    expect(flip).toEqual({
      from: 'up',
      to: 'late',
      at: T0 + 5 * MINUTE,
      reason: 'late: expected a ping every 5 minutes; last ping 5 minutes ago',
    });
  });

  it('marks the check down when the grace period ends', () => {
    const late = transition(pinged(), deadline, T0 + 5 * MINUTE).state;
    const { state, flip } = transition(late, deadline, T0 + 6 * MINUTE);
    expect(state).toMatchObject({ status: 'down', nextDeadline: null });
    expect(flip).toEqual({
      from: 'late',
      to: 'down',
      at: T0 + 6 * MINUTE,
      reason: 'expected a ping every 5 minutes; last ping 6 minutes ago',
    });
  });

  it('goes straight from up to down when the grace is 0', () => {
    const up = pinged(0);
    expect(up.nextDeadline).toBe(T0 + 5 * MINUTE);
    const { state, flip } = transition(up, deadline, T0 + 5 * MINUTE);
    expect(state.status).toBe('down');
    expect(flip).toMatchObject({ from: 'up', to: 'down' });
  });

  it('goes straight from up to down when the deadline is handled after the grace ended', () => {
    const { state, flip } = transition(pinged(), deadline, T0 + 10 * MINUTE);
    expect(state.status).toBe('down');
    expect(flip?.reason).toBe('expected a ping every 5 minutes; last ping 10 minutes ago');
  });

  it.each([
    ['up', () => pinged(), T0 + 5 * MINUTE - 1],
    ['late', () => transition(pinged(), deadline, T0 + 5 * MINUTE).state, T0 + 6 * MINUTE - 1],
  ])('does nothing to a %s check when the deadline input comes early', (_status, make, now) => {
    const before = make();
    expect(transition(before, deadline, now)).toEqual({
      state: before,
      flip: null,
      durationMs: null,
      ignored: false,
    });
  });

  it.each([
    ['new', check()],
    ['down', check({ status: 'down', lastPingAt: T0 })],
    ['paused', check({ status: 'paused', lastPingAt: T0 })],
  ])('keeps no deadline for a %s check', (_status, state) => {
    const result = transition(state, deadline, T0 + HOUR);
    expect(result.flip).toBeNull();
    expect(result.state.nextDeadline).toBeNull();
  });

  it('moves the deadline with each ping', () => {
    const { state } = transition(pinged(), ping('success'), T0 + 4 * MINUTE);
    expect(state.nextDeadline).toBe(T0 + 9 * MINUTE);
  });

  it('recomputes a stale deadline without a flip', () => {
    const stale = { ...pinged(), nextDeadline: T0 + MINUTE };
    const { state, flip } = transition(stale, deadline, T0 + 2 * MINUTE);
    expect(flip).toBeNull();
    expect(state).toMatchObject({ status: 'up', nextDeadline: T0 + 5 * MINUTE });
  });
});

describe("transition: a deadline pushed later during vigil's own downtime", () => {
  // After a restart the scheduler gives the check a fresh grace: the stored deadline is
  // later than due + grace (T0 + 6 minutes).
  const PUSHED = T0 + 20 * MINUTE;

  it.each([
    ['up', { ...pinged(), nextDeadline: PUSHED }],
    ['late', { ...transition(pinged(), deadline, T0 + 5 * MINUTE).state, nextDeadline: PUSHED }],
  ])('does nothing to a %s check before the pushed deadline', (_status, state) => {
    const result = transition(state, deadline, PUSHED - SECOND);
    expect(result.flip).toBeNull();
    expect(result.state).toBe(state);
  });

  it.each([
    ['up', { ...pinged(), nextDeadline: PUSHED }],
    ['late', { ...transition(pinged(), deadline, T0 + 5 * MINUTE).state, nextDeadline: PUSHED }],
  ])('marks a %s check down at the pushed deadline', (from, state) => {
    const result = transition(state, deadline, PUSHED);
    expect(result.state).toMatchObject({ status: 'down', nextDeadline: null });
    expect(result.flip).toMatchObject({ from, to: 'down', at: PUSHED });
  });

  it('marks an up check late at a pushed deadline that falls inside the grace', () => {
    const state = { ...pinged(120), nextDeadline: T0 + 6 * MINUTE };
    const result = transition(state, deadline, T0 + 6 * MINUTE);
    expect(result.state).toMatchObject({ status: 'late', nextDeadline: T0 + 7 * MINUTE });
  });
});

describe('transition: cron deadlines', () => {
  const nightly: Schedule = { kind: 'cron', expression: '0 2 * * *', timezone: 'Europe/Berlin', grace: 1800 };
  // 02:00:30 in Berlin (UTC+1 in winter)
  const JOB_RAN = Date.UTC(2026, 0, 10, 1, 0, 30);
  const NEXT_RUN = Date.UTC(2026, 0, 11, 1, 0, 0);

  it('expects the next ping at the next scheduled time in the check timezone', () => {
    const { state } = transition(check({ schedule: nightly }), ping('success'), JOB_RAN);
    expect(state.nextDeadline).toBe(NEXT_RUN);
  });

  it('marks the check late at the scheduled time and down after the grace', () => {
    const up = transition(check({ schedule: nightly }), ping('success'), JOB_RAN).state;
    const late = transition(up, deadline, NEXT_RUN);
    expect(late.state).toMatchObject({ status: 'late', nextDeadline: NEXT_RUN + 30 * MINUTE });
    expect(late.flip?.reason).toBe(
      'late: expected a ping at 02:00 Europe/Berlin; last ping 23 hours 59 minutes ago',
    );
    const down = transition(late.state, deadline, NEXT_RUN + 30 * MINUTE);
    expect(down.state.status).toBe('down');
  });

  it('expects the run after the spring-forward gap on the day 02:00 does not exist', () => {
    // 2026-03-28 02:00 CET; on 2026-03-29 clocks jump from 02:00 to 03:00 CEST.
    const { state } = transition(
      check({ schedule: nightly }),
      ping('success'),
      Date.UTC(2026, 2, 28, 1, 0, 5),
    );
    expect(state.nextDeadline).toBe(Date.UTC(2026, 2, 29, 1, 0, 0));
  });

  it('names an unusual cron schedule as it was written', () => {
    const odd: Schedule = { kind: 'cron', expression: '0 2 */2 * *', timezone: 'UTC', grace: 0 };
    const up = transition(check({ schedule: odd }), ping('success'), T0).state;
    const { flip } = transition(up, deadline, up.nextDeadline!);
    expect(flip?.reason).toMatch(/^expected a ping per cron "0 2 \*\/2 \* \*" \(UTC\); last ping/);
  });
});

describe('transition: event checks (no schedule)', () => {
  const event = () => check({ schedule: { kind: 'none' } });

  it('comes up on a success and keeps no deadline', () => {
    const { state, flip } = transition(event(), ping('success'), T0);
    expect(state).toMatchObject({ status: 'up', nextDeadline: null });
    expect(flip?.to).toBe('up');
  });

  it.each([T0 + HOUR, T0 + 365 * 24 * HOUR])('is never late or down by the clock (at %i)', (now) => {
    const up = transition(event(), ping('success'), T0).state;
    const result = transition({ ...up, nextDeadline: T0 }, deadline, now);
    expect(result.flip).toBeNull();
    expect(result.state).toMatchObject({ status: 'up', nextDeadline: null });
  });

  it.each([
    ['fail', ping('fail'), 'run failed'],
    ['exit 1', exit(1), 'exited with status 1'],
  ])('goes down on a %s', (_name, input, reason) => {
    const up = transition(event(), ping('success'), T0).state;
    const { state, flip } = transition(up, input, T0 + HOUR);
    expect(state.status).toBe('down');
    expect(flip).toEqual({ from: 'up', to: 'down', at: T0 + HOUR, reason, cause: 'failed' });
  });

  it('comes back up on the next success', () => {
    const down = transition(event(), ping('fail'), T0).state;
    const { state, flip } = transition(down, ping('success'), T0 + HOUR);
    expect(state.status).toBe('up');
    expect(flip).toEqual({ from: 'down', to: 'up', at: T0 + HOUR, reason: 'success ping received' });
  });
});
