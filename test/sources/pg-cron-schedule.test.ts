// pg_cron's schedule spellings as the checks' schedules (pure; no database).
import { describe, expect, it } from 'vitest';
import { jobSlugName } from '../../src/sources/pg-cron.ts';
import { readSchedule } from '../../src/sources/pg-cron-schedule.ts';

describe('readSchedule', () => {
  it('reads a 5-field cron in GMT when the server sets no cron.timezone (pg_cron 1.4)', () => {
    expect(readSchedule('*/5 * * * *', null, 120)).toEqual({
      schedule: { kind: 'cron', expression: '*/5 * * * *', timezone: 'UTC', grace: 120 },
      note: null,
    });
  });

  it("reads it in the server's cron.timezone when one is set", () => {
    expect(readSchedule('30 2 * * 1-5', 'Europe/Berlin', 300).schedule).toEqual({
      kind: 'cron',
      expression: '30 2 * * 1-5',
      timezone: 'Europe/Berlin',
      grace: 300,
    });
  });

  it("reads pg_cron's interval form 'N seconds' as an interval", () => {
    expect(readSchedule('30 seconds', null, 120).schedule).toEqual({
      kind: 'interval',
      period: 30,
      grace: 120,
    });
    expect(readSchedule(' 1 second ', null, 60).schedule).toEqual({ kind: 'interval', period: 1, grace: 60 });
  });

  it('refuses seconds pg_cron itself would refuse', () => {
    const read = readSchedule('90 seconds', null, 120);
    expect(read.schedule).toEqual({ kind: 'none' });
    expect(read.note).toContain('1-59 seconds');
  });

  it('reads nicknames and the last-day-of-month form', () => {
    expect(readSchedule('@hourly', null, 60).schedule).toMatchObject({ kind: 'cron', expression: '@hourly' });
    expect(readSchedule('0 0 $ * *', null, 60).schedule).toMatchObject({
      kind: 'cron',
      expression: '0 0 L * *',
    });
  });

  it('makes a job it cannot follow an event check, and says why', () => {
    for (const [expression, why] of [
      ['@reboot', 'server starts'],
      ['* * * * * *', 'not a 5-field cron'],
      ['61 * * * *', 'invalid cron expression'],
    ] as const) {
      const read = readSchedule(expression, null, 60);
      expect(read.schedule, expression).toEqual({ kind: 'none' });
      expect(read.note, expression).toContain(why);
    }
  });

  it('says so when cron.timezone is not a timezone vigil knows', () => {
    const read = readSchedule('0 * * * *', 'Mars/Olympus', 60);
    expect(read.schedule).toEqual({ kind: 'none' });
    expect(read.note).toContain('Mars/Olympus');
  });
});

describe('jobSlugName', () => {
  it("slugifies the job's name, or names it by its job id without one", () => {
    expect(jobSlugName('Nightly Backup (main)', '7')).toBe('nightly-backup-main');
    expect(jobSlugName(null, '7')).toBe('job-7');
    expect(jobSlugName('   ', '8')).toBe('job-8');
    expect(jobSlugName('日次', '9')).toBe('job-9');
  });
});
