// A source's jobs as checks. The source owns a discovered check's name, slug, schedule, whether
// it runs (paused) and whether it still exists (archived); the team owns everything else
// (severity, description, success criteria, tags, channels, limits), which the source's
// defaults only seed at creation and nothing here overwrites. State changes go through the
// state machine and commitTransition like any other, so flips, incidents and alerts follow;
// what the source changes goes into the audit log with the source as its actor.
//
// Two halves around the runs of a sync: arrivals (new, renamed, rescheduled, reappeared and
// reactivated jobs) before, so every run has its check; departures (deactivated and vanished
// jobs) after, so the runs they made before leaving still count.
import { sourceActor } from '../audit/actor.ts';
import { type AuditAction, fieldChanges, recordChange, recordUpdate } from '../audit/audit-log.ts';
import { SLUG_PATTERN, slugify } from '../core/slug.ts';
import { reconfigure, transition } from '../core/status.ts';
import type { Input } from '../core/types.ts';
import { type Committed, ConflictError, commitTransition } from '../ingest/commit-transition.ts';
import { defaultCheckConfig, newCheck } from '../ingest/new-check.ts';
import type { Check, Source, Tx } from '../store/store.ts';
import type { DiscoveredJob } from './adapter.ts';

export interface ReconcileContext {
  now: number;
  newId: () => string;
  baseUrl: string;
}

export interface Arrivals {
  /** every job check that is not archived, by its job's key */
  checks: Map<string, Check>;
  committed: Committed[];
  created: number;
  updated: number;
}

/** The source's own health check has the empty key; it is never reconciled. */
export function isJobCheck(check: Check): boolean {
  return check.origin !== null && check.origin.sourceKey !== '';
}

export async function reconcileArrivals(
  tx: Tx,
  source: Source,
  jobs: DiscoveredJob[],
  ctx: ReconcileContext,
): Promise<Arrivals> {
  const known = await keyedChecks(tx, source);
  const listed = new Set(jobs.map((j) => j.key));
  const out: Arrivals = { checks: new Map(), committed: [], created: 0, updated: 0 };
  for (const job of uniqueByKey(jobs)) {
    const existing = known.get(job.key) ?? (await adoptable(tx, source, job, listed));
    const check = existing
      ? await followJob(tx, source, existing, job, ctx, out)
      : await createJobCheck(tx, source, job, ctx, out);
    if (check) out.checks.set(job.key, check);
  }
  // jobs gone since the last sync may have run before they went; their runs still count
  for (const [key, check] of known) {
    if (!listed.has(key) && check.archivedAt === null && !out.checks.has(key)) out.checks.set(key, check);
  }
  return out;
}

export async function reconcileDepartures(
  tx: Tx,
  source: Source,
  jobs: DiscoveredJob[],
  ctx: ReconcileContext,
): Promise<{ committed: Committed[]; archived: number }> {
  const listed = new Map(jobs.map((j) => [j.key, j]));
  const out = { committed: [] as Committed[], archived: 0 };
  for (const check of await keyedChecks(tx, source).then((m) => [...m.values()])) {
    if (check.archivedAt !== null) continue;
    const job = listed.get(check.origin!.sourceKey);
    if (job?.active) continue;
    const paused =
      check.status === 'paused'
        ? check
        : await apply(tx, source, check, { type: 'pause' }, ctx, out.committed);
    if (job) continue;
    // Gone from the source: kept with its history, out of the lists, back if the job returns.
    await writeConfig(tx, paused, { archivedAt: ctx.now }, ctx.now);
    await record(tx, source, 'check.archived', paused, ctx.now);
    out.archived++;
  }
  return out;
}

/** The source's job checks (archived ones too) by key. */
async function keyedChecks(tx: Tx, source: Source): Promise<Map<string, Check>> {
  const checks = (await tx.listSourceChecks(source.id)).filter(isJobCheck);
  return new Map(checks.map((c) => [c.origin!.sourceKey, c]));
}

function uniqueByKey(jobs: DiscoveredJob[]): DiscoveredJob[] {
  const seen = new Set<string>();
  return jobs.filter((j) => j.key !== '' && !seen.has(j.key) && seen.add(j.key));
}

/**
 * An archived check of this source under the slug a new job wants: the job was removed and
 * made again under the same name (pg_cron gives it a new jobid), so its history goes on there.
 */
async function adoptable(
  tx: Tx,
  source: Source,
  job: DiscoveredJob,
  listed: Set<string>,
): Promise<Check | null> {
  const holder = await tx.getCheckBySlug(source.projectId, checkSlugFor(source.name, job.name));
  if (!holder || holder.archivedAt === null || holder.origin?.sourceId !== source.id) return null;
  return listed.has(holder.origin.sourceKey) ? null : holder;
}

async function createJobCheck(
  tx: Tx,
  source: Source,
  job: DiscoveredJob,
  ctx: ReconcileContext,
  out: Arrivals,
): Promise<Check | null> {
  const slug = await freeSlug(tx, source, job, null);
  if (slug === null) return null;
  const check: Check = {
    ...newCheck(
      ctx.newId(),
      source.projectId,
      {
        ...defaultCheckConfig(slug),
        name: jobName(source, job),
        schedule: job.schedule,
        severity: source.severity,
        tags: [...source.tags],
      },
      ctx.now,
    ),
    origin: { sourceId: source.id, sourceKey: job.key, details: job.details },
  };
  await tx.insertCheck(check);
  await record(tx, source, 'check.created', check, ctx.now);
  out.created++;
  out.committed.push({ check, flipId: null, queued: 0 });
  return check;
}

/** Brings a known check in line with its job: source-owned fields only. */
async function followJob(
  tx: Tx,
  source: Source,
  existing: Check,
  job: DiscoveredJob,
  ctx: ReconcileContext,
  out: Arrivals,
): Promise<Check> {
  let check = existing;
  const slug = (await freeSlug(tx, source, job, check)) ?? check.slug;
  const name = jobName(source, job);
  const scheduleChanged = JSON.stringify(job.schedule) !== JSON.stringify(check.schedule);
  const rekeyed = check.origin!.sourceKey !== job.key;
  // e.g. the job's command was changed with cron.alter_job: shown with the check, never alerted on
  const detailsChanged = JSON.stringify(check.origin!.details) !== JSON.stringify(job.details);
  if (
    slug !== check.slug ||
    name !== check.name ||
    scheduleChanged ||
    check.archivedAt !== null ||
    rekeyed ||
    detailsChanged
  ) {
    const origin = { sourceId: source.id, sourceKey: job.key, details: job.details };
    const written = await writeConfig(
      tx,
      check,
      { slug, name, schedule: job.schedule, archivedAt: null, origin },
      ctx.now,
    );
    await recordUpdate(tx, sourceActor(source), {
      action: 'check.updated',
      projectId: source.projectId,
      target: written,
      at: ctx.now,
      // the job's details (its command, say) are shown with the check, not kept in the log
      changes: fieldChanges(check, written, ['name', 'slug', 'schedule', 'archivedAt']),
    });
    // the deadline follows the new schedule at once; a late check it no longer calls due is up
    const committed = await commitTransition(tx, written, reconfigure(written, ctx.now), ctx.now, ctx);
    out.committed.push(committed);
    out.updated++;
    check = committed.check;
  }
  if (check.status === 'paused' && job.active)
    check = await apply(tx, source, check, { type: 'resume' }, ctx, out.committed);
  return check;
}

/** Pauses or resumes a job's check as its job was deactivated or activated. */
async function apply(
  tx: Tx,
  source: Source,
  check: Check,
  input: Extract<Input, { type: 'pause' | 'resume' }>,
  ctx: ReconcileContext,
  committed: Committed[],
): Promise<Check> {
  const t = transition(check, input, ctx.now);
  const result = await commitTransition(tx, check, t, ctx.now, ctx);
  committed.push(result);
  if (result.check.status !== check.status)
    await record(tx, source, input.type === 'pause' ? 'check.paused' : 'check.resumed', check, ctx.now);
  return result.check;
}

async function record(tx: Tx, source: Source, action: AuditAction, check: Check, at: number): Promise<void> {
  await recordChange(tx, sourceActor(source), { action, projectId: source.projectId, target: check, at });
}

/** Writes settings (not state) over the whole row, as an API edit does. */
async function writeConfig(tx: Tx, check: Check, changes: Partial<Check>, now: number): Promise<Check> {
  const next: Check = { ...check, ...changes, rev: check.rev + 1, updatedAt: now };
  if (!(await tx.updateCheck(next, check.rev)))
    throw new ConflictError(`check ${check.id} changed concurrently`);
  return next;
}

function jobName(source: Source, job: DiscoveredJob): string {
  return `${source.name}/${job.displayName}`.slice(0, 200);
}

/** `<source>/<job>`, cut to the 100 characters a slug may have. */
export function checkSlugFor(sourceName: string, jobName: string): string {
  const room = 100 - sourceName.length - 1;
  const part = jobName.slice(0, room).replace(/[-_.]+$/, '');
  const slug = `${sourceName}/${part}`;
  return SLUG_PATTERN.test(slug) ? slug : `${sourceName}/${slugify(part).slice(0, room)}`;
}

/**
 * The job's slug, or `<slug>-<key>` when another check holds it (two job names that slugify
 * alike, or a check the team made by hand); null when both are taken.
 */
async function freeSlug(
  tx: Tx,
  source: Source,
  job: DiscoveredJob,
  own: Check | null,
): Promise<string | null> {
  const wanted = checkSlugFor(source.name, job.name);
  if (own?.slug === wanted) return wanted;
  const keyed = checkSlugFor(source.name, `${job.name.slice(0, 60)}-${slugify(job.key)}`);
  for (const slug of [wanted, keyed]) {
    const holder = await tx.getCheckBySlug(source.projectId, slug);
    if (!holder || holder.id === own?.id) return slug;
  }
  return own ? own.slug : null;
}
