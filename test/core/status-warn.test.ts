import { describe, expect, it } from 'vitest';
import { eventForFlip, transition } from '../../src/core/status.ts';
import type { Input } from '../../src/core/types.ts';
import { check, deadline, HOUR, MINUTE, T0 } from './fixtures.ts';

// A warning ping: alive but not well (what a degraded daemon reports through the compat API).
const warn: Input = { type: 'ping', kind: 'warn' };

describe('a warning ping', () => {
  it('makes an up check late, an event only channels that take "late" hear', () => {
    const t = transition(check({ status: 'up', lastPingAt: T0 }), warn, T0 + MINUTE);
    expect(t.state.status).toBe('late');
    expect(t.flip).toMatchObject({ from: 'up', to: 'late', reason: 'warning received' });
    expect(eventForFlip(t.flip!)).toBe('late');
  });

  it('makes a new check late', () => {
    const t = transition(check(), warn, T0);
    expect(t.flip).toMatchObject({ from: 'new', to: 'late' });
  });

  it('counts as a ping: the schedule starts over from it', () => {
    const t = transition(check({ status: 'up', lastPingAt: T0 }), warn, T0 + MINUTE);
    expect(t.state.lastPingAt).toBe(T0 + MINUTE);
    // late goes down at the next due time plus grace: 5 min period, 1 min grace
    expect(t.state.nextDeadline).toBe(T0 + 7 * MINUTE);
    expect(transition(t.state, deadline, T0 + 7 * MINUTE).state.status).toBe('down');
  });

  it('changes nothing but the last ping time on a check that is late already', () => {
    const t = transition(check({ status: 'late', lastPingAt: T0 }), warn, T0 + 6 * MINUTE);
    expect(t.flip).toBeNull();
    expect(t.state.lastPingAt).toBe(T0 + 6 * MINUTE);
  });

  it('neither counts as a failure nor clears one', () => {
    const state = check({ status: 'up', lastPingAt: T0, failureThreshold: 3, failureCount: 2 });
    expect(transition(state, warn, T0 + MINUTE).state.failureCount).toBe(2);
  });

  it('leaves a down check down: only a success ends an outage', () => {
    const t = transition(check({ status: 'down', lastPingAt: T0 - HOUR, failureCount: 1 }), warn, T0);
    expect(t.flip).toBeNull();
    expect(t.state.status).toBe('down');
    expect(t.state.lastPingAt).toBe(T0);
  });

  it('is ignored by a paused check that waits for a manual resume', () => {
    const t = transition(check({ status: 'paused', manualResume: true }), warn, T0);
    expect(t).toMatchObject({ ignored: true, flip: null });
  });

  it('lets a success bring the check back up, with no news', () => {
    const late = transition(check({ status: 'up', lastPingAt: T0 }), warn, T0 + MINUTE).state;
    const t = transition(late, { type: 'ping', kind: 'success' }, T0 + 2 * MINUTE);
    expect(t.flip).toMatchObject({ from: 'late', to: 'up' });
    expect(eventForFlip(t.flip!)).toBeNull();
  });
});
