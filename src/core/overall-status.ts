// One status for many checks: what a tag badge and a status page's banner say. Pure.
import type { Status } from './types.ts';

export type OverallStatus = 'up' | 'late' | 'down' | 'unknown';

/**
 * Down if any check is down, else late if any is late, else up. New and paused checks say
 * nothing about health, so they count only when every check is one of them: then unknown.
 */
export function overallStatus(statuses: readonly Status[]): OverallStatus {
  if (statuses.includes('down')) return 'down';
  if (statuses.includes('late')) return 'late';
  if (statuses.includes('up')) return 'up';
  return 'unknown';
}
