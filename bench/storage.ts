// The storage side of a ping alone, without HTTP: vigil's Ingestor committing batches of pings
// to a SQLite file (state machine, ping row, check state, commit, disk sync), against SQLite
// itself storing the same rows in the same batches (a prepared INSERT per ping, the same prune,
// COMMIT and fdatasync) in a file of the same schema. Both run in this process, alternating;
// the figure is CPU per ping, with the sync on the thread pool counted. It splits a ping's cost
// into what SQLite needs and what vigil adds on top (docs/benchmarks.md).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ingestor, type PingRequest } from '../src/ingest/ingest.ts';
import { defaultCheckConfig, newCheck } from '../src/ingest/new-check.ts';
import { pingValues } from '../src/store/rows.ts';
import { connect, openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { PING_INSERT, PING_PRUNE } from '../src/store/sqlite/sqlite-tx.ts';
import type { Store } from '../src/store/store.ts';
import { PING_BODY } from './ingest.ts';
import { fmt, ratio, table } from './report.ts';
import { note } from './servers.ts';

export interface StorageOptions {
  /** pings per batch: as many as arrive together at 500 connections */
  batch: number;
  /** batches measured per round, after as many again to warm up */
  batches: number;
  rounds: number;
  /** the pings are spread over this many checks */
  checks: number;
}

export const STORAGE_DEFAULTS: StorageOptions = { batch: 500, batches: 100, rounds: 3, checks: 1 };

/** As the server keeps them by default (VIGIL_PING_RETENTION). */
const RETENTION = 1000;

export interface StorageRound {
  /** CPU µs per ping */
  vigilUs: number;
  sqliteUs: number;
}

export interface StorageResult {
  options: StorageOptions;
  rounds: StorageRound[];
}

interface Fixture {
  dir: string;
  store: Store;
  checkIds: string[];
}

/** A migrated file at `path` with one project and `checkIds` as interval checks. */
export async function seed(path: string, checkIds: string[], exclusive: boolean): Promise<Store> {
  const store = await openSqliteStore(path, { exclusive });
  const projectId = '00000000-0000-4000-8000-00000000be0c';
  const now = Date.now();
  await store.transaction(async (tx) => {
    await tx.insertProject({
      id: projectId,
      name: 'bench',
      pingKey: 'bench-storage-key',
      silencePeriod: 3600,
      badgeKey: 'bench-storage-badge',
      createdAt: now,
    });
    for (const [i, id] of checkIds.entries()) {
      const config = defaultCheckConfig(`job-${i}`);
      config.schedule = { kind: 'interval', period: 3600, grace: 60 };
      await tx.insertCheck(newCheck(id, projectId, config, now));
    }
  });
  return store;
}

async function fixture(checks: number): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-storage-'));
  const checkIds = Array.from({ length: checks }, () => randomUUID());
  // the file SQLite alone writes: the same schema and rows, opened below with better-sqlite3
  await (await seed(join(dir, 'plain.db'), checkIds, false)).close();
  return { dir, store: await seed(join(dir, 'vigil.db'), checkIds, true), checkIds };
}

function ping(checkId: string): PingRequest {
  return {
    target: { checkId },
    kind: 'success',
    runId: null,
    method: 'POST',
    source: '127.0.0.1',
    userAgent: 'autocannon',
    body: PING_BODY,
    truncated: false,
    at: Date.now(),
  };
}

function cpuUs(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

/** vigil: each batch submitted in one turn, so it commits as one transaction, and awaited. */
async function measureVigil(f: Fixture, opts: StorageOptions): Promise<number> {
  const ingestor = new Ingestor(f.store, {
    baseUrl: 'http://127.0.0.1',
    retention: RETENTION,
    newId: randomUUID,
  });
  const run = async (batches: number) => {
    for (let b = 0; b < batches; b++) {
      const pings = Array.from({ length: opts.batch }, (_, i) => ping(f.checkIds[i % f.checkIds.length]!));
      await Promise.all(pings.map((p) => ingestor.submit(p)));
    }
  };
  await run(opts.batches);
  const before = cpuUs();
  await run(opts.batches);
  return (cpuUs() - before) / (opts.batches * opts.batch);
}

/**
 * A connection of its own to a file of vigil's schema, with the store's settings, and vigil's
 * own ping INSERT and prune prepared on it: what the baselines that store pings without vigil
 * (SQLite alone here, the durable floor in durable-server.ts) write with.
 */
export function plainPings(path: string) {
  const db = connect(path);
  return { db, insert: db.prepare(PING_INSERT), prune: db.prepare(PING_PRUNE) };
}

/**
 * SQLite alone: the pings table of the same schema (a file migrated and seeded as vigil's), the
 * same rows through vigil's own prepared INSERT, the same prune per check, COMMIT, then fdatasync
 * of the WAL on the thread pool, as vigil syncs it.
 */
async function measureSqlite(f: Fixture, opts: StorageOptions): Promise<number> {
  const path = join(f.dir, 'plain.db');
  const { db, insert, prune } = plainPings(path);
  const wal = await open(`${path}-wal`, 'r+');
  const seq = new Map(f.checkIds.map((id) => [id, 0]));
  const run = async (batches: number) => {
    for (let b = 0; b < batches; b++) {
      const pings = Array.from({ length: opts.batch }, (_, i) => ping(f.checkIds[i % f.checkIds.length]!));
      db.exec('BEGIN IMMEDIATE');
      for (const p of pings) {
        const id = (p.target as { checkId: string }).checkId;
        const n = seq.get(id)! + 1;
        seq.set(id, n);
        insert.run(
          ...pingValues({
            checkId: id,
            n,
            at: p.at,
            clientAt: null,
            kind: p.kind,
            exitStatus: null,
            method: p.method,
            source: p.source,
            userAgent: p.userAgent,
            rid: null,
            durationMs: null,
            body: p.body,
            truncated: p.truncated,
          }),
        );
      }
      for (const [id, n] of seq) prune.run(id, n - RETENTION);
      db.exec('COMMIT');
      await wal.datasync();
    }
  };
  await run(opts.batches);
  const before = cpuUs();
  await run(opts.batches);
  const us = (cpuUs() - before) / (opts.batches * opts.batch);
  await wal.close();
  db.close();
  return us;
}

export async function runStorage(opts: StorageOptions = STORAGE_DEFAULTS): Promise<StorageResult> {
  const rounds: StorageRound[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    note(`storage round ${r + 1} of ${opts.rounds}: ${opts.batches} batches of ${opts.batch} pings each`);
    const f = await fixture(opts.checks);
    try {
      const sqliteUs = await measureSqlite(f, opts);
      const vigilUs = await measureVigil(f, opts);
      rounds.push({ vigilUs, sqliteUs });
    } finally {
      await f.store.close();
      rmSync(f.dir, { recursive: true, force: true });
    }
  }
  return { options: opts, rounds };
}

export function storageRows(result: StorageResult): string[][] {
  return result.rounds.map((r, i) => [
    `storage side of a ping, round ${i + 1}: CPU per ping`,
    `${fmt(r.vigilUs, 1)} µs`,
    `SQLite alone ${fmt(r.sqliteUs, 1)} µs`,
    `${ratio(r.vigilUs, r.sqliteUs)} × SQLite`,
  ]);
}

export function storageMarkdown(result: StorageResult): string {
  const { batch, batches, checks } = result.options;
  return [
    `### Storage side of a ping (no HTTP) — ${batches} batches of ${batch} pings over ${checks} check(s) per round`,
    '',
    table(
      [
        'round',
        'vigil (Ingestor) µs/ping',
        'SQLite alone µs/ping',
        'vigil / SQLite',
        'vigil beyond SQLite µs',
      ],
      result.rounds.map((r, i) => [
        String(i + 1),
        fmt(r.vigilUs, 1),
        fmt(r.sqliteUs, 1),
        ratio(r.vigilUs, r.sqliteUs),
        fmt(r.vigilUs - r.sqliteUs, 1),
      ]),
    ),
  ].join('\n');
}
