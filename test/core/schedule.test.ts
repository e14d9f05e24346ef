import { describe, expect, it } from 'vitest';
import { describeSchedule, formatDuration, nextDue, validateCron } from '../../src/core/schedule.ts';
import type { Schedule } from '../../src/core/types.ts';

const cron = (expression: string, timezone = 'UTC'): Schedule => ({
  kind: 'cron',
  expression,
  timezone,
  grace: 0,
});
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The fire times of a cron schedule from `from` (exclusive) up to `until`. */
function firesBetween(schedule: Schedule, from: string, until: string): string[] {
  const fires: string[] = [];
  let at = Date.parse(from);
  for (;;) {
    const next = nextDue(schedule, at);
    if (next === null || next > Date.parse(until)) return fires;
    fires.push(iso(next)!);
    at = next;
  }
}

describe('validateCron', () => {
  it.each([
    ['*/5 * * * *'],
    ['0 2 * * *'],
    ['30 9 * * MON-FRI'],
    ['@daily'],
    ['@hourly'],
    ['0 */10 * * * *'],
    [' 0 2 * * * '],
  ])('accepts %j', (expression) => {
    expect(validateCron(expression, 'Europe/Berlin')).toBeNull();
  });

  it.each([
    ['61 * * * *', 'invalid cron expression: Invalid value for minute: 61'],
    ['* * *', 'invalid cron expression: invalid configuration format'],
    ['', 'invalid cron expression'],
    ['@sometimes', 'invalid cron expression'],
    ['0 0 * * * * 2030', 'invalid cron expression'],
    ['0 0 30 2 *', 'invalid cron expression: "0 0 30 2 *" never matches a date'],
  ])('refuses %j and names the problem', (expression, message) => {
    expect(validateCron(expression, 'UTC')).toContain(message);
  });

  it.each(['Mars/Olympus_Mons', '', 'Europe/Berlinn'])('refuses the timezone %j', (timezone) => {
    expect(validateCron('0 2 * * *', timezone)).toMatch(/^unknown timezone: /);
  });
});

describe('nextDue', () => {
  const at = Date.parse('2026-01-10T12:00:00Z');

  it('is one period after the given time for an interval', () => {
    expect(nextDue({ kind: 'interval', period: 300, grace: 60 }, at)).toBe(at + 300_000);
  });

  it('is never for an event check', () => {
    expect(nextDue({ kind: 'none' }, at)).toBeNull();
  });

  it.each([
    ['*/5 * * * *', 'UTC', '2026-01-10T12:00:00Z', '2026-01-10T12:05:00.000Z'],
    ['*/5 * * * *', 'UTC', '2026-01-10T12:04:59.999Z', '2026-01-10T12:05:00.000Z'],
    ['0 2 * * *', 'Europe/Berlin', '2026-01-10T12:00:00Z', '2026-01-11T01:00:00.000Z'],
    ['0 2 * * *', 'Europe/Berlin', '2026-07-10T12:00:00Z', '2026-07-11T00:00:00.000Z'],
    ['0 9 * * *', 'America/New_York', '2026-01-10T12:00:00Z', '2026-01-10T14:00:00.000Z'],
    ['0 9 * * *', 'America/New_York', '2026-07-10T12:00:00Z', '2026-07-10T13:00:00.000Z'],
    ['@daily', 'UTC', '2026-01-10T12:00:00Z', '2026-01-11T00:00:00.000Z'],
    ['30 9 * * 1-5', 'UTC', '2026-01-09T10:00:00Z', '2026-01-12T09:30:00.000Z'],
  ])('for %j in %s after %s is %s', (expression, timezone, after, expected) => {
    expect(iso(nextDue(cron(expression, timezone), Date.parse(after)))).toBe(expected);
  });

  it('is strictly after the given time, even when that time is a fire time', () => {
    const fire = Date.parse('2026-01-11T01:00:00Z');
    expect(iso(nextDue(cron('0 2 * * *', 'Europe/Berlin'), fire))).toBe('2026-01-12T01:00:00.000Z');
  });

  describe('across DST changes', () => {
    // Europe/Berlin springs forward on 2026-03-29 (02:00 CET -> 03:00 CEST) and falls back
    // on 2026-10-25 (03:00 CEST -> 02:00 CET); America/New_York on 2026-03-08 and 2026-11-01.
    it.each([
      [
        '0 2 * * *',
        'Europe/Berlin',
        '2026-03-28T12:00:00Z',
        '2026-03-29T22:00:00Z',
        ['2026-03-29T01:00:00.000Z'],
      ],
      [
        '30 2 * * *',
        'Europe/Berlin',
        '2026-03-28T12:00:00Z',
        '2026-03-29T22:00:00Z',
        ['2026-03-29T01:00:00.000Z'],
      ],
      [
        '30 2 * * *',
        'America/New_York',
        '2026-03-07T12:00:00Z',
        '2026-03-09T04:00:00Z',
        ['2026-03-08T07:00:00.000Z'],
      ],
    ])(
      'fires %j in %s once, at the end of the gap, on the day the time does not exist',
      (e, tz, from, until, fires) => {
        expect(firesBetween(cron(e, tz), from, until)).toEqual(fires);
      },
    );

    it.each([
      [
        '30 2 * * *',
        'Europe/Berlin',
        '2026-10-24T12:00:00Z',
        '2026-10-25T22:00:00Z',
        ['2026-10-25T00:30:00.000Z'],
      ],
      [
        '0 2 * * *',
        'Europe/Berlin',
        '2026-10-24T12:00:00Z',
        '2026-10-25T22:00:00Z',
        ['2026-10-25T00:00:00.000Z'],
      ],
      [
        '30 1 * * *',
        'America/New_York',
        '2026-10-31T12:00:00Z',
        '2026-11-02T04:00:00Z',
        ['2026-11-01T05:30:00.000Z'],
      ],
    ])('fires %j in %s once on the day the time happens twice', (e, tz, from, until, fires) => {
      expect(firesBetween(cron(e, tz), from, until)).toEqual(fires);
    });

    it('keeps firing at the same local time after the change', () => {
      const fires = firesBetween(
        cron('30 2 * * *', 'Europe/Berlin'),
        '2026-03-28T00:00:00Z',
        '2026-03-31T00:00:00Z',
      );
      // 02:30 CET, 03:00 CEST (gap), 02:30 CEST, 02:30 CEST
      expect(fires).toEqual([
        '2026-03-28T01:30:00.000Z',
        '2026-03-29T01:00:00.000Z',
        '2026-03-30T00:30:00.000Z',
      ]);
    });

    it('keeps a sub-hourly schedule on the real clock through the repeated hour', () => {
      const fires = firesBetween(
        cron('*/30 * * * *', 'Europe/Berlin'),
        '2026-10-24T23:59:00Z',
        '2026-10-25T02:00:00Z',
      );
      expect(fires).toEqual([
        '2026-10-25T00:00:00.000Z',
        '2026-10-25T00:30:00.000Z',
        '2026-10-25T01:00:00.000Z',
        '2026-10-25T01:30:00.000Z',
        '2026-10-25T02:00:00.000Z',
      ]);
    });
  });

  it('stays correct when more schedules are used than the cache holds', () => {
    const after = Date.parse('2026-01-10T12:00:00Z');
    for (let minute = 0; minute < 60; minute++) {
      for (const tz of ['UTC', 'Europe/Berlin', 'Asia/Tokyo', 'America/New_York', 'Asia/Kolkata']) {
        for (let hour = 0; hour < 4; hour++) nextDue(cron(`${minute} ${hour} * * *`, tz), after);
      }
    }
    expect(iso(nextDue(cron('0 0 * * *', 'UTC'), after))).toBe('2026-01-11T00:00:00.000Z');
  });

  it('throws on a cron expression that validateCron refuses', () => {
    expect(() => nextDue(cron('61 * * * *'), 0)).toThrow(/minute/);
  });
});

describe('describeSchedule', () => {
  it.each([
    [{ kind: 'interval', period: 30, grace: 0 }, 'every 30 seconds'],
    [{ kind: 'interval', period: 1, grace: 0 }, 'every 1 second'],
    [{ kind: 'interval', period: 300, grace: 60 }, 'every 5 minutes'],
    [{ kind: 'interval', period: 5400, grace: 60 }, 'every 90 minutes'],
    [{ kind: 'interval', period: 3600, grace: 60 }, 'every 1 hour'],
    [{ kind: 'interval', period: 7200, grace: 60 }, 'every 2 hours'],
    [{ kind: 'interval', period: 86_400, grace: 60 }, 'every day'],
    [{ kind: 'interval', period: 604_800, grace: 60 }, 'every 7 days'],
    [{ kind: 'interval', period: 90, grace: 0 }, 'every 90 seconds'],
    [cron('0 2 * * *', 'Europe/Berlin'), 'at 02:00 Europe/Berlin'],
    [cron('*/5 * * * *'), 'every 5 minutes'],
    [cron('* * * * *'), 'every minute'],
    [cron('15 * * * *'), 'every hour at :15'],
    [cron('@hourly'), 'every hour'],
    [cron('@daily', 'Asia/Tokyo'), 'at 00:00 Asia/Tokyo'],
    [cron('30 9 * * 1-5'), 'at 09:30 on Mon–Fri UTC'],
    [cron('30 9 * * MON-FRI'), 'at 09:30 on Mon–Fri UTC'],
    [cron('0 18 * * 6,0'), 'at 18:00 on Sat, Sun UTC'],
    [cron('@weekly'), 'at 00:00 on Sun UTC'],
    [cron('0 3 1 * *', 'America/New_York'), 'at 03:00 on day 1 of each month America/New_York'],
    [cron('0 0 2 * * *'), 'at 02:00 UTC'],
    [cron('*/7 * * * *'), 'cron "*/7 * * * *" (UTC)'],
    [cron('0 */6 * * *'), 'cron "0 */6 * * *" (UTC)'],
    [cron('0 9 * 1 *'), 'cron "0 9 * 1 *" (UTC)'],
    [cron('0 9 1 * 1'), 'cron "0 9 1 * 1" (UTC)'],
    [cron('0 9 * * 5#2'), 'cron "0 9 * * 5#2" (UTC)'],
    [cron('15 30 2 * * *'), 'cron "15 30 2 * * *" (UTC)'],
    [{ kind: 'none' }, 'no schedule (events only)'],
  ] as [Schedule, string][])('says %j as %j', (schedule, words) => {
    expect(describeSchedule(schedule)).toBe(words);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 seconds'],
    [-5000, '0 seconds'],
    [400, 'less than a second'],
    [1000, '1 second'],
    [45_000, '45 seconds'],
    [60_000, '1 minute'],
    [300_000, '5 minutes'],
    [359_000, '5 minutes 59 seconds'],
    [3_600_000, '1 hour'],
    [5_400_000, '1 hour 30 minutes'],
    [5_430_000, '1 hour 30 minutes'],
    [86_400_000, '1 day'],
    [183_600_000, '2 days 3 hours'],
    [2 * 86_400_000 + 5 * 60_000, '2 days'],
  ])('says %i ms as %j', (ms, words) => {
    expect(formatDuration(ms)).toBe(words);
  });
});
