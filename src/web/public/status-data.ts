// What a public status page shows, computed once for both its HTML and its JSON. Only what is
// safe to publish leaves here: check names, statuses and uptime. Never ids (a check's id is its
// ping URL), slugs, tags, schedules, ping bodies or sources, project names or keys.
import { type OverallStatus, overallStatus } from '../../core/overall-status.ts';
import type { Status } from '../../core/types.ts';
import { dailyUptime, uptime } from '../../core/uptime.ts';
import type { StatusPage, Store } from '../../store/store.ts';

export const STATUS_DAYS = 90;
const DAY = 86_400_000;
/**
 * Flips read per check for 90 days. A check flapping more than this in 90 days shows its
 * oldest flips only; paging through the rest would cost a query per page on every view.
 */
const FLIP_LIMIT = 20_000;

export interface PublicDay {
  /** UTC day, YYYY-MM-DD */
  date: string;
  /** 0..1, or null when nothing was observed that day */
  uptime: number | null;
}

export interface PublicCheck {
  name: string;
  status: Status;
  uptime90d: number | null;
  days: PublicDay[];
}

export interface PublicStatus {
  title: string;
  status: OverallStatus;
  checks: PublicCheck[];
  generatedAt: number;
}

/** The page's checks that still exist in its project, in the page's order, with their uptime. */
export async function publicStatus(store: Store, page: StatusPage, now: number): Promise<PublicStatus> {
  const from = Math.floor(now / DAY) * DAY - (STATUS_DAYS - 1) * DAY;
  const checks: PublicCheck[] = [];
  for (const id of page.checkIds) {
    const check = await store.getCheck(id);
    if (!check || check.projectId !== page.projectId) continue;
    const flips = await store.flipsForUptime(check.id, from, now, FLIP_LIMIT);
    checks.push({
      name: check.name,
      status: check.status,
      uptime90d: ratio(uptime(flips, from, now, check.createdAt).ratio),
      days: dailyUptime(flips, STATUS_DAYS, now, check.createdAt).map((d) => ({
        date: d.day,
        uptime: ratio(d.uptime.ratio),
      })),
    });
  }
  return {
    title: page.title,
    status: overallStatus(checks.map((c) => c.status)),
    checks,
    generatedAt: now,
  };
}

/** Six decimals, rounded down: a day with any downtime never reads as 1. */
function ratio(r: number | null): number | null {
  return r === null ? null : Math.floor(r * 1_000_000) / 1_000_000;
}

/** The class of a day's bar: ok, partial (some downtime), bad (5% or more down), none. */
export function dayClass(r: number | null): 'ok' | 'partial' | 'bad' | 'none' {
  if (r === null) return 'none';
  if (r >= 1) return 'ok';
  return r >= 0.95 ? 'partial' : 'bad';
}

/** The JSON a status page answers with `?format=json`. */
export function publicStatusJson(s: PublicStatus) {
  return {
    title: s.title,
    status: s.status,
    checks: s.checks.map((c) => ({
      name: c.name,
      status: c.status,
      uptime_90d: c.uptime90d,
      days: c.days.map((d) => ({ date: d.date, uptime: d.uptime })),
    })),
    generated_at: new Date(s.generatedAt).toISOString(),
  };
}
