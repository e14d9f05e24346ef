// The state machine and http checks: a probe's result lands up to its timeout after the probe is
// due, so an http check is called late only after that (plus the prober's slack).
import { describe, expect, it } from 'vitest';
import { PROBE_SLACK_SECONDS, transition } from '../../src/core/status.ts';
import type { Probe } from '../../src/core/types.ts';
import { check, deadline, ping, SECOND, T0 } from './fixtures.ts';

const PROBE: Probe = {
  method: 'GET',
  url: 'https://example.com/health',
  expectedStatus: ['200-299'],
  keyword: null,
  keywordMode: 'contains',
  timeout: 10,
  headers: {},
  body: null,
};

describe('transition: http checks', () => {
  it('expects the next result a period plus the probe timeout and slack after the last', () => {
    const up = transition(check({ status: 'new', probe: PROBE }), ping('success'), T0);
    expect(up.state.nextDeadline).toBe(T0 + (300 + 10 + PROBE_SLACK_SECONDS) * SECOND);
  });

  it('stays up when the sweep comes at the period, while the next result is on its way', () => {
    const up = check({ status: 'up', lastPingAt: T0, probe: PROBE, nextDeadline: T0 + 300 * SECOND });
    const t = transition(up, deadline, T0 + 300 * SECOND);
    expect(t.flip).toBeNull();
    expect(t.state.nextDeadline).toBe(T0 + 315 * SECOND);
  });

  it('goes late once the allowance has passed, and down after the grace', () => {
    const up = check({ status: 'up', lastPingAt: T0, probe: PROBE, nextDeadline: T0 + 315 * SECOND });
    const late = transition(up, deadline, T0 + 315 * SECOND);
    expect(late.flip).toMatchObject({ from: 'up', to: 'late' });
    expect(late.state.nextDeadline).toBe(T0 + 375 * SECOND);
    expect(transition(late.state, deadline, T0 + 375 * SECOND).flip).toMatchObject({ to: 'down' });
  });

  it('leaves pushed checks due at the period itself', () => {
    const up = transition(check({ status: 'new' }), ping('success'), T0);
    expect(up.state.nextDeadline).toBe(T0 + 300 * SECOND);
  });
});
