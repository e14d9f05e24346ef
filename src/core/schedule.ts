// When a check is next due, and how to say a schedule or a duration in words.
// Pure: every time-dependent function takes the time as an argument.

import { Cron } from 'croner';
import type { Schedule } from './types.ts';

// 5 fields as users write them; 6 (with seconds) is accepted because croner reads it
// unambiguously. 7 (with years) is refused: a check that stops being due after a given
// year would look healthy forever.
const CRON_MODE = '5-or-6-parts';

// nextDue runs for every ping and every deadline, and parsing a pattern costs far more
// than finding its next run, so parsed patterns are kept. Map keeps insertion order, so
// the first key is the least recently used once hits are re-inserted.
const CACHE_LIMIT = 1000;
const cronCache = new Map<string, Cron>();

function cronFor(expression: string, timezone: string): Cron {
  const key = `${timezone}\u0000${expression}`;
  const hit = cronCache.get(key);
  if (hit) {
    cronCache.delete(key);
    cronCache.set(key, hit);
    return hit;
  }
  // No callback: croner schedules no timer, the object only computes times.
  const cron = new Cron(expression, { timezone, mode: CRON_MODE, paused: true });
  cronCache.set(key, cron);
  if (cronCache.size > CACHE_LIMIT) {
    const oldest = cronCache.keys().next().value;
    if (oldest !== undefined) cronCache.delete(oldest);
  }
  return cron;
}

export function validateTimezone(timezone: string): string | null {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: timezone });
    return null;
  } catch {
    return `unknown timezone: ${JSON.stringify(timezone)} (use an IANA name such as Europe/Berlin or UTC)`;
  }
}

/** The canonical spelling of a valid IANA timezone ("europe/berlin" -> "Europe/Berlin"). */
export function canonicalTimezone(timezone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: timezone }).resolvedOptions().timeZone;
}

/** null when the expression is usable in the timezone, else a short message naming the problem. */
export function validateCron(expression: string, timezone: string): string | null {
  const tzError = validateTimezone(timezone);
  if (tzError) return tzError;
  let cron: Cron;
  try {
    cron = new Cron(expression.trim(), { timezone, mode: CRON_MODE, paused: true });
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
    return `invalid cron expression: ${detail}`;
  }
  // "0 0 30 2 *" parses but never fires; such a check would never be late.
  if (cron.nextRun(new Date(0)) === null) {
    return `invalid cron expression: ${JSON.stringify(expression)} never matches a date`;
  }
  return null;
}

/**
 * When a check on this schedule is next due, strictly after `after` (epoch ms); null for
 * event checks. Cron times are read in the schedule's timezone, so DST is croner's: a
 * fixed time inside a spring-forward gap fires once at the first valid time after it, and
 * a fixed time that occurs twice at fall-back fires once. Throws on a cron expression that
 * validateCron would refuse: a check that silently never falls due is worse than an error.
 */
export function nextDue(schedule: Schedule, after: number): number | null {
  switch (schedule.kind) {
    case 'interval':
      return after + schedule.period * 1000;
    case 'cron':
      return nextCronRun(schedule.expression, schedule.timezone, after);
    case 'none':
      return null;
  }
}

/** The first time `expression` matches in `timezone` strictly after `after` (epoch ms); null if never. */
export function nextCronRun(expression: string, timezone: string, after: number): number | null {
  const next = cronFor(expression.trim(), timezone).nextRun(new Date(after));
  return next ? next.getTime() : null;
}

const UNITS = [
  { ms: 86_400_000, one: 'day', many: 'days' },
  { ms: 3_600_000, one: 'hour', many: 'hours' },
  { ms: 60_000, one: 'minute', many: 'minutes' },
  { ms: 1000, one: 'second', many: 'seconds' },
] as const;

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "45 seconds", "1 hour 30 minutes", "2 days 3 hours": the largest unit and the next one. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0 seconds';
  if (ms < 1000) return 'less than a second';
  for (let i = 0; i < UNITS.length; i++) {
    const unit = UNITS[i]!;
    if (ms < unit.ms) continue;
    const whole = Math.floor(ms / unit.ms);
    const text = count(whole, unit.one, unit.many);
    const next = UNITS[i + 1];
    if (!next) return text;
    // Truncated, not rounded: "5 minutes 59 seconds" never becomes "6 minutes".
    const rest = Math.floor((ms - whole * unit.ms) / next.ms);
    return rest > 0 ? `${text} ${count(rest, next.one, next.many)}` : text;
  }
  return '0 seconds';
}

function describePeriod(seconds: number): string {
  if (seconds === 86_400) return 'every day';
  for (const unit of UNITS) {
    const perUnit = unit.ms / 1000;
    if (seconds >= perUnit && seconds % perUnit === 0) {
      return `every ${count(seconds / perUnit, unit.one, unit.many)}`;
    }
  }
  return `every ${count(seconds, 'second', 'seconds')}`;
}

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const DAY_NUMBERS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

function fieldNumber(field: string, max: number): number | null {
  if (!/^\d{1,2}$/.test(field)) return null;
  const n = Number(field);
  return n <= max ? n : null;
}

function dayNumber(field: string): number | null {
  return DAY_NUMBERS[field.toLowerCase()] ?? fieldNumber(field, 7);
}

/** "Mon–Fri", "Sat, Sun", "Mon"; null for steps, nth weekdays and other rarer forms. */
function describeWeekdays(field: string): string | null {
  const parts: string[] = [];
  for (const part of field.split(',')) {
    const range = part.split('-');
    const days = range.map(dayNumber);
    if (days.some((d) => d === null) || days.length > 2) return null;
    const names = (days as number[]).map((d) => DAY_NAMES[d]!);
    parts.push(names.join('–'));
  }
  return parts.join(', ');
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Words for the shapes people usually write; null when there is no short honest phrase. */
function describeCronFields(expression: string, timezone: string): string | null {
  let fields = (NICKNAMES[expression.toLowerCase()] ?? expression).split(/\s+/);
  // Seconds fixed at 0 read like the five-field form.
  if (fields.length === 6 && fields[0] === '0') fields = fields.slice(1);
  if (fields.length !== 5) return null;
  const [min, hour, dom, month, dow] = fields as [string, string, string, string, string];
  if (month !== '*') return null;

  if (hour === '*' && dom === '*' && dow === '*') {
    if (min === '*' || min === '*/1') return 'every minute';
    const step = /^\*\/(\d+)$/.exec(min);
    // */7 fires at :00, :07 ... :56 and again at :00 — not every 7 minutes, so only
    // steps that divide the hour are said as "every N minutes".
    if (step) {
      const n = Number(step[1]);
      return n > 0 && 60 % n === 0 ? `every ${count(n, 'minute', 'minutes')}` : null;
    }
    const m = fieldNumber(min, 59);
    if (m === null) return null;
    return m === 0 ? 'every hour' : `every hour at :${pad(m)}`;
  }

  const m = fieldNumber(min, 59);
  const h = fieldNumber(hour, 23);
  if (m === null || h === null) return null;
  const at = `at ${pad(h)}:${pad(m)}`;
  if (dom === '*' && dow === '*') return `${at} ${timezone}`;
  if (dom === '*') {
    const days = describeWeekdays(dow);
    return days ? `${at} on ${days} ${timezone}` : null;
  }
  const d = fieldNumber(dom, 31);
  if (dow === '*' && d !== null && d >= 1) return `${at} on day ${d} of each month ${timezone}`;
  return null;
}

/** The schedule in words, for people: "every 5 minutes", "at 02:00 Europe/Berlin". */
export function describeSchedule(schedule: Schedule): string {
  switch (schedule.kind) {
    case 'interval':
      return describePeriod(schedule.period);
    case 'cron': {
      const expression = schedule.expression.trim();
      return (
        describeCronFields(expression, schedule.timezone) ?? `cron "${expression}" (${schedule.timezone})`
      );
    }
    case 'none':
      return 'no schedule (events only)';
  }
}
