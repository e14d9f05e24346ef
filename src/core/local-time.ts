// Wall-clock times in a timezone, to and from instants: what a `datetime-local` input means in
// the timezone its user named, and how to show an instant there. Pure: no clock is read.

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** The wall-clock fields of `at` in `timezone`. */
function wallClock(at: number, timezone: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of formatter(timezone).formatToParts(at)) {
    if (part.type !== 'literal') out[part.type] = Number(part.value);
  }
  return out;
}

/** How far `timezone`'s clocks are ahead of UTC at the instant `at`, in ms. */
export function offsetAt(at: number, timezone: string): number {
  const w = wallClock(at, timezone);
  const asUtc = Date.UTC(w.year!, w.month! - 1, w.day!, w.hour!, w.minute!, w.second!);
  return asUtc - Math.floor(at / 1000) * 1000;
}

/**
 * The instant a wall-clock time (`2026-03-29T02:30`, as a datetime-local input sends it) names
 * in `timezone`; null when the text is not such a time. Like Temporal's "compatible" choice:
 * a time that occurs twice (clocks going back) is its first occurrence, and a time that does
 * not exist (clocks going forward) moves forward by the gap, e.g. 02:30 → 03:30.
 */
export function localToInstant(local: string, timezone: string): number | null {
  const m = LOCAL.exec(local.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(asUtc);
  // Date.UTC rolls 2026-02-30 over into March; a date that does not exist is not a time
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23) return null;
  // offsets a day either side cover every transition near this time (none comes closer)
  const before = offsetAt(asUtc - 86_400_000, timezone);
  const after = offsetAt(asUtc + 86_400_000, timezone);
  const fits = [before, after]
    .map((offset) => asUtc - offset)
    .filter((at) => offsetAt(at, timezone) === asUtc - at)
    .sort((a, b) => a - b);
  // in a gap neither offset fits: the offset before it moves the time forward past the gap
  return fits[0] ?? asUtc - before;
}

/** `at` as `2026-03-29T03:30` in `timezone`: the value a datetime-local input shows. */
export function instantToLocal(at: number, timezone: string): string {
  const w = wallClock(at, timezone);
  const two = (n: number | undefined) => String(n ?? 0).padStart(2, '0');
  return `${w.year}-${two(w.month)}-${two(w.day)}T${two(w.hour)}:${two(w.minute)}`;
}
