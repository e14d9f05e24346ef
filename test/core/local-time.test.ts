// Wall-clock times in a timezone: what a datetime-local value means there, around the nights
// the clocks change.
import { describe, expect, it } from 'vitest';
import { instantToLocal, localToInstant, offsetAt } from '../../src/core/local-time.ts';

const BERLIN = 'Europe/Berlin';

describe('localToInstant', () => {
  it('reads a time in winter and in summer with the offset of that day', () => {
    expect(localToInstant('2026-01-15T09:30', BERLIN)).toBe(Date.UTC(2026, 0, 15, 8, 30));
    expect(localToInstant('2026-07-15T09:30', BERLIN)).toBe(Date.UTC(2026, 6, 15, 7, 30));
    expect(localToInstant('2026-07-15T09:30:15', 'America/New_York')).toBe(Date.UTC(2026, 6, 15, 13, 30, 15));
  });

  it('moves a time that does not exist (clocks going forward) on by the gap', () => {
    // Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST
    expect(localToInstant('2026-03-29T02:30', BERLIN)).toBe(Date.UTC(2026, 2, 29, 1, 30));
    expect(instantToLocal(Date.UTC(2026, 2, 29, 1, 30), BERLIN)).toBe('2026-03-29T03:30');
  });

  it('takes the first of a time that occurs twice (clocks going back)', () => {
    // Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice
    expect(localToInstant('2026-10-25T02:30', BERLIN)).toBe(Date.UTC(2026, 9, 25, 0, 30));
    expect(localToInstant('2026-10-25T03:30', BERLIN)).toBe(Date.UTC(2026, 9, 25, 2, 30));
  });

  it('is null for text that is not a date and time, or a date that does not exist', () => {
    for (const text of ['', 'tomorrow', '2026-02-30T10:00', '2026-01-01 10:00', '2026-01-01T25:00']) {
      expect(localToInstant(text, BERLIN), text).toBeNull();
    }
  });
});

describe('offsetAt', () => {
  it('is the offset from UTC at that instant', () => {
    expect(offsetAt(Date.UTC(2026, 2, 29, 0, 59), BERLIN)).toBe(3_600_000);
    expect(offsetAt(Date.UTC(2026, 2, 29, 1, 0), BERLIN)).toBe(7_200_000);
    expect(offsetAt(Date.UTC(2026, 2, 29, 1, 0), 'UTC')).toBe(0);
  });
});
