// When each http check is probed. Every check has its own fixed place in the period (from a
// hash of its id), and its probes fall on the grid `k * period + offset` counted from the epoch.
// So 1,000 checks with one interval are spread over it instead of all firing at once, and a
// late or slow probe puts the next one back on its own grid slot: they never bunch up again.
import type { Check } from '../store/store.ts';

/**
 * A 53-bit hash of a string (two 32-bit multiply-xorshift lanes), stable across processes and
 * nodes. Check ids are random UUIDs today, but a hash keeps the spread even if they become
 * time-ordered (UUIDv7), whose leading digits would all be alike.
 */
export function stableHash(text: string): number {
  let a = 0xdeadbeef;
  let b = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    a = Math.imul(a ^ ch, 2654435761);
    b = Math.imul(b ^ ch, 1597334677);
  }
  a = Math.imul(a ^ (a >>> 16), 2246822507) ^ Math.imul(b ^ (b >>> 13), 3266489909);
  b = Math.imul(b ^ (b >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909);
  return 4294967296 * (2097151 & b) + (a >>> 0);
}

/** The check's place in its period, in ms from the start of each period. */
export function probeOffset(checkId: string, periodSeconds: number): number {
  return stableHash(checkId) % (periodSeconds * 1000);
}

/** The first of the check's probe slots strictly after `after`. */
export function nextProbeAt(checkId: string, periodSeconds: number, after: number): number {
  const period = periodSeconds * 1000;
  const offset = probeOffset(checkId, periodSeconds);
  return (Math.floor((after - offset) / period) + 1) * period + offset;
}

/** When the check's next probe is due after `after`; null when it is not an http check. */
export function nextProbeFor(check: Pick<Check, 'id' | 'probe' | 'schedule'>, after: number): number | null {
  if (check.probe === null || check.schedule.kind !== 'interval') return null;
  return nextProbeAt(check.id, check.schedule.period, after);
}
