// pg_cron's schedules as vigil's: a 5-field cron (or a nickname such as @daily) read in the
// server's cron.timezone, and the 'N seconds' interval form of pg_cron 1.5+. Pure.
import { canonicalTimezone, validateCron, validateTimezone } from '../core/schedule.ts';
import type { Schedule } from '../core/types.ts';

/** pg_cron runs in GMT unless cron.timezone says otherwise (1.4 has no such setting). */
export const PG_CRON_DEFAULT_TIMEZONE = 'GMT';

export interface ReadSchedule {
  schedule: Schedule;
  /** why the schedule could not be followed (then it is `none`: only failed runs alert) */
  note: string | null;
}

const SECONDS = /^(\d{1,2})\s+seconds?$/i;

/**
 * The schedule vigil follows for a job. What it cannot follow becomes an event check with a
 * note, rather than a guess: a wrong schedule would call a healthy job late.
 */
export function readSchedule(expression: string, timezone: string | null, grace: number): ReadSchedule {
  const text = expression.trim().replace(/\s+/g, ' ');
  const seconds = SECONDS.exec(text);
  if (seconds) {
    const period = Number(seconds[1]);
    if (period >= 1 && period <= 59) return { schedule: { kind: 'interval', period, grace }, note: null };
    return none(`"${text}" is outside pg_cron's 1-59 seconds`);
  }
  if (text.toLowerCase() === '@reboot')
    return none('@reboot jobs run when the server starts, not on a schedule');
  const tz = timezone?.trim() || PG_CRON_DEFAULT_TIMEZONE;
  if (validateTimezone(tz) !== null) return none(`cron.timezone "${tz}" is not a timezone vigil knows`);
  const cron = asCroner(text);
  if (cron === null) return none(`"${text}" is not a 5-field cron schedule`);
  const problem = validateCron(cron, tz);
  if (problem !== null) return none(`"${text}": ${problem}`);
  return { schedule: { kind: 'cron', expression: cron, timezone: canonicalTimezone(tz), grace }, note: null };
}

/**
 * pg_cron's spelling in croner's: `$` (last day of the month, pg_cron 1.5+) is croner's `L`.
 * Six fields would mean seconds to croner but are not pg_cron's, so they are refused.
 */
function asCroner(text: string): string | null {
  if (text.startsWith('@')) return text.toLowerCase();
  const fields = text.split(' ');
  if (fields.length !== 5) return null;
  if (fields[2] === '$') fields[2] = 'L';
  return fields.join(' ');
}

function none(note: string): ReadSchedule {
  return { schedule: { kind: 'none' }, note };
}
