// Detection latency: 100,000 checks in the database, 1,000 of them due at the same instant.
// The real DeadlineScheduler runs on the system clock. For every due check it records how
// long after the deadline its alert was queued (the sweep's transaction committed and synced:
// the target), and a claimer loop standing in for the dispatcher (it claims and never
// delivers, so each claim passes over all it claimed before) records when it could be claimed. Everything runs in this process: on a temp SQLite file, or on a fresh
// PostgreSQL database with one or more schedulers (each with its own pool and node id, as
// separate nodes would be) sharing the due checks through their claims.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { systemActor } from '../src/audit/actor.ts';
import type { Schedule } from '../src/core/types.ts';
import { newCheck } from '../src/ingest/new-check.ts';
import { createProject } from '../src/projects/keys.ts';
import { systemClock } from '../src/scheduler/clock.ts';
import { DeadlineScheduler, type SweepEvent } from '../src/scheduler/detect-missed.ts';
import { openPostgresStore } from '../src/store/postgres/pg-store.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Check, Store } from '../src/store/store.ts';
import { createBenchDatabase } from './pg-database.ts';
import { fmt, type Spread, sleep, spread, table } from './report.ts';
import { note } from './servers.ts';

export interface DetectionOptions {
  checks: number;
  due: number;
  /** checks per insert transaction */
  insertBatch: number;
  /** the deadline lies at least this far after the inserts finish */
  leadMs: number;
  claimEveryMs: number;
  /** give up this long after the deadline */
  timeoutMs: number;
  emptySweeps: number;
}

export const DETECTION_DEFAULTS: DetectionOptions = {
  checks: 100_000,
  due: 1_000,
  insertBatch: 20_000,
  leadMs: 3_000,
  claimEveryMs: 10,
  timeoutMs: 30_000,
  emptySweeps: 1_000,
};

/** Where the benchmark runs: a database, and how many schedulers (nodes) sweep it. */
export interface DetectionTarget {
  label: string;
  nodes: number;
  database(): Promise<{
    /** a store on the database; one per node */
    openStore(): Promise<Store>;
    /** after every store is closed */
    sizeBytes(): Promise<number>;
    remove(): Promise<void>;
  }>;
}

export const SQLITE_TARGET: DetectionTarget = {
  label: 'SQLite',
  nodes: 1,
  async database() {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-detect-'));
    const dbPath = join(dir, 'vigil.db');
    return {
      openStore: () => openSqliteStore(dbPath),
      sizeBytes: async () => statSync(dbPath).size,
      remove: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

export function postgresTarget(nodes: number): DetectionTarget {
  return {
    label: `PostgreSQL, ${nodes} node${nodes === 1 ? '' : 's'}`,
    nodes,
    async database() {
      const db = await createBenchDatabase();
      return { openStore: () => openPostgresStore(db.url), sizeBytes: db.sizeBytes, remove: db.drop };
    },
  };
}

export interface DetectionResult {
  label: string;
  nodes: number;
  options: DetectionOptions;
  insertMs: number;
  dbBytes: number;
  claimed: number;
  /** due checks whose notification was committed to the outbox */
  queued: number;
  /** claims of rows that were not expected (should be 0) */
  unexpected: number;
  /** deadline → a claimer (standing in for the dispatcher) took the notification */
  latencyMs: Spread;
  /** deadline → the transaction holding the notification committed (and reached the disk) */
  queuedMs: Spread;
  /** sweeps that found due checks */
  sweeps: { due: number; flipped: number; queued: number; startLagMs: number; durationMs: number }[];
  /** the longest time the event loop could not run anything else (HTTP, the dispatcher) meanwhile */
  longestStallMs: number;
  emptySweepUs: number;
}

const BASE_URL = 'http://127.0.0.1:8080';
const FAR: Schedule = { kind: 'interval', period: 86_400, grace: 3_600 };
const DUE: Schedule = { kind: 'interval', period: 60, grace: 0 };

/** A check that was pinged `lastPingAt` and is up; with this schedule its deadline means "down". */
function upCheck(projectId: string, i: number, schedule: Schedule, lastPingAt: number, now: number): Check {
  const check = newCheck(
    randomUUID(),
    projectId,
    {
      name: `bench ${i}`,
      slug: `bench-${i}`,
      description: '',
      tags: ['bench'],
      schedule,
      maxRuntime: null,
      failureThreshold: 1,
      severity: 'important',
      manualResume: false,
      methods: 'any',
      channels: [],
      realertEvery: null,
      successCriteria: '',
      probe: null,
    },
    now,
  );
  const period = schedule.kind === 'interval' ? schedule.period * 1000 : 0;
  return { ...check, status: 'up', lastPingAt, nextDeadline: lastPingAt + period, pingSeq: 1 };
}

async function insertAll(store: Store, checks: Check[], batch: number): Promise<void> {
  for (let i = 0; i < checks.length; i += batch) {
    const part = checks.slice(i, i + batch);
    await store.transaction(async (tx) => {
      for (const c of part) await tx.insertCheck(c);
    });
  }
}

/**
 * `count` up checks none of which comes due for a day, made and inserted a batch at a time
 * (a million Check objects at once would take gigabytes).
 */
export async function insertFarChecks(
  store: Store,
  projectId: string,
  count: number,
  batch: number,
  now: number,
): Promise<void> {
  for (let start = 0; start < count; start += batch) {
    const part: Check[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      part.push(upCheck(projectId, i, FAR, now - (i % 100_000) * 36, now));
    }
    await insertAll(store, part, batch);
  }
}

export async function runDetection(
  opts: DetectionOptions = DETECTION_DEFAULTS,
  target: DetectionTarget = SQLITE_TARGET,
): Promise<DetectionResult> {
  const db = await target.database();
  const stores: Store[] = [];
  const queuedAt: { checkId: string; at: number }[] = [];
  const schedulers: DeadlineScheduler[] = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const s of schedulers) await s.stop();
    for (const s of stores) await s.close();
  };
  try {
    for (let i = 0; i < target.nodes; i++) {
      const store = await db.openStore();
      stores.push(store);
      schedulers.push(
        new DeadlineScheduler(store, {
          clock: systemClock,
          baseUrl: BASE_URL,
          logger: pino({ level: 'silent' }),
          nodeId: `bench-${i + 1}`,
          // called once the sweep's transaction committed and reached the disk
          onCommitted: (c) => {
            if (c.queued > 0) queuedAt.push({ checkId: c.check.id, at: Date.now() });
          },
        }),
      );
    }
    const store = stores[0]!;
    const scheduler = schedulers[0]!;
    const now = Date.now();
    const project = await store.transaction((tx) => createProject(tx, 'bench', now, systemActor('bench')));
    await store.insertChannel({
      id: randomUUID(),
      projectId: project.id,
      kind: 'webhook',
      name: 'bench webhook',
      config: { url: 'http://127.0.0.1:9/', method: 'POST', secret: 'x' },
      events: ['down', 'up'],
      minSeverity: 'low',
      maxSeverity: 'critical',
      tags: [],
      brokenReason: null,
      brokenAt: null,
      createdAt: now,
      updatedAt: now,
    });

    note(`detection (${target.label}): inserting ${fmt(opts.checks)} checks`);
    const insertStart = performance.now();
    // Last pings spread over the past hour: deadlines 23-24 h ahead, none due in this run.
    await insertFarChecks(store, project.id, opts.checks - opts.due, opts.insertBatch, now);
    // The due ones go in last, so their deadline can be a few seconds after the inserts end.
    const deadline = Math.ceil((Date.now() + opts.leadMs) / 1000) * 1000;
    const due: Check[] = [];
    for (let i = 0; i < opts.due; i++)
      due.push(upCheck(project.id, opts.checks - opts.due + i, DUE, deadline - 60_000, Date.now()));
    await insertAll(store, due, opts.insertBatch);
    const insertMs = performance.now() - insertStart;
    const deadlineOf = new Map(due.map((c) => [c.id, c.nextDeadline!]));
    note(
      `detection: inserted in ${fmt(insertMs)} ms; ${fmt(opts.due)} checks due in ${deadline - Date.now()} ms`,
    );

    const sweeps: DetectionResult['sweeps'] = [];
    for (const s of schedulers) {
      s.on('sweep', (e: SweepEvent) => {
        if (e.due > 0)
          sweeps.push({
            due: e.due,
            flipped: e.flipped,
            queued: e.queued,
            startLagMs: e.at - deadline,
            durationMs: Date.now() - e.at,
          });
      });
    }
    const stalls = monitorEventLoopDelay({ resolution: 5 });
    stalls.enable();
    for (const s of schedulers) await s.start();

    // The claimer: what the dispatcher would do, without delivering.
    const latencies: number[] = [];
    const seen = new Set<number>();
    let unexpected = 0;
    while (latencies.length < opts.due && Date.now() < deadline + opts.timeoutMs) {
      const rows = await store.claimNotifications(Date.now(), Date.now() + 60_000, 1000);
      const at = Date.now();
      for (const row of rows) {
        const d = deadlineOf.get(row.checkId);
        if (d === undefined || seen.has(row.id)) unexpected++;
        else latencies.push(at - d);
        seen.add(row.id);
      }
      await sleep(opts.claimEveryMs);
    }
    for (const s of schedulers) await s.stop();
    stalls.disable();

    // The baseline: one sweep with nothing due (the due checks are down now, without a deadline).
    const t0 = performance.now();
    for (let i = 0; i < opts.emptySweeps; i++) await scheduler.sweep(Date.now());
    const emptySweepUs = ((performance.now() - t0) / opts.emptySweeps) * 1000;

    await close();
    const dbBytes = await db.sizeBytes();
    const queued = queuedAt.flatMap((q) => {
      const d = deadlineOf.get(q.checkId);
      return d === undefined ? [] : [q.at - d];
    });
    return {
      label: target.label,
      nodes: target.nodes,
      options: opts,
      insertMs,
      dbBytes,
      claimed: latencies.length,
      unexpected,
      latencyMs: spread(latencies),
      queuedMs: spread(queued),
      queued: queued.length,
      sweeps,
      longestStallMs: stalls.max / 1e6,
      emptySweepUs,
    };
  } finally {
    await close();
    await db.remove();
  }
}

export function detectionProblems(r: DetectionResult): string[] {
  const problems: string[] = [];
  if (r.claimed < r.options.due)
    problems.push(`only ${r.claimed} of ${r.options.due} notifications were claimed`);
  if (r.unexpected > 0) problems.push(`${r.unexpected} unexpected or repeated claims`);
  if (r.queued < r.options.due)
    problems.push(`only ${r.queued} of ${r.options.due} checks queued their alert`);
  if (!(r.queuedMs.p99 <= 1000))
    problems.push(`deadline → queued p99 ${fmt(r.queuedMs.p99)} ms misses the 1 s target`);
  return problems;
}

export function detectionMarkdown(r: DetectionResult): string {
  const { checks, due, claimEveryMs, emptySweeps } = r.options;
  const problems = detectionProblems(r);
  return [
    `### Detection latency (${r.label}) — ${fmt(checks)} checks, ${fmt(due)} due at the same instant, claimer polling every ${claimEveryMs} ms`,
    '',
    table(
      ['measure', 'value'],
      [
        ['notifications queued (committed to the outbox)', `${fmt(r.queued)} of ${fmt(due)}`],
        ['deadline → queued, p50', `${fmt(r.queuedMs.p50)} ms`],
        [
          'deadline → queued, p99 (target ≤ 1,000 ms)',
          `${fmt(r.queuedMs.p99)} ms ${r.queuedMs.p99 <= 1000 ? '✓' : '✗'}`,
        ],
        ['notifications claimed by the stand-in dispatcher', `${fmt(r.claimed)} of ${fmt(due)}`],
        ['deadline → claimed, p50', `${fmt(r.latencyMs.p50)} ms`],
        ['deadline → claimed, p99', `${fmt(r.latencyMs.p99)} ms`],
        ['deadline → claimed, max', `${fmt(r.latencyMs.max)} ms`],
        [
          'sweeps that found due checks',
          r.sweeps
            .map(
              (s) =>
                `${s.due} due / ${s.flipped} flipped, started +${s.startLagMs} ms, took ${s.durationMs} ms`,
            )
            .join('; '),
        ],
        ['longest event-loop stall meanwhile', `${fmt(r.longestStallMs)} ms`],
        [`baseline: one empty sweep (mean of ${fmt(emptySweeps)})`, `${fmt(r.emptySweepUs, 1)} µs`],
        [
          `inserting ${fmt(checks)} checks`,
          `${fmt(r.insertMs)} ms (${fmt((checks / r.insertMs) * 1000)} checks/s)`,
        ],
        ['database size afterwards', `${fmt(r.dbBytes / 1024 / 1024, 1)} MiB`],
      ],
    ),
    '',
    problems.length === 0
      ? 'All notifications claimed once; none unexpected.'
      : `Problems:\n- ${problems.join('\n- ')}`,
  ].join('\n');
}
