// Uptime from a check's flips: the share of observed time it was not down. Pure.
// Observed time is time spent up, late or down; new (no ping yet) and paused do not count, so a
// paused weekend does not look like an outage, nor like a perfect record.
import type { Status } from './types.ts';

export interface StatusSpan {
  from: number;
  to: number;
  status: Status;
}

/** The part of a flip uptime reads. */
export interface FlipPoint {
  at: number;
  to: Status;
}

/**
 * The statuses a check had in [from, to). `flips` are oldest first; the first may lie before
 * `from` and gives the status at `from`. Before `createdAt` there was no check.
 */
export function statusSpans(
  flips: readonly FlipPoint[],
  from: number,
  to: number,
  createdAt: number,
): StatusSpan[] {
  const start = Math.max(from, createdAt);
  if (start >= to) return [];
  let status: Status = 'new';
  const spans: StatusSpan[] = [];
  let at = start;
  for (const flip of flips) {
    if (flip.at <= start) {
      status = flip.to;
      continue;
    }
    if (flip.at >= to) break;
    if (flip.at > at) spans.push({ from: at, to: flip.at, status });
    at = flip.at;
    status = flip.to;
  }
  spans.push({ from: at, to, status });
  return spans;
}

export interface Uptime {
  /** 0..1, or null when nothing was observed (new, paused or unknown all along) */
  ratio: number | null;
  /** ms observed (up, late or down) and ms down */
  observedMs: number;
  downMs: number;
}

export function uptimeOf(spans: readonly StatusSpan[]): Uptime {
  let observedMs = 0;
  let downMs = 0;
  for (const s of spans) {
    // unknown: vigil could not see the job (its source was unreachable), so neither up nor down
    if (s.status === 'new' || s.status === 'paused' || s.status === 'unknown') continue;
    observedMs += s.to - s.from;
    if (s.status === 'down') downMs += s.to - s.from;
  }
  return { ratio: observedMs === 0 ? null : 1 - downMs / observedMs, observedMs, downMs };
}

/** Uptime over [from, to). */
export function uptime(flips: readonly FlipPoint[], from: number, to: number, createdAt: number): Uptime {
  return uptimeOf(statusSpans(flips, from, to, createdAt));
}

const DAY = 86_400_000;

/**
 * Uptime per UTC day for the `days` days up to and including the day of `now`, oldest first
 * (the last day runs to `now`).
 */
export function dailyUptime(
  flips: readonly FlipPoint[],
  days: number,
  now: number,
  createdAt: number,
): { day: string; uptime: Uptime }[] {
  const today = Math.floor(now / DAY) * DAY;
  const out: { day: string; uptime: Uptime }[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const from = today - i * DAY;
    const to = Math.min(from + DAY, now);
    out.push({ day: new Date(from).toISOString().slice(0, 10), uptime: uptime(flips, from, to, createdAt) });
  }
  return out;
}

/** "99.95%", "100%", or "–" when nothing was observed. Never rounds a bad day up to 100%. */
export function formatUptime(ratio: number | null): string {
  if (ratio === null) return '–';
  if (ratio >= 1) return '100%';
  return `${(Math.floor(ratio * 10_000) / 100).toFixed(2)}%`;
}
