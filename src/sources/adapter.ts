// What every kind of source tells vigil, whatever it reads: the jobs it has now, and the runs
// since the cursor. The runner (runner.ts) turns these into checks and pings; an adapter only
// reads, and never writes to the source.
import type { z } from 'zod';
import type { Schedule } from '../core/types.ts';
import type { HttpClient } from '../notifiers/http.ts';
import type { Source, SourceKind } from '../store/store.ts';

/** A job as the source lists it. */
export interface DiscoveredJob {
  /** stable at the source (pg_cron's jobid, a function's id): renames keep the same check */
  key: string;
  /** the slug's second part: `<source>/<name>`; already slug-safe */
  name: string;
  /** how the job's name reads in the dashboard */
  displayName: string;
  schedule: Schedule;
  /** an inactive job's check is paused */
  active: boolean;
  /** what the source says about the job (the command, a function's status and version) */
  details: Record<string, string | number | boolean | null>;
}

/** One run of a job, as start, success or fail. Times are the source's, not vigil's. */
export interface RunEvent {
  /** the job's key */
  key: string;
  kind: 'start' | 'success' | 'fail';
  /** the source's run id, so a start and its end pair up */
  runId: string;
  at: number;
  /** for an end whose start vigil never saw: how long the run took */
  durationMs: number | null;
  /** e.g. pg_cron's return_message */
  body: string | null;
}

export interface SyncResult {
  jobs: DiscoveredJob[];
  /** in the order they happened */
  runs: RunEvent[];
  /** where to start next time; stored with the runs in one transaction */
  cursor: string | null;
}

export interface SyncContext {
  now: number;
  signal: AbortSignal;
  /** the outbound client (private-address rules, timeouts) for kinds that speak HTTP */
  http: HttpClient;
  /** whether private addresses may be reached (VIGIL_ALLOW_PRIVATE_URLS) */
  allowPrivateTargets: boolean;
}

/** The source could not be read: one alert about the source, its jobs become unknown. */
export class SourceUnreachable extends Error {}

export interface SourceAdapter {
  kind: SourceKind;
  /** validates `config` as the API receives it (snake_case keys) */
  configSchema: z.ZodType<Record<string, unknown>>;
  /** whether it reports runs; checks of a kind that does not (Supabase functions are pinged
   * directly) have no sync to wait for before a deadline counts */
  readsRuns: boolean;
  /** config keys that hold secrets: never returned by the API, never logged */
  secretFields: readonly string[];
  /** reads the source; throws SourceUnreachable when it cannot */
  sync(source: Source, ctx: SyncContext): Promise<SyncResult>;
}

/** What one sync did, as the API's POST /sources/:id/sync and `vigil sources sync` report it. */
export interface SyncReport {
  ok: boolean;
  /** why the source could not be read */
  error: string | null;
  /** jobs the source has now */
  jobs: number;
  /** runs read and fed in as pings */
  runs: number;
  created: number;
  updated: number;
  archived: number;
  at: number;
}

/** What the runner offers the API: a sync now, on this node, instead of at the next interval. */
export type SyncNow = (sourceId: string) => Promise<SyncReport>;
