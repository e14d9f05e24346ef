// The outbox when a provider hangs: its channel at its cap with a long queue of due alerts, and
// the dispatcher claiming for the other channels and asking when the next alert falls due. On
// SQLite both run on the event loop, so their time is time no ping is answered. Each figure is
// the median of 50 calls, with a long queue against the same store with a short one (the
// baseline, same run): a ratio near 1 means the cost does not grow with the queue.
// On PostgreSQL too, on a throw-away database (VIGIL_BENCH_POSTGRES_URL), when one is reachable:
// once as a fresh table leaves the planner (no statistics yet), once after ANALYZE, as
// autovacuum leaves it within a minute or so of the queue growing.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPostgresStore } from '../src/store/postgres/pg-store.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { NewNotification, Store } from '../src/store/store.ts';
import { createBenchDatabase } from './pg-database.ts';
import { fmt, ratio, table } from './report.ts';
import { note } from './servers.ts';

export interface OutboxOptions {
  /** alerts queued for the stuck channel */
  queued: number;
  /** the baseline's */
  short: number;
}

export const OUTBOX_DEFAULTS: OutboxOptions = { queued: 20_000, short: 200 };

const CALLS = 50;

interface Timings {
  /** a claim for the other channels, the stuck one at its cap (left out) */
  claimPastCap: number;
  /** a claim with no channel left out */
  claim: number;
  earliestDue: number;
}

export interface OutboxRun {
  engine: 'sqlite' | 'postgres' | 'postgres, analyzed';
  long: Timings;
  short: Timings;
}

export interface OutboxResult {
  options: OutboxOptions;
  runs: OutboxRun[];
  /** why PostgreSQL was not measured, if it was not */
  skipped?: string;
}

async function median(fn: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b)[CALLS >> 1]!;
}

/**
 * `queued` due alerts for the stuck channel, 50 for another, a check each; then `loaded`; then
 * measures.
 */
async function measure(store: Store, queued: number, loaded?: () => Promise<void>): Promise<Timings> {
  const now = Date.now();
  const row = (channelId: string, i: number, due: number): NewNotification => ({
    flipId: i + 1,
    channelId,
    seq: 0,
    projectId: 'bench',
    checkId: randomUUID(),
    event: 'down',
    payload: '{}',
    nextAttemptAt: due,
    createdAt: now,
  });
  const rows = Array.from({ length: queued }, (_, i) => row('stuck', i, now - 60_000 + i));
  for (let i = 0; i < 50; i++) rows.push(row('other', queued + i, now - 1000));
  for (let i = 0; i < rows.length; i += 500) await store.insertNotifications(rows.slice(i, i + 500));
  await loaded?.();
  // the stuck channel's deliveries in flight: 16, leased for an hour
  await store.claimNotifications(now, now + 3_600_000, 16, ['other'], 'bench');
  const lease = now + 3_600_000;
  // each claim takes one row for an hour: 50 calls take at most 50 of the 50 + queued rows
  return {
    claimPastCap: await median(() => store.claimNotifications(now, lease, 1, ['stuck'], 'bench')),
    claim: await median(() => store.claimNotifications(now, lease, 1, [], 'bench')),
    earliestDue: await median(() => store.earliestNotificationDue()),
  };
}

async function onSqlite(queued: number): Promise<Timings> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-outbox-'));
  const store = await openSqliteStore(join(dir, 'vigil.db'), { exclusive: true });
  try {
    return await measure(store, queued);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function onPostgres(queued: number, analyzed: boolean): Promise<Timings> {
  const db = await createBenchDatabase();
  const analyze = async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('ANALYZE notifications').finally(() => client.end());
  };
  try {
    const store = await openPostgresStore(db.url);
    try {
      return await measure(store, queued, analyzed ? analyze : undefined);
    } finally {
      await store.close();
    }
  } finally {
    await db.drop();
  }
}

export async function runOutbox(opts: OutboxOptions = OUTBOX_DEFAULTS): Promise<OutboxResult> {
  const runs: OutboxRun[] = [];
  note(`outbox on SQLite: ${opts.queued} and ${opts.short} alerts queued for a stuck channel`);
  runs.push({ engine: 'sqlite', long: await onSqlite(opts.queued), short: await onSqlite(opts.short) });
  try {
    note('outbox on PostgreSQL: the same, without statistics and after ANALYZE');
    for (const analyzed of [false, true]) {
      runs.push({
        engine: analyzed ? 'postgres, analyzed' : 'postgres',
        long: await onPostgres(opts.queued, analyzed),
        short: await onPostgres(opts.short, analyzed),
      });
    }
  } catch (err) {
    return { options: opts, runs, skipped: `PostgreSQL not measured: ${(err as Error).message}` };
  }
  return { options: opts, runs };
}

const MEASURES = [
  ['claimPastCap', 'claim for the other channels, the stuck one at its cap'],
  ['claim', 'claim, no channel left out'],
  ['earliestDue', 'when the next alert falls due'],
] as const;

export function outboxRows(r: OutboxResult): string[][] {
  return r.runs.flatMap((run) =>
    MEASURES.map(([key, what]) => [
      `outbox on ${run.engine}, ${fmt(r.options.queued)} queued for a stuck channel: ${what}`,
      `${fmt(run.long[key], 2)} ms`,
      `${fmt(r.options.short)} queued: ${fmt(run.short[key], 2)} ms`,
      ratio(run.long[key], run.short[key]),
    ]),
  );
}

export function outboxMarkdown(r: OutboxResult): string {
  return [
    `### Outbox with a stuck channel — median of ${CALLS} calls`,
    '',
    table(
      ['engine', 'call', `${fmt(r.options.queued)} queued ms`, `${fmt(r.options.short)} queued ms`, 'ratio'],
      r.runs.flatMap((run) =>
        MEASURES.map(([key, what]) => [
          run.engine,
          what,
          fmt(run.long[key], 2),
          fmt(run.short[key], 2),
          ratio(run.long[key], run.short[key]),
        ]),
      ),
    ),
    ...(r.skipped ? ['', r.skipped] : []),
  ].join('\n');
}
