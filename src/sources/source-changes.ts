// Changes people make to sources (add, change settings, remove), the same from the API and the
// CLI, each with its audit entry. A source comes with its health check: vigil's own check that
// it can read the source, so a source that cannot be reached is one alert, not one per job.
import type { Actor } from '../audit/actor.ts';
import { configChanges, fieldChanges, recordChange, recordUpdate } from '../audit/audit-log.ts';
import { reconfigure, transition } from '../core/status.ts';
import type { Schedule, Severity } from '../core/types.ts';
import { type Committed, commitTransition } from '../ingest/commit-transition.ts';
import { defaultCheckConfig, newCheck } from '../ingest/new-check.ts';
import type { Check, Source, SourceKind, Tx } from '../store/store.ts';

/** Lowercase letters, digits, "-" and "_": the name is also the first part of its checks' slugs. */
export const SOURCE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,59}$/;
export const SOURCE_NAME_RULE =
  'use 1-60 lowercase letters, digits, "-" or "_", starting with a letter or digit';

export const SOURCE_DEFAULTS = { severity: 'important' as Severity, syncInterval: 60, grace: 120 };
export const MAX_SYNC_INTERVAL = 86_400;
/** More than this many sources in one project is a configuration nobody can watch. */
export const MAX_SOURCES_PER_PROJECT = 100;

/** A change that cannot be made: `invalid` is the caller's mistake (400), `conflict` a clash (409). */
export class SourceError extends Error {
  constructor(
    readonly reason: 'invalid' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}

export interface SourceInput {
  projectId: string;
  name: string;
  kind: SourceKind;
  /** already validated by the kind's configSchema */
  config: Record<string, unknown>;
  severity?: Severity;
  tags?: string[];
  /** seconds */
  syncInterval?: number;
  /** seconds; at least the sync interval */
  grace?: number;
}

export interface SourcePatch {
  config?: Record<string, unknown>;
  severity?: Severity;
  tags?: string[];
  syncInterval?: number;
  grace?: number;
}

/** Why these timings cannot work, or null when they can. */
export function timingProblem(syncInterval: number, grace: number): string | null {
  if (!Number.isInteger(syncInterval) || syncInterval < 1 || syncInterval > MAX_SYNC_INTERVAL)
    return `sync_interval: must be a whole number of seconds from 1 to ${MAX_SYNC_INTERVAL}`;
  if (!Number.isInteger(grace) || grace < 0 || grace > 31_536_000)
    return 'grace: must be a whole number of seconds from 0 to 31536000';
  // a run is seen up to one sync after it happened: less grace would call on-time jobs late
  if (grace < syncInterval)
    return `grace: must be at least the sync interval (${syncInterval} s): vigil sees a run up to one sync late`;
  return null;
}

/** The health check's schedule: one successful sync per interval, with the source's grace. */
function healthSchedule(syncInterval: number, grace: number): Schedule {
  return { kind: 'interval', period: syncInterval, grace: Math.max(grace, syncInterval) };
}

export async function createSource(
  tx: Tx,
  input: SourceInput,
  ctx: { now: number; newId: () => string },
  actor: Actor,
): Promise<Source> {
  const severity = input.severity ?? SOURCE_DEFAULTS.severity;
  const tags = input.tags ?? [];
  const syncInterval = input.syncInterval ?? SOURCE_DEFAULTS.syncInterval;
  const grace = input.grace ?? Math.max(SOURCE_DEFAULTS.grace, syncInterval);
  if (!SOURCE_NAME_PATTERN.test(input.name)) throw new SourceError('invalid', `name: ${SOURCE_NAME_RULE}`);
  const problem = timingProblem(syncInterval, grace);
  if (problem) throw new SourceError('invalid', problem);
  if (await tx.getSourceByName(input.projectId, input.name))
    throw new SourceError('conflict', `a source named "${input.name}" exists already in this project`);
  if (await tx.getCheckBySlug(input.projectId, input.name)) {
    throw new SourceError(
      'conflict',
      `the slug "${input.name}" is already used by a check; a source's health check takes its name as slug, so choose another name`,
    );
  }
  if ((await tx.listSources(input.projectId)).length >= MAX_SOURCES_PER_PROJECT)
    throw new SourceError('conflict', `a project has at most ${MAX_SOURCES_PER_PROJECT} sources`);

  const id = ctx.newId();
  const health: Check = {
    ...newCheck(
      ctx.newId(),
      input.projectId,
      {
        ...defaultCheckConfig(input.name),
        name: `${input.name} (source)`,
        description: `vigil's own check that it can read the ${input.kind} source "${input.name}": it goes down when a sync fails, and the source's jobs show as unknown until vigil can read it again.`,
        schedule: healthSchedule(syncInterval, grace),
        failureThreshold: 1,
        severity,
        tags,
      },
      ctx.now,
    ),
    // the empty key marks the source's own check among the ones it discovered
    origin: { sourceId: id, sourceKey: '', details: {} },
  };
  const source: Source = {
    id,
    projectId: input.projectId,
    name: input.name,
    kind: input.kind,
    config: input.config,
    severity,
    tags,
    syncInterval,
    grace,
    cursor: null,
    nextSyncAt: ctx.now,
    lastSyncAt: null,
    lastSuccessAt: null,
    lastError: null,
    lastErrorAt: null,
    healthCheckId: health.id,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  await tx.insertCheck(health);
  await tx.insertSource(source);
  await recordChange(tx, actor, {
    action: 'source.created',
    projectId: source.projectId,
    target: source,
    at: ctx.now,
  });
  return source;
}

/**
 * Changes a source's settings. New defaults (severity, tags) apply to the jobs it discovers
 * from now on, and to its health check unless the team changed that one; new timings move the
 * health check's schedule at once and reach the job checks at the next sync.
 */
export async function updateSource(
  tx: Tx,
  source: Source,
  patch: SourcePatch,
  ctx: { now: number; baseUrl: string },
  actor: Actor,
): Promise<{ source: Source; committed: Committed | null }> {
  const next: Source = {
    ...source,
    config: patch.config ?? source.config,
    severity: patch.severity ?? source.severity,
    tags: patch.tags ?? source.tags,
    syncInterval: patch.syncInterval ?? source.syncInterval,
    grace: patch.grace ?? source.grace,
    updatedAt: ctx.now,
  };
  const problem = timingProblem(next.syncInterval, next.grace);
  if (problem) throw new SourceError('invalid', problem);
  // a shorter interval should not wait out the old one
  next.nextSyncAt = Math.min(source.nextSyncAt, ctx.now + next.syncInterval * 1000);
  await tx.updateSource(next);
  await recordUpdate(tx, actor, {
    action: 'source.updated',
    projectId: next.projectId,
    target: next,
    at: ctx.now,
    changes: {
      ...fieldChanges(source, next, ['severity', 'tags', 'syncInterval', 'grace']),
      ...configChanges(source.config, next.config),
    },
  });
  const health = source.healthCheckId ? await tx.getCheck(source.healthCheckId) : null;
  if (!health) return { source: next, committed: null };
  return { source: next, committed: await followSource(tx, health, source, next, ctx) };
}

/** The health check after its source's settings changed. */
async function followSource(
  tx: Tx,
  health: Check,
  before: Source,
  after: Source,
  ctx: { now: number; baseUrl: string },
): Promise<Committed | null> {
  const schedule = healthSchedule(after.syncInterval, after.grace);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const edited: Check = {
    ...health,
    severity: health.severity === before.severity ? after.severity : health.severity,
    tags: same(health.tags, before.tags) ? after.tags : health.tags,
    schedule,
  };
  const scheduleChanged = !same(schedule, health.schedule);
  if (!scheduleChanged && edited.severity === health.severity && same(edited.tags, health.tags)) return null;
  const written: Check = { ...edited, rev: health.rev + 1, updatedAt: ctx.now };
  if (!(await tx.updateCheck(written, health.rev)))
    throw new Error(`check ${health.id} changed concurrently`);
  if (!scheduleChanged) return { check: written, flipId: null, queued: 0 };
  return commitTransition(tx, written, reconfigure(written, ctx.now), ctx.now, { baseUrl: ctx.baseUrl });
}

/**
 * Removes a source: each of its checks is paused and archived (their history stays, they leave
 * the lists), then the source goes. Returns the commits, for the live view.
 */
export async function removeSource(
  tx: Tx,
  source: Source,
  now: number,
  baseUrl: string,
  actor: Actor,
): Promise<Committed[]> {
  const committed: Committed[] = [];
  for (const check of await tx.listSourceChecks(source.id)) {
    if (check.archivedAt !== null) continue;
    // pausing is no news: no alert is queued, so the base URL is never used
    const paused = await commitTransition(tx, check, transition(check, { type: 'pause' }, now), now, {
      baseUrl,
    });
    const archived: Check = { ...paused.check, archivedAt: now, rev: paused.check.rev + 1, updatedAt: now };
    if (!(await tx.updateCheck(archived, paused.check.rev)))
      throw new Error(`check ${check.id} changed concurrently`);
    committed.push({ ...paused, check: archived });
  }
  await tx.deleteSource(source.id);
  await recordChange(tx, actor, {
    action: 'source.deleted',
    projectId: source.projectId,
    target: source,
    at: now,
  });
  return committed;
}
