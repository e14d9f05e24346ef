// What a sync's result does to the store, in one transaction each way. Read: the jobs become
// checks, the runs become pings, checks that were unknown come back, the health check gets a
// success, and the cursor moves on, all together, so a run is never fed twice nor lost.
// Unreachable: the jobs become unknown and the health check fails, once for the whole source.
import { nextDeadlineFor, transition } from '../core/status.ts';
import { type Committed, ConflictError, commitTransition } from '../ingest/commit-transition.ts';
import type { Ingestor, PingRequest } from '../ingest/ingest.ts';
import type { Check, Source, Tx } from '../store/store.ts';
import type { RunEvent, SyncReport, SyncResult } from './adapter.ts';
import { isJobCheck, reconcileArrivals, reconcileDepartures } from './reconcile.ts';

export interface CommitSyncDeps {
  ingestor: Ingestor;
  newId: () => string;
  baseUrl: string;
  /** the most of a run's output kept as its ping's body */
  bodyLimit: number;
}

/** Another sync of the source committed since this one read it: its result is stale. */
export class StaleSync extends Error {}

/**
 * Commits a successful read. `readAt` is when the source was read: the runs it saw end no
 * later, so it is what the deadline sweep compares with (lastSuccessAt).
 */
export async function commitSync(
  tx: Tx,
  read: Source,
  result: SyncResult,
  times: { readAt: number; now: number },
  deps: CommitSyncDeps,
  committed: Committed[],
): Promise<SyncReport> {
  const source = await tx.getSource(read.id);
  if (source === null || source.cursor !== read.cursor) throw new StaleSync(`source ${read.id} moved on`);
  const { now } = times;
  // First: its conditional write makes a second sync of the same source fail here, on every
  // engine, instead of feeding the same runs again.
  await feedHealth(tx, source, 'success', null, now, deps, committed);

  const ctx = { now, newId: deps.newId, baseUrl: deps.baseUrl };
  const arrivals = await reconcileArrivals(tx, source, result.jobs, ctx);
  committed.push(...arrivals.committed);
  let runs = 0;
  for (const run of result.runs) {
    const check = arrivals.checks.get(run.key);
    // a paused check is a deactivated job: a run that finished after that must not resume it
    if (!check || check.archivedAt !== null || check.status === 'paused') continue;
    await deps.ingestor.apply(tx, runPing(source, check, run, now, deps.bodyLimit), committed);
    runs++;
  }
  const departures = await reconcileDepartures(tx, source, result.jobs, ctx);
  committed.push(...departures.committed);
  await catchUp(tx, source, times, deps, committed);

  await tx.updateSource({
    ...source,
    cursor: result.cursor,
    lastSyncAt: times.readAt,
    lastSuccessAt: times.readAt,
    lastError: null,
    nextSyncAt: now + source.syncInterval * 1000,
    updatedAt: now,
  });
  return {
    ok: true,
    error: null,
    jobs: result.jobs.length,
    runs,
    created: arrivals.created,
    updated: arrivals.updated,
    archived: departures.archived,
    at: times.readAt,
  };
}

/** Commits a source that cannot be read: one failure about the source, its jobs unknown. */
export async function commitUnreachable(
  tx: Tx,
  read: Source,
  message: string,
  times: { readAt: number; now: number },
  deps: CommitSyncDeps,
  committed: Committed[],
): Promise<SyncReport> {
  const source = await tx.getSource(read.id);
  if (source === null) throw new StaleSync(`source ${read.id} was removed`);
  const { now } = times;
  for (const check of await liveJobChecks(tx, source)) {
    const t = transition(check, { type: 'blind' }, now);
    if (t.flip) committed.push(await commitTransition(tx, check, t, now, { baseUrl: deps.baseUrl }));
  }
  await feedHealth(tx, source, 'fail', `cannot connect to ${source.name}: ${message}`, now, deps, committed);
  await tx.updateSource({
    ...source,
    lastSyncAt: times.readAt,
    lastError: message,
    lastErrorAt: times.readAt,
    nextSyncAt: now + source.syncInterval * 1000,
    updatedAt: now,
  });
  return {
    ok: false,
    error: message,
    jobs: 0,
    runs: 0,
    created: 0,
    updated: 0,
    archived: 0,
    at: times.readAt,
  };
}

async function liveJobChecks(tx: Tx, source: Source): Promise<Check[]> {
  return (await tx.listSourceChecks(source.id)).filter((c) => isJobCheck(c) && c.archivedAt === null);
}

/**
 * After the runs: checks still unknown come back (a deadline that passed during the outage
 * fires at once), and deadlines the sweep put off until this sync are due again now.
 */
async function catchUp(
  tx: Tx,
  source: Source,
  times: { readAt: number; now: number },
  deps: CommitSyncDeps,
  committed: Committed[],
): Promise<void> {
  const { now } = times;
  for (const check of await liveJobChecks(tx, source)) {
    if (check.status === 'unknown') {
      const t = transition(check, { type: 'sight' }, now);
      committed.push(await commitTransition(tx, check, t, now, { baseUrl: deps.baseUrl }));
      continue;
    }
    const due = nextDeadlineFor(check);
    if (due === null || due > times.readAt || check.nextDeadline === null || check.nextDeadline <= now)
      continue;
    const next: Check = { ...check, nextDeadline: now, rev: check.rev + 1, updatedAt: now };
    if (!(await tx.updateCheckState(next, check.rev)))
      throw new ConflictError(`check ${check.id} changed concurrently`);
    committed.push({ check: next, flipId: null, queued: 0 });
  }
}

async function feedHealth(
  tx: Tx,
  source: Source,
  kind: 'success' | 'fail',
  body: string | null,
  now: number,
  deps: CommitSyncDeps,
  committed: Committed[],
): Promise<void> {
  if (source.healthCheckId === null) return;
  await deps.ingestor.apply(
    tx,
    {
      target: { checkId: source.healthCheckId },
      kind,
      runId: null,
      method: source.kind,
      source: source.name,
      userAgent: null,
      ...capped(body, deps.bodyLimit),
      at: now,
    },
    committed,
  );
}

function runPing(source: Source, check: Check, run: RunEvent, now: number, bodyLimit: number): PingRequest {
  return {
    target: { checkId: check.id },
    kind: run.kind,
    runId: run.runId,
    // not HTTP: says where the ping came from in the check's history
    method: source.kind,
    source: source.name,
    userAgent: null,
    ...capped(run.body, bodyLimit),
    // the source's clock may run ahead of vigil's; a ping from the future would skew deadlines
    at: Math.min(run.at, now),
    ...(run.durationMs !== null ? { durationMs: run.durationMs } : {}),
  };
}

function capped(body: string | null, limit: number): { body: string | null; truncated: boolean } {
  if (body === null || body.length <= limit) return { body, truncated: false };
  return { body: body.slice(0, limit), truncated: true };
}
