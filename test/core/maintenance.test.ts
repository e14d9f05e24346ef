// Maintenance windows: when each occurs (DST included), what they cover, and how long a hold lasts.
import { describe, expect, it } from 'vitest';
import {
  covers,
  holdAt,
  type MaintenanceWindow,
  occurrenceAt,
  upcoming,
} from '../../src/core/maintenance.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (s: string) => Date.parse(s);

type OnceWindow = Extract<MaintenanceWindow, { kind: 'once' }>;

function once(startsAt: string, endsAt: string, scope: Partial<OnceWindow> = {}): OnceWindow {
  return {
    id: `once-${startsAt}`,
    name: 'one-off',
    kind: 'once',
    startsAt: at(startsAt),
    endsAt: at(endsAt),
    checkIds: [],
    tags: [],
    ...scope,
  };
}

function recurring(cron: string, duration: number, timezone = 'UTC', name = 'recurring'): MaintenanceWindow {
  return { id: `rec-${cron}`, name, kind: 'recurring', cron, duration, timezone, checkIds: [], tags: [] };
}

// Sundays 02:00–04:00 in Berlin
const sundayNights = recurring('0 2 * * 0', 7200, 'Europe/Berlin', 'backups');

describe('occurrenceAt', () => {
  it('covers a one-off window from its start (inclusive) to its end (exclusive)', () => {
    const w = once('2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z');
    expect(occurrenceAt(w, at('2026-03-01T09:59:59.999Z'))).toBeNull();
    expect(occurrenceAt(w, at('2026-03-01T10:00:00Z'))).toEqual({ start: w.startsAt, end: w.endsAt });
    expect(occurrenceAt(w, at('2026-03-01T10:59:59.999Z'))).not.toBeNull();
    expect(occurrenceAt(w, at('2026-03-01T11:00:00Z'))).toBeNull();
  });

  it('reads a recurring window in its timezone: 02:00 Berlin is 01:00Z in winter', () => {
    // 2026-03-22 is a Sunday, CET (+01:00)
    expect(occurrenceAt(sundayNights, at('2026-03-22T00:59:00Z'))).toBeNull();
    expect(occurrenceAt(sundayNights, at('2026-03-22T01:00:00Z'))).toEqual({
      start: at('2026-03-22T01:00:00Z'),
      end: at('2026-03-22T03:00:00Z'),
    });
    expect(occurrenceAt(sundayNights, at('2026-03-22T02:59:59Z'))).not.toBeNull();
    expect(occurrenceAt(sundayNights, at('2026-03-22T03:00:00Z'))).toBeNull();
    // a Monday at the same hour is not covered
    expect(occurrenceAt(sundayNights, at('2026-03-23T01:30:00Z'))).toBeNull();
  });

  it('follows daylight saving time: 02:00 Berlin is 00:00Z in summer', () => {
    // 2026-04-05 is a Sunday, CEST (+02:00)
    expect(occurrenceAt(sundayNights, at('2026-04-05T00:00:00Z'))).toEqual({
      start: at('2026-04-05T00:00:00Z'),
      end: at('2026-04-05T02:00:00Z'),
    });
    expect(occurrenceAt(sundayNights, at('2026-04-05T02:30:00Z'))).toBeNull();
  });

  it('starts at the first valid time on the night 02:00 does not exist (spring forward)', () => {
    // 2026-03-29: clocks jump from 02:00 to 03:00 CEST; croner fires at 03:00 CEST = 01:00Z
    const o = occurrenceAt(sundayNights, at('2026-03-29T01:30:00Z'));
    expect(o).toEqual({ start: at('2026-03-29T01:00:00Z'), end: at('2026-03-29T03:00:00Z') });
    expect(occurrenceAt(sundayNights, at('2026-03-29T00:30:00Z'))).toBeNull();
  });

  it('lasts its duration in real time across fall-back, once', () => {
    // 2026-10-25: 03:00 CEST becomes 02:00 CET; the window starts at 02:00 CEST = 00:00Z
    const o = occurrenceAt(sundayNights, at('2026-10-25T00:30:00Z'));
    expect(o).toEqual({ start: at('2026-10-25T00:00:00Z'), end: at('2026-10-25T02:00:00Z') });
    expect(occurrenceAt(sundayNights, at('2026-10-25T02:00:00Z'))).toBeNull();
  });

  it('extends to the last running occurrence when occurrences overlap', () => {
    // every hour, lasting 90 minutes: at 10:20 both the 09:00 and 10:00 runs cover it
    const w = recurring('0 * * * *', 5400);
    expect(occurrenceAt(w, at('2026-03-01T10:40:00Z'))).toEqual({
      start: at('2026-03-01T10:00:00Z'),
      end: at('2026-03-01T11:30:00Z'),
    });
    expect(occurrenceAt(w, at('2026-03-01T10:20:00Z'))).toEqual({
      start: at('2026-03-01T09:00:00Z'),
      end: at('2026-03-01T11:30:00Z'),
    });
  });
});

describe('upcoming', () => {
  it('lists the current occurrence first, then the next ones', () => {
    const list = upcoming(sundayNights, at('2026-03-22T02:00:00Z'), 3);
    expect(list.map((o) => new Date(o.start).toISOString())).toEqual([
      '2026-03-22T01:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-04-05T00:00:00.000Z',
    ]);
    expect(list.every((o) => o.end - o.start === 2 * HOUR)).toBe(true);
  });

  it('lists a one-off window until it ends', () => {
    const w = once('2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z');
    expect(upcoming(w, at('2026-03-01T09:00:00Z'), 3)).toHaveLength(1);
    expect(upcoming(w, at('2026-03-01T11:00:00Z'), 3)).toEqual([]);
  });
});

describe('covers', () => {
  const check = { id: 'c1', tags: ['db', 'prod'] };
  it('covers the whole project when it lists no checks and no tags', () => {
    expect(covers({ checkIds: [], tags: [] }, check)).toBe(true);
  });
  it('covers listed checks and checks with any listed tag', () => {
    expect(covers({ checkIds: ['c1'], tags: [] }, check)).toBe(true);
    expect(covers({ checkIds: ['c2'], tags: [] }, check)).toBe(false);
    expect(covers({ checkIds: [], tags: ['web', 'db'] }, check)).toBe(true);
    expect(covers({ checkIds: [], tags: ['web'] }, check)).toBe(false);
    expect(covers({ checkIds: ['c2'], tags: ['prod'] }, check)).toBe(true);
  });
});

describe('holdAt', () => {
  const check = { id: 'c1', tags: ['db'] };

  it('holds until the covering window ends, naming it', () => {
    const w = once('2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z');
    expect(holdAt([w], check, at('2026-03-01T10:30:00Z'))).toEqual({ window: w, until: w.endsAt });
    expect(holdAt([w], check, at('2026-03-01T11:00:00Z'))).toBeNull();
  });

  it('ignores windows that do not cover the check', () => {
    const w = once('2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z', { tags: ['web'] });
    expect(holdAt([w], check, at('2026-03-01T10:30:00Z'))).toBeNull();
  });

  it('runs through overlapping and touching windows to the end of the last', () => {
    const a = once('2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z');
    const b = once('2026-03-01T10:30:00Z', '2026-03-01T12:00:00Z');
    const c = once('2026-03-01T12:00:00Z', '2026-03-01T12:15:00Z');
    const later = once('2026-03-01T13:00:00Z', '2026-03-01T14:00:00Z');
    expect(holdAt([later, c, b, a], check, at('2026-03-01T10:15:00Z'))?.until).toBe(
      at('2026-03-01T12:15:00Z'),
    );
  });

  it('joins a one-off window to a recurring one that starts when it ends', () => {
    const before = once('2026-03-22T00:00:00Z', '2026-03-22T01:00:00Z');
    const hold = holdAt([before, sundayNights], check, at('2026-03-22T00:30:00Z'));
    expect(hold).toEqual({ window: before, until: at('2026-03-22T03:00:00Z') });
  });
});
