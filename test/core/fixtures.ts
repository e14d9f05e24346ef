// Plain check states for the state machine's specs.

import { newCheckState } from '../../src/core/status.ts';
import type { CheckState, Input } from '../../src/core/types.ts';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

/** An arbitrary fixed instant: 2026-01-10T12:00:00Z. */
export const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);

/** Every 5 minutes with 1 minute of grace, last pinged at T0 unless overridden. */
export function check(overrides: Partial<CheckState> = {}): CheckState {
  const state: CheckState = {
    ...newCheckState({ kind: 'interval', period: 300, grace: 60 }),
    ...overrides,
  };
  return deepFreeze(state);
}

/** Frozen so that any mutation by the state machine throws in the test. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export const ping = (kind: 'success' | 'start' | 'fail' | 'log', runId?: string): Input =>
  runId === undefined ? { type: 'ping', kind } : { type: 'ping', kind, runId };
export const exit = (exitStatus: number): Input => ({ type: 'ping', kind: 'exit', exitStatus });
export const deadline: Input = { type: 'deadline' };
export const pause: Input = { type: 'pause' };
export const resume: Input = { type: 'resume' };
