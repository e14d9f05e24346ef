// How a source's jobs are doing, counted the way a database team asks: how many are healthy,
// failed (a run reported failure or ran too long), missed (runs stopped coming), running, or
// unknown (vigil cannot read the source). The API's summary, the CLI and the dashboard show this.
import { describeSchedule } from '../core/schedule.ts';
import type { Status } from '../core/types.ts';
import type { Check, Source, Tx } from '../store/store.ts';
import { isJobCheck } from './reconcile.ts';
import { redactSecrets } from './registry.ts';

/** Enough of a failed run's output to say what went wrong; the check's page has the rest. */
const MESSAGE_CHARS = 300;

export type JobOutcome = 'healthy' | 'failed' | 'missed' | 'unknown' | 'paused' | 'late' | 'new';

export interface JobSummary {
  checkId: string;
  slug: string;
  name: string;
  status: Status;
  outcome: JobOutcome;
  schedule: string;
  lastRunAt: number | null;
  /** for a down job: why, in the run's own words when it left any */
  lastMessage: string | null;
  running: boolean;
  /** what the source says about the job (pg_cron: its command, database, user) */
  details: Record<string, string | number | boolean | null>;
}

export interface SourceSummary {
  total: number;
  counts: Record<JobOutcome, number>;
  running: number;
  archived: number;
  /** the last sync, successful or not */
  checkedAt: number | null;
  /** why the last sync failed; null when it succeeded */
  lastError: string | null;
  jobs: JobSummary[];
}

/** The source's current error: the last one, unless a sync succeeded after it. */
export function currentError(source: Source): string | null {
  if (source.lastError === null || source.lastErrorAt === null) return null;
  if (source.lastSuccessAt !== null && source.lastSuccessAt > source.lastErrorAt) return null;
  return redactSecrets(source.kind, source.config, source.lastError);
}

export async function summarizeSource(tx: Tx, source: Source): Promise<SourceSummary> {
  const checks = (await tx.listSourceChecks(source.id)).filter(isJobCheck);
  const live = checks.filter((c) => c.archivedAt === null);
  const counts: Record<JobOutcome, number> = {
    healthy: 0,
    failed: 0,
    missed: 0,
    unknown: 0,
    paused: 0,
    late: 0,
    new: 0,
  };
  const jobs: JobSummary[] = [];
  for (const check of live) {
    const job = await summarizeJob(tx, check);
    counts[job.outcome]++;
    jobs.push(job);
  }
  return {
    total: live.length,
    counts,
    running: jobs.filter((j) => j.running).length,
    archived: checks.length - live.length,
    checkedAt: source.lastSyncAt,
    lastError: currentError(source),
    jobs,
  };
}

async function summarizeJob(tx: Tx, check: Check): Promise<JobSummary> {
  const base = {
    checkId: check.id,
    slug: check.slug,
    name: check.name,
    status: check.status,
    schedule: describeSchedule(check.schedule),
    lastRunAt: check.lastPingAt,
    running: Object.keys(check.openRuns).length > 0,
    details: check.origin?.details ?? {},
  };
  if (check.status !== 'down') {
    const outcome: JobOutcome = check.status === 'up' ? 'healthy' : check.status;
    return { ...base, outcome, lastMessage: null };
  }
  // the flip that took it down says whether a run failed or runs stopped coming
  const flip = await tx.lastFlip(check.id);
  const failed = flip?.event === 'failed' || flip?.event === 'too_long';
  const body = failed ? (await tx.lastPing(check.id))?.body : null;
  const message = body?.trim() ? body.trim() : (flip?.reason ?? null);
  return {
    ...base,
    outcome: failed ? 'failed' : 'missed',
    lastMessage: message === null ? null : message.slice(-MESSAGE_CHARS),
  };
}
