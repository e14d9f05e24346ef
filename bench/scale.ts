// Scale on one node: a million checks in one SQLite file. A real vigil process (dist/) on it:
// how long it takes to start, its memory idle and under ping load, and how fast the API lists
// and searches the checks. Then the sweep: 10,000 of the million due in the same second
// (runDetection, with its in-process scheduler and a claimer standing in for the dispatcher).
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { systemActor } from '../src/audit/actor.ts';
import { createApiKey, createProject } from '../src/projects/keys.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import {
  DETECTION_DEFAULTS,
  type DetectionResult,
  detectionMarkdown,
  insertFarChecks,
  runDetection,
} from './detection.ts';
import { fmt, percentile, sleep, table } from './report.ts';
import { buildVigil, note, type RunningVigil, startVigil } from './servers.ts';

export interface ScaleOptions {
  checks: number;
  /** of them due in the same second, for the sweep */
  due: number;
  /** requests per API query measured */
  queries: number;
  loadS: number;
  connections: number;
}

export const SCALE_DEFAULTS: ScaleOptions = {
  checks: 1_000_000,
  due: 10_000,
  queries: 30,
  loadS: 10,
  connections: 50,
};

export interface QueryTiming {
  label: string;
  path: string;
  /** rows in the answer */
  rows: number;
  p50: number;
  p99: number;
}

export interface ScaleResult {
  options: ScaleOptions;
  insertMs: number;
  dbBytes: number;
  startupMs: number;
  idleRssMb: number;
  loadRssMb: number;
  loadRps: number;
  loadP99: number;
  loadFailed: number;
  queries: QueryTiming[];
  detection: DetectionResult;
}

/** Resident memory of a process, in MB (Linux). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function timeQuery(url: string, key: string, label: string, path: string, n: number) {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}${path}`, { headers: { 'X-Api-Key': key } });
    const body = (await res.json()) as { checks?: unknown[] };
    times.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(body)}`);
    rows = body.checks?.length ?? 1;
  }
  times.sort((a, b) => a - b);
  return { label, path, rows, p50: percentile(times, 50), p99: percentile(times, 99) };
}

export async function runScale(opts: ScaleOptions = SCALE_DEFAULTS): Promise<ScaleResult> {
  buildVigil();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-scale-'));
  const dbPath = join(dir, 'vigil.db');
  try {
    note(`scale: inserting ${fmt(opts.checks)} checks into ${dbPath}`);
    const store = await openSqliteStore(dbPath);
    const now = Date.now();
    const actor = systemActor('bench');
    const { project, key } = await store.transaction(async (tx) => {
      const project = await createProject(tx, 'bench', now, actor);
      return { project, key: (await createApiKey(tx, project.id, { now }, actor)).key };
    });
    const t0 = performance.now();
    await insertFarChecks(store, project.id, opts.checks, 20_000, now);
    const insertMs = performance.now() - t0;
    await store.close();
    const dbBytes = statSync(dbPath).size;
    note(`scale: inserted in ${fmt(insertMs)} ms (${fmt(dbBytes / 1e6)} MB); starting vigil on it`);

    const s0 = performance.now();
    const vigil = await startVigil({ databaseUrl: `sqlite:${dbPath}`, bootstraps: false });
    const startupMs = performance.now() - s0;
    let measured: Omit<ScaleResult, 'options' | 'insertMs' | 'dbBytes' | 'startupMs' | 'detection'>;
    try {
      measured = await measureServer(vigil, key, project.pingKey, opts);
    } finally {
      await vigil.stop();
    }
    rmSync(dir, { recursive: true, force: true });

    note(`scale: the sweep, ${fmt(opts.due)} of ${fmt(opts.checks)} checks due in the same second`);
    const detection = await runDetection({ ...DETECTION_DEFAULTS, checks: opts.checks, due: opts.due });
    return { options: opts, insertMs, dbBytes, startupMs, ...measured, detection };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Memory idle, the API's list and search queries, then memory under ping load. */
async function measureServer(vigil: RunningVigil, key: string, pingKey: string, opts: ScaleOptions) {
  await sleep(3000);
  const idleRssMb = rssMb(vigil.pid);
  const some = opts.checks - 12_345;
  const queries: QueryTiming[] = [];
  for (const [label, path] of [
    ['list, first page (50)', '/api/v1/checks?limit=50'],
    ['list by tag (50)', '/api/v1/checks?tag=bench&limit=50'],
    ['list by status (50)', '/api/v1/checks?status=up&limit=50'],
    ['one by slug', `/api/v1/checks?slug=bench-${some}`],
    ['search by name (substring)', `/api/v1/checks?q=${encodeURIComponent(`bench ${some}`)}`],
  ] as const) {
    note(`scale: GET ${path} x ${opts.queries}`);
    queries.push(await timeQuery(vigil.url, key, label, path, opts.queries));
  }

  note(`scale: pinging random checks for ${opts.loadS} s with ${opts.connections} connections`);
  let loadRssMb = 0;
  const sampler = setInterval(() => {
    loadRssMb = Math.max(loadRssMb, rssMb(vigil.pid));
  }, 250);
  try {
    const r = await autocannon({
      url: vigil.url,
      connections: opts.connections,
      duration: opts.loadS,
      maxOverallRequests: opts.loadS * 100_000,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => ({
            ...req,
            path: `/ping/${pingKey}/bench-${Math.floor(Math.random() * opts.checks)}`,
            body: 'ok',
          }),
        },
      ],
    });
    return {
      idleRssMb,
      loadRssMb,
      loadRps: r.requests.average,
      loadP99: r.latency.p99,
      loadFailed: r.non2xx + r.errors + r.timeouts,
      queries,
    };
  } finally {
    clearInterval(sampler);
  }
}

export function scaleProblems(r: ScaleResult): string[] {
  const problems: string[] = [];
  if (r.loadFailed > 0) problems.push(`scale: ${r.loadFailed} pings failed under load`);
  if (r.detection.claimed < r.options.due)
    problems.push(`scale: only ${r.detection.claimed} of ${r.options.due} due checks were queued`);
  return problems;
}

export function scaleMarkdown(r: ScaleResult): string {
  const rows: string[][] = [
    [
      'checks in the database',
      fmt(r.options.checks),
      `${fmt(r.dbBytes / 1e6)} MB file, inserted in ${fmt(r.insertMs / 1000, 1)} s`,
    ],
    ['start-up (spawn → /healthz 200)', `${fmt(r.startupMs)} ms`, ''],
    ['resident memory, idle', `${fmt(r.idleRssMb)} MB`, '3 s after start-up'],
    [
      'resident memory, under ping load (max)',
      `${fmt(r.loadRssMb)} MB`,
      `${fmt(r.loadRps)} pings/s to random checks by slug, p99 ${fmt(r.loadP99)} ms, ${r.options.connections} connections`,
    ],
    ...r.queries.map((q) => [
      `API: ${q.label}`,
      `p50 ${fmt(q.p50, 1)} ms · p99 ${fmt(q.p99, 1)} ms`,
      `\`${q.path}\` → ${q.rows} rows, ${r.options.queries} requests`,
    ]),
  ];
  return [
    `### Scale: ${fmt(r.options.checks)} checks on one node (SQLite)`,
    '',
    table(['', 'measured', 'how'], rows),
    '',
    detectionMarkdown(r.detection),
  ].join('\n');
}
