// A client's own clock, where its protocol carries one: `?ts=` or `X-Vigil-Client-Time` on a
// ping, a daemon heartbeat's lastHeartbeat, a check-in's sent_at. It is kept beside the time
// vigil received the ping, to show how far the client's clock is off; it never moves a deadline
// (a client with a wrong clock, or one that lies, must not be able to keep a check up).
//
// Any time a clock can say is kept as said, however far off: that is what the skew is for. Only
// what is no time at all is dropped: text that is not a number or an RFC 3339 time, and numbers
// outside years 1970-9999. A ping is never refused for it.

/** 9999-12-31T23:59:59.999Z, the last instant RFC 3339 can write. */
const LATEST = 253_402_300_799_999;
/** Below this a number counts as seconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const SECONDS_BELOW = 1e11;

const NUMBER = /^\d{1,16}(\.\d{1,9})?$/;
const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Epoch milliseconds from Unix seconds, Unix milliseconds (a number or its digits) or an
 * RFC 3339 time with its offset; null for anything else.
 */
export function parseClientTime(value: string | number | null | undefined): number | null {
  if (typeof value === 'number') return fromNumber(value);
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text.length > 40) return null;
  if (NUMBER.test(text)) return fromNumber(Number(text));
  const date = RFC_3339.exec(text);
  if (!date || !isCalendarDay(Number(date[1]), Number(date[2]), Number(date[3]))) return null;
  return inRange(Date.parse(text.replace(' ', 'T')));
}

/** Date.parse rolls February 30 over into March; a client that sent it sent no date. */
function isCalendarDay(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

function fromNumber(n: number): number | null {
  if (!Number.isFinite(n) || n < 0) return null;
  return inRange(Math.round(n < SECONDS_BELOW ? n * 1000 : n));
}

function inRange(ms: number): number | null {
  return Number.isFinite(ms) && ms >= 0 && ms <= LATEST ? ms : null;
}
