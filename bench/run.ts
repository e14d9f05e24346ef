// Runs the benchmarks and prints the results as markdown on stdout (progress goes to stderr).
//   npm run bench                 both
//   npm run bench -- ingest       one of them (ingest | detection | dashboard | postgres)
//   npm run bench -- rate-limit   another project's pings during a flood (~30 s)
//   npm run bench -- postgres     vigil on PostgreSQL (not part of "all": it needs a server)
//   npm run bench -- workers      vigil's Worker in local workerd (not part of "all": ~5 min)
//   npm run bench -- scale        1,000,000 checks on one node (not part of "all": ~5 min)
//   npm run bench -- soak         10 minutes of pings and churn (not part of "all")
//   npm run bench -- profile      vigil under the ingest load with --cpu-prof: where the time goes
//   npm run bench -- storage      the storage side of a ping alone, against SQLite alone (~1 min)
//   npm run bench -- outbox       claims and the next due time with 20,000 alerts queued for a stuck channel
//   npm run bench -- ingest --duration 5 --rounds 1 --connections 50
// The raw results are also saved as JSON in the temp dir (outside the repo, which biome checks).
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type DashboardResult, dashboardMarkdown, dashboardProblems, runDashboard } from './dashboard.ts';
import {
  DETECTION_DEFAULTS,
  type DetectionResult,
  detectionMarkdown,
  detectionProblems,
  runDetection,
} from './detection.ts';
import { INGEST_DEFAULTS, type IngestResult, ingestMarkdown, ingestProblems, runIngest } from './ingest.ts';
import { OUTBOX_DEFAULTS, type OutboxResult, outboxMarkdown, outboxRows, runOutbox } from './outbox.ts';
import { type PostgresBenchResult, postgresMarkdown, postgresProblems, runPostgres } from './postgres.ts';
import { type ProfileResult, profileMarkdown, runProfile } from './profile.ts';
import {
  RATE_LIMIT_DEFAULTS,
  type RateLimitBenchResult,
  rateLimitMarkdown,
  rateLimitProblems,
  runRateLimit,
} from './rate-limit.ts';
import { fmt, machineLine, ratio, table } from './report.ts';
import { runScale, type ScaleResult, scaleMarkdown, scaleProblems } from './scale.ts';
import { runSoak, type SoakResult, soakMarkdown, soakProblems } from './soak.ts';
import { runStorage, STORAGE_DEFAULTS, type StorageResult, storageMarkdown, storageRows } from './storage.ts';
import { runWorkers, type WorkersResult, workersMarkdown, workersProblems } from './workers.ts';

const BENCHMARKS = [
  'ingest',
  'detection',
  'dashboard',
  'rate-limit',
  'postgres',
  'workers',
  'scale',
  'soak',
  'profile',
  'storage',
  'outbox',
] as const;
/** what `npm run bench` alone runs: everything that needs no database server */
const DEFAULT: readonly Benchmark[] = ['ingest', 'detection', 'dashboard', 'rate-limit'];
type Benchmark = (typeof BENCHMARKS)[number];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    rounds: { type: 'string' },
    checks: { type: 'string' },
    due: { type: 'string' },
  },
});

const unknown = positionals.filter((p) => !(BENCHMARKS as readonly string[]).includes(p));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark ${unknown.join(', ')}: use ${BENCHMARKS.join(' or ')} (or nothing for all)`,
  );
  process.exit(2);
}
const selected: Benchmark[] = positionals.length > 0 ? (positionals as Benchmark[]) : [...DEFAULT];
const positive = (v: string | undefined, fallback: number, name: string) => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
};
const ingestOptions = {
  durationS: positive(values.duration, INGEST_DEFAULTS.durationS, 'duration'),
  warmupS: positive(values.warmup, INGEST_DEFAULTS.warmupS, 'warmup'),
  connections: positive(values.connections, INGEST_DEFAULTS.connections, 'connections'),
  rounds: positive(values.rounds, INGEST_DEFAULTS.rounds, 'rounds'),
};

const startedAt = new Date();
const machine = machineLine();
let ingest: IngestResult | null = null;
let detection: DetectionResult | null = null;
if (selected.includes('ingest')) ingest = await runIngest(ingestOptions);
if (selected.includes('detection'))
  detection = await runDetection({
    ...DETECTION_DEFAULTS,
    checks: positive(values.checks, DETECTION_DEFAULTS.checks, 'checks'),
    due: positive(values.due, DETECTION_DEFAULTS.due, 'due'),
  });
let dashboard: DashboardResult | null = null;
if (selected.includes('dashboard')) dashboard = await runDashboard();
let postgres: PostgresBenchResult | null = null;
if (selected.includes('postgres')) postgres = await runPostgres(ingestOptions);
let workers: WorkersResult | null = null;
if (selected.includes('workers')) workers = await runWorkers(ingestOptions);
let profile: ProfileResult | null = null;
if (selected.includes('profile')) profile = await runProfile(ingestOptions);
let scale: ScaleResult | null = null;
if (selected.includes('scale')) scale = await runScale();
let soak: SoakResult | null = null;
if (selected.includes('soak')) soak = await runSoak();
let storage: StorageResult | null = null;
if (selected.includes('storage'))
  storage = await runStorage({
    ...STORAGE_DEFAULTS,
    rounds: positive(values.rounds, STORAGE_DEFAULTS.rounds, 'rounds'),
    checks: positive(values.checks, STORAGE_DEFAULTS.checks, 'checks'),
  });
let outbox: OutboxResult | null = null;
if (selected.includes('outbox')) outbox = await runOutbox(OUTBOX_DEFAULTS);
let rateLimit: RateLimitBenchResult | null = null;
if (selected.includes('rate-limit'))
  rateLimit = await runRateLimit({
    durationS: positive(values.duration, RATE_LIMIT_DEFAULTS.durationS, 'duration'),
    connections: positive(values.connections, RATE_LIMIT_DEFAULTS.connections, 'connections'),
  });

const summary: string[][] = [];
if (ingest) {
  for (const [i, { raw, durable, vigil }] of ingest.rounds.entries()) {
    summary.push([
      `ingest, round ${i + 1}: req/s`,
      fmt(vigil.rps),
      `raw node:http ${fmt(raw.rps)}`,
      `${ratio(vigil.rps, raw.rps)} (target ≥ 0.8)`,
    ]);
    summary.push([
      `ingest, round ${i + 1}: req/s against the durable floor`,
      fmt(vigil.rps),
      `durable floor ${fmt(durable.rps)} (${ratio(durable.rps, raw.rps)} of raw)`,
      ratio(vigil.rps, durable.rps),
    ]);
    summary.push([
      `ingest, round ${i + 1}: p99 latency`,
      `${fmt(vigil.p99)} ms`,
      `raw node:http ${fmt(raw.p99)} ms`,
      ratio(vigil.p99, raw.p99),
    ]);
  }
}
if (detection) summary.push(...detectionRows('detection', detection));
if (storage) summary.push(...storageRows(storage));
if (outbox) summary.push(...outboxRows(outbox));

if (postgres) {
  const { raw, sqlite, postgres: pg } = postgres.ingest;
  summary.push([
    'ingest on PostgreSQL: req/s',
    fmt(pg.rps),
    `SQLite ${fmt(sqlite.rps)} · raw node:http ${fmt(raw.rps)}`,
    `${ratio(pg.rps, sqlite.rps)} of SQLite · ${ratio(pg.rps, raw.rps)} of raw`,
  ]);
  const [one, three] = postgres.spread;
  if (one && three)
    summary.push([
      'ingest on PostgreSQL: three nodes, req/s',
      fmt(three.rps),
      `one node ${fmt(one.rps)}`,
      ratio(three.rps, one.rps),
    ]);
  for (const d of postgres.detection) summary.push(...detectionRows(`detection, ${d.label}`, d));
}

if (workers) {
  for (const [i, r] of workers.rounds.entries()) {
    summary.push([
      `Worker ingest (local workerd + D1), round ${i + 1}: req/s`,
      `${fmt(r.spread.rps)} (100 checks) · ${fmt(r.oneCheck.rps)} (one check)`,
      `the same D1 calls alone ${fmt(r.d1Only.rps)} · raw workerd ${fmt(r.rawWorkerd.rps)} · raw node:http ${fmt(r.rawNode.rps)}`,
      `${ratio(r.spread.rps, r.d1Only.rps)} of the D1 calls alone`,
    ]);
  }
  const [alarm, cron] = workers.latency;
  if (alarm && cron)
    summary.push([
      'Worker: deadline → down webhook received',
      `alarm: p50 ${fmt(alarm.p50)} ms · p99 ${fmt(alarm.p99)} ms`,
      `cron alone: p50 ${fmt(cron.p50 / 1000, 1)} s · p99 ${fmt(cron.p99 / 1000, 1)} s`,
      `${ratio(cron.p50, alarm.p50)} faster (p50)`,
    ]);
}

if (rateLimit) {
  const [alone, flooded] = rateLimit.phases;
  if (alone && flooded)
    summary.push([
      "rate limits: another project's pings during a flood, p50 · p99",
      `${fmt(flooded.b.p50, 2)} ms · ${fmt(flooded.b.p99, 2)} ms`,
      `without the flood ${fmt(alone.b.p50, 2)} ms · ${fmt(alone.b.p99, 2)} ms`,
      `${ratio(flooded.b.p50, alone.b.p50)} · ${ratio(flooded.b.p99, alone.b.p99)}`,
    ]);
}
if (scale) {
  summary.push(
    ...detectionRows(
      `scale: ${fmt(scale.options.due)} of ${fmt(scale.options.checks)} checks due in one second`,
      scale.detection,
    ),
  );
}
if (dashboard) {
  summary.push([
    `dashboard: first page of ${fmt(dashboard.options.checks)} checks, p99`,
    `${fmt(dashboard.list.p99, 1)} ms`,
    `new-check form ${fmt(dashboard.baseline.p99, 1)} ms`,
    `${ratio(dashboard.list.p99, dashboard.baseline.p99)} (target < 300 ms)`,
  ]);
}

const args = process.argv.slice(2);
const command = `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
const out = [
  `## Results of ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  '',
  `Command: \`${command}\`  `,
  `Machine: ${machine}`,
  '',
  table(['benchmark', 'vigil', 'baseline (same run)', 'ratio / target'], summary),
  '',
  ...(ingest ? [ingestMarkdown(ingest), ''] : []),
  ...(detection ? [detectionMarkdown(detection), ''] : []),
  ...(dashboard ? [dashboardMarkdown(dashboard), ''] : []),
  ...(postgres ? [postgresMarkdown(postgres), ''] : []),
  ...(workers ? [workersMarkdown(workers), ''] : []),
  ...(profile ? [profileMarkdown(profile), ''] : []),
  ...(storage ? [storageMarkdown(storage), ''] : []),
  ...(outbox ? [outboxMarkdown(outbox), ''] : []),
  ...(scale ? [scaleMarkdown(scale), ''] : []),
  ...(soak ? [soakMarkdown(soak), ''] : []),
  ...(rateLimit ? [rateLimitMarkdown(rateLimit), ''] : []),
].join('\n');
process.stdout.write(`${out}\n`);

const file = join(tmpdir(), `vigil-bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ startedAt, command, machine, ingest, detection, dashboard, postgres, workers, profile, storage, outbox, scale, soak, rateLimit }, null, 2)}\n`,
);
console.error(`[bench] raw results saved to ${file}`);

const problems = [
  ...(ingest ? ingestProblems(ingest) : []),
  ...(detection ? detectionProblems(detection) : []),
  ...(dashboard ? dashboardProblems(dashboard) : []),
  ...(postgres ? postgresProblems(postgres) : []),
  ...(workers ? workersProblems(workers) : []),
  ...(scale ? scaleProblems(scale) : []),
  ...(soak ? soakProblems(soak) : []),
  ...(rateLimit ? rateLimitProblems(rateLimit) : []),
];
for (const p of problems) console.error(`[bench] PROBLEM: ${p}`);
if (problems.length > 0) process.exitCode = 1;

/** Deadline → queued (the target) and deadline → claimed by the stand-in dispatcher. */
function detectionRows(label: string, d: DetectionResult): string[][] {
  const { queuedMs: q, latencyMs: c } = d;
  return [
    [
      `${label}: deadline → alert queued`,
      `p50 ${fmt(q.p50)} ms · p99 ${fmt(q.p99)} ms · max ${fmt(q.max)} ms`,
      `empty sweep ${fmt(d.emptySweepUs, 1)} µs`,
      `p99 ${q.p99 <= 1000 ? '≤' : '>'} 1 s target`,
    ],
    [`${label}: deadline → claimed by a dispatcher`, `p50 ${fmt(c.p50)} ms · p99 ${fmt(c.p99)} ms`, '', ''],
  ];
}
