// Edited settings re-evaluate the status: reconfigure gets the state with the new settings
// already in it, as the store's edit hands it over.
import { describe, expect, it } from 'vitest';
import { reconfigure, transition } from '../../src/core/status.ts';
import type { CheckState, Schedule } from '../../src/core/types.ts';
import { check, deadline, deepFreeze, HOUR, MINUTE, T0 } from './fixtures.ts';

// Half a minute into the grace of a check pinged at T0, every 5 minutes with 1 minute of grace.
const NOW = T0 + 5.5 * MINUTE;
const late = check({ status: 'late', lastPingAt: T0, nextDeadline: T0 + 6 * MINUTE });
const up = check({ status: 'up', lastPingAt: T0, nextDeadline: T0 + 5 * MINUTE });
const every = (minutes: number, graceMinutes = 1): Schedule => ({
  kind: 'interval',
  period: minutes * 60,
  grace: graceMinutes * 60,
});
const edit = (state: CheckState, changes: Partial<CheckState>): CheckState => ({ ...state, ...changes });

describe('reconfigure', () => {
  it('brings a late check up when the period grows past now', () => {
    const { state, flip, durationMs, ignored } = reconfigure(edit(late, { schedule: every(10) }), NOW);
    expect(state).toMatchObject({ status: 'up', nextDeadline: T0 + 10 * MINUTE });
    expect(flip).toEqual({ from: 'late', to: 'up', at: NOW, reason: 'schedule changed' });
    expect({ durationMs, ignored }).toEqual({ durationMs: null, ignored: false });
  });

  it('brings a late check up when the schedule becomes none', () => {
    const { state, flip } = reconfigure(edit(late, { schedule: { kind: 'none' } }), NOW);
    expect(state).toMatchObject({ status: 'up', nextDeadline: null });
    expect(flip).toEqual({ from: 'late', to: 'up', at: NOW, reason: 'schedule changed' });
  });

  it('brings a late cron check up when its next scheduled time is still ahead', () => {
    const hourly: Schedule = { kind: 'cron', expression: '0 * * * *', timezone: 'UTC', grace: 60 };
    const { state, flip } = reconfigure(edit(late, { schedule: hourly }), NOW);
    expect(state).toMatchObject({ status: 'up', nextDeadline: T0 + HOUR });
    expect(flip?.reason).toBe('schedule changed');
  });

  it('keeps a late check late while the new schedule still calls it past due, moving the deadline', () => {
    const { state, flip } = reconfigure(edit(late, { schedule: every(5, 3) }), NOW);
    expect(flip).toBeNull();
    expect(state).toMatchObject({ status: 'late', nextDeadline: T0 + 8 * MINUTE });
  });

  it.each([
    ['late', late],
    ['up', up],
  ] as const)('keeps a check %s, due at once, when it is already past due and grace', (from, before) => {
    const { state, flip } = reconfigure(edit(before, { schedule: every(3) }), NOW);
    expect(flip).toBeNull();
    expect(state).toMatchObject({ status: from, nextDeadline: NOW });
    const handled = transition(state, deadline, NOW);
    expect(handled.flip).toMatchObject({ from, to: 'down', at: NOW });
  });

  it('keeps an up check up with an earlier deadline', () => {
    const { state, flip } = reconfigure(edit(up, { schedule: every(3) }), T0 + 2 * MINUTE);
    expect(flip).toBeNull();
    expect(state).toMatchObject({ status: 'up', nextDeadline: T0 + 3 * MINUTE });
  });

  it('keeps an up check up, due at once, when the new due time has passed but not its grace', () => {
    const { state, flip } = reconfigure(edit(up, { schedule: every(3, 5) }), T0 + 4 * MINUTE);
    expect(flip).toBeNull();
    expect(state).toMatchObject({ status: 'up', nextDeadline: T0 + 4 * MINUTE });
  });

  it('moves the limit of an open run with the max runtime', () => {
    const running = check({
      status: 'up',
      lastPingAt: T0,
      openRuns: { '': T0 },
      nextDeadline: T0 + 6 * MINUTE,
    });
    expect(reconfigure(edit(running, { maxRuntime: 120 }), T0 + MINUTE).state.nextDeadline).toBe(
      T0 + 2 * MINUTE,
    );
  });

  const others: [string, CheckState][] = [
    ['new', check()],
    ['down', check({ status: 'down', lastPingAt: T0, failureCount: 1 })],
    ['paused', check({ status: 'paused', lastPingAt: T0 })],
  ];
  const edits: [string, Partial<CheckState>][] = [
    ['a longer period', { schedule: every(10) }],
    ['a shorter period', { schedule: every(1) }],
    ['no schedule', { schedule: { kind: 'none' } }],
    ['a max runtime', { maxRuntime: 60 }],
  ];
  it.each(
    others.flatMap(([status, state]) =>
      edits.map(([what, changes]) => [status, what, state, changes] as const),
    ),
  )('never flips a %s check (%s), nor gives it a deadline', (status, _what, before, changes) => {
    const { state, flip } = reconfigure(edit(before, changes), NOW);
    expect(flip).toBeNull();
    expect(state).toMatchObject({ status, nextDeadline: null });
  });

  it('does not change the state it is given', () => {
    const edited = deepFreeze(edit(late, { schedule: every(10) })); // a mutation would throw
    expect(reconfigure(edited, NOW).state).not.toBe(edited);
    expect(edited).toMatchObject({ status: 'late', nextDeadline: T0 + 6 * MINUTE });
  });
});
