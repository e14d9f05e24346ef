import { describe, expect, it } from 'vitest';
import {
  BASE_DELAY_MS,
  MAX_DELAY_MS,
  MIN_DELAY_MS,
  nextRetryDelay,
  RETRY_WINDOW_MS,
} from '../../src/scheduler/backoff.ts';

const almostOne = () => 0.999999;
const half = () => 0.5;
const zero = () => 0;

describe('nextRetryDelay', () => {
  it('doubles the ceiling with each attempt, starting at 5 s', () => {
    const delays = [1, 2, 3, 4, 5].map((attempt) => nextRetryDelay(attempt, half));
    expect(delays).toEqual([2_500, 5_000, 10_000, 20_000, 40_000]);
  });

  it('never waits longer than an hour', () => {
    expect(nextRetryDelay(20, almostOne)).toBeLessThanOrEqual(MAX_DELAY_MS);
    expect(nextRetryDelay(20, almostOne)).toBeGreaterThan(MAX_DELAY_MS - 10_000);
  });

  it('waits at least a second even when the jitter draws zero', () => {
    expect(nextRetryDelay(1, zero)).toBe(MIN_DELAY_MS);
    expect(nextRetryDelay(30, zero)).toBe(MIN_DELAY_MS);
  });

  it('stays within [1 s, ceiling] at both ends of the random range', () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
      for (const random of [zero, almostOne, () => 1]) {
        const delay = nextRetryDelay(attempt, random);
        expect(delay).toBeGreaterThanOrEqual(MIN_DELAY_MS);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('stays finite for absurd attempt counts and bad random values', () => {
    for (const attempt of [0, -3, 1e6, Number.POSITIVE_INFINITY, Number.NaN]) {
      for (const random of [zero, almostOne, () => Number.NaN, () => -1, () => 7]) {
        const delay = nextRetryDelay(attempt, random);
        expect(Number.isFinite(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(MIN_DELAY_MS);
        expect(delay).toBeLessThanOrEqual(MAX_DELAY_MS);
      }
    }
  });

  it('waits at least as long as the provider asked', () => {
    expect(nextRetryDelay(1, half, 7_000)).toBe(7_000);
  });

  it('keeps its own longer backoff when the provider asks for less', () => {
    expect(nextRetryDelay(10, half, 7_000)).toBe(nextRetryDelay(10, half));
  });

  it('caps a provider request beyond an hour at an hour', () => {
    expect(nextRetryDelay(1, half, 6 * MAX_DELAY_MS)).toBe(MAX_DELAY_MS);
  });

  it('ignores a zero or negative Retry-After', () => {
    expect(nextRetryDelay(3, half, 0)).toBe(nextRetryDelay(3, half));
    expect(nextRetryDelay(3, half, -5)).toBe(nextRetryDelay(3, half));
  });
});

describe('RETRY_WINDOW_MS', () => {
  it('is 24 hours', () => {
    expect(RETRY_WINDOW_MS).toBe(24 * 60 * 60 * 1000);
  });
});
