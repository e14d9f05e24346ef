// Uptime from flips: observed time is up, late or down; new and paused do not count.
import { describe, expect, it } from 'vitest';
import { dailyUptime, formatUptime, statusSpans, uptime } from '../../src/core/uptime.ts';

const H = 3_600_000;
const DAY = 24 * H;
const T = Date.UTC(2026, 2, 10); // midnight UTC

describe('statusSpans', () => {
  it('starts from the status the last flip before the range set', () => {
    const flips = [
      { at: T - H, to: 'up' as const },
      { at: T + 2 * H, to: 'down' as const },
      { at: T + 3 * H, to: 'up' as const },
    ];
    expect(statusSpans(flips, T, T + 4 * H, T - DAY)).toEqual([
      { from: T, to: T + 2 * H, status: 'up' },
      { from: T + 2 * H, to: T + 3 * H, status: 'down' },
      { from: T + 3 * H, to: T + 4 * H, status: 'up' },
    ]);
  });

  it('begins when the check was created, as new', () => {
    expect(statusSpans([{ at: T + 2 * H, to: 'up' }], T, T + 4 * H, T + H)).toEqual([
      { from: T + H, to: T + 2 * H, status: 'new' },
      { from: T + 2 * H, to: T + 4 * H, status: 'up' },
    ]);
    expect(statusSpans([], T, T + H, T + 2 * H)).toEqual([]);
  });
});

describe('uptime', () => {
  it('leaves out the time a check was unknown (its source could not be read)', () => {
    const flips = [
      { at: T, to: 'up' as const },
      { at: T + 2 * H, to: 'unknown' as const },
      { at: T + 6 * H, to: 'up' as const },
      { at: T + 7 * H, to: 'down' as const },
    ];
    expect(uptime(flips, T, T + 8 * H, T)).toEqual({ ratio: 3 / 4, observedMs: 4 * H, downMs: H });
  });

  it('is the share of observed time not down', () => {
    const flips = [
      { at: T, to: 'up' as const },
      { at: T + 6 * H, to: 'down' as const },
      { at: T + 7 * H, to: 'up' as const },
    ];
    const u = uptime(flips, T, T + 8 * H, T);
    expect(u).toEqual({ ratio: 7 / 8, observedMs: 8 * H, downMs: H });
  });

  it('counts late as up, and leaves new and paused time out', () => {
    const flips = [
      { at: T + H, to: 'up' as const },
      { at: T + 2 * H, to: 'late' as const },
      { at: T + 3 * H, to: 'paused' as const },
      { at: T + 5 * H, to: 'down' as const },
    ];
    // observed: up 1 h, late 1 h, down 1 h (5..6); new 0..1 and paused 3..5 do not count
    const u = uptime(flips, T, T + 6 * H, T);
    expect(u).toMatchObject({ observedMs: 3 * H, downMs: H });
    expect(u.ratio).toBeCloseTo(2 / 3, 12);
  });

  it('has no ratio when nothing was observed', () => {
    expect(uptime([], T, T + H, T).ratio).toBeNull();
  });
});

describe('dailyUptime', () => {
  it('gives one entry per UTC day, the last one up to now', () => {
    const flips = [
      { at: T - 3 * DAY, to: 'up' as const },
      { at: T - DAY + 12 * H, to: 'down' as const },
      { at: T - DAY + 18 * H, to: 'up' as const },
    ];
    const days = dailyUptime(flips, 3, T + 6 * H, T - 10 * DAY);
    expect(days.map((d) => d.day)).toEqual(['2026-03-08', '2026-03-09', '2026-03-10']);
    expect(days.map((d) => d.uptime.ratio)).toEqual([1, 0.75, 1]);
    expect(days[2]!.uptime.observedMs).toBe(6 * H);
  });
});

describe('formatUptime', () => {
  it('rounds down, so a bad day never shows as 100%', () => {
    expect(formatUptime(1)).toBe('100%');
    expect(formatUptime(0.99999)).toBe('99.99%');
    expect(formatUptime(0.5)).toBe('50.00%');
    expect(formatUptime(null)).toBe('–');
  });
});
