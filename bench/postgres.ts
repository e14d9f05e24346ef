// vigil on PostgreSQL, measured against what it is compared with, in the same run:
// - ping ingest, one node on PostgreSQL, against the same load on SQLite and on a raw
//   node:http server (the ingest benchmark's setup);
// - ping ingest spread over three nodes on one database against the same load on one node:
//   300 checks, pinged in turn by three load generators (one per node), as real jobs ping
//   many checks rather than one (pings to one check take turns on its row);
// - detection latency with 100,000 checks on PostgreSQL, one scheduler against three.
import autocannon from 'autocannon';
import { type DetectionResult, detectionMarkdown, postgresTarget, runDetection } from './detection.ts';
import {
  cpuSeconds,
  createCheck,
  type IngestOptions,
  type LoadStats,
  measureRaw,
  measureVigil,
  newestPingNumber,
  PING_BODY,
  type VigilStats,
} from './ingest.ts';
import { createBenchDatabase } from './pg-database.ts';
import { fmt, ratio, sleep, table } from './report.ts';
import { buildVigil, note, type RunningVigil, startVigil } from './servers.ts';

export interface SpreadStats {
  nodes: number;
  rps: number;
  /** the worst of the load generators' p50 and p99 */
  p50: number;
  p99: number;
  ok: number;
  bad: number;
  /** CPU of every vigil process, per answered request */
  cpuUsPerRequest: number;
  /** every check's newest ping number covers its 200s */
  durable: boolean;
}

export interface PostgresBenchResult {
  options: IngestOptions;
  ingest: { raw: LoadStats; sqlite: VigilStats; postgres: VigilStats };
  spread: SpreadStats[];
  detection: DetectionResult[];
}

const TARGETS = 3;
const CHECKS_PER_TARGET = 100;

/** Loads `base` + `/ping/<id>`, the ids in turn. */
function fireAt(base: string, ids: string[], connections: number, seconds: number) {
  let next = 0;
  return autocannon({
    url: base,
    requests: [{ setupRequest: (req) => ({ ...req, path: `/ping/${ids[next++ % ids.length]}` }) }],
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: PING_BODY,
    // (autocannon cannot check bodies with `requests`: the 200s and the stored count tell)
    connections,
    duration: seconds,
    timeout: 10,
    maxOverallRequests: seconds * 100_000,
  });
}

/** Three groups of checks, each loaded by its own generator, through `nodeCount` nodes on one database. */
export async function measureSpread(opts: IngestOptions, nodeCount: number): Promise<SpreadStats> {
  const db = await createBenchDatabase();
  const nodes: RunningVigil[] = [];
  try {
    nodes.push(await startVigil({ databaseUrl: db.url, nodeId: 'bench-1' }));
    for (let i = 1; i < nodeCount; i++)
      nodes.push(await startVigil({ databaseUrl: db.url, nodeId: `bench-${i + 1}`, bootstraps: false }));
    const groups: string[][] = [];
    for (let i = 0; i < TARGETS; i++) {
      const ids: string[] = [];
      for (let j = 0; j < CHECKS_PER_TARGET; j++) ids.push(await createCheck(nodes[0]!));
      groups.push(ids);
    }
    const bases = groups.map((_, i) => nodes[i % nodeCount]!.url);
    const per = Math.max(1, Math.floor(opts.connections / TARGETS));
    note(`spread over ${nodeCount} node(s): warm-up ${opts.warmupS} s`);
    const warm = await Promise.all(bases.map((b, i) => fireAt(b, groups[i]!, per, opts.warmupS)));
    note(`spread over ${nodeCount} node(s): measuring ${opts.durationS} s`);
    const cpuBefore = nodes.reduce((n, v) => n + cpuSeconds(v.pid), 0);
    const runs = await Promise.all(bases.map((b, i) => fireAt(b, groups[i]!, per, opts.durationS)));
    const cpu = nodes.reduce((n, v) => n + cpuSeconds(v.pid), 0) - cpuBefore;
    const ok = runs.reduce((n, r) => n + r['2xx'], 0);
    let stored = 0;
    for (const id of groups.flat()) stored += await newestPingNumber(nodes[0]!, id);
    const durable = stored >= ok + warm.reduce((n, r) => n + r['2xx'], 0);
    return {
      nodes: nodeCount,
      rps: runs.reduce((n, r) => n + r.requests.average, 0),
      p50: Math.max(...runs.map((r) => r.latency.p50)),
      p99: Math.max(...runs.map((r) => r.latency.p99)),
      ok,
      bad: runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts + r.mismatches, 0),
      cpuUsPerRequest: (cpu * 1e6) / ok,
      durable,
    };
  } finally {
    for (const n of nodes) await n.stop();
    await db.drop();
  }
}

export async function runPostgres(opts: IngestOptions): Promise<PostgresBenchResult> {
  buildVigil();
  note('postgres: ingest against raw node:http and SQLite');
  const raw = await measureRaw(opts);
  await sleep(1000);
  const sqlite = await measureVigil(opts);
  await sleep(1000);
  const db = await createBenchDatabase();
  let postgres: VigilStats;
  try {
    postgres = await measureVigil(opts, { databaseUrl: db.url });
  } finally {
    await db.drop();
  }
  await sleep(1000);
  const spread: SpreadStats[] = [];
  for (const n of [1, 3]) {
    spread.push(await measureSpread(opts, n));
    await sleep(1000);
  }
  const detection: DetectionResult[] = [];
  for (const n of [1, 3]) detection.push(await runDetection(undefined, postgresTarget(n)));
  return { options: opts, ingest: { raw, sqlite, postgres }, spread, detection };
}

export function postgresProblems(r: PostgresBenchResult): string[] {
  const problems: string[] = [];
  const { sqlite, postgres } = r.ingest;
  for (const [name, s] of [
    ['SQLite', sqlite],
    ['PostgreSQL', postgres],
  ] as const) {
    if (s.stored < s.okTotal)
      problems.push(`${name}: ${s.okTotal} pings answered 200 but ${s.stored} stored`);
    const bad = s.non2xx + s.errors + s.timeouts + s.mismatches;
    if (bad > 0) problems.push(`${name}: ${bad} failed requests`);
  }
  for (const s of r.spread) {
    if (!s.durable) problems.push(`${s.nodes} node(s): a check stored fewer pings than it answered 200`);
    if (s.bad > 0) problems.push(`${s.nodes} node(s): ${s.bad} failed requests`);
  }
  for (const d of r.detection) {
    if (d.claimed < d.options.due) problems.push(`${d.label}: ${d.claimed} of ${d.options.due} claimed`);
    if (d.unexpected > 0) problems.push(`${d.label}: ${d.unexpected} unexpected or repeated claims`);
  }
  return problems;
}

export function postgresMarkdown(r: PostgresBenchResult): string {
  const { raw, sqlite, postgres } = r.ingest;
  const { connections, durationS, warmupS } = r.options;
  const row = (name: string, s: LoadStats, extra: string) => [
    name,
    fmt(s.rps),
    fmt(s.p50),
    fmt(s.p99),
    fmt(s.ok),
    fmt(s.cpuUsPerRequest),
    extra,
  ];
  const vigilExtra = (s: VigilStats) =>
    `${fmt(s.stored)} stored / ${fmt(s.okTotal)} 200s ${s.stored >= s.okTotal ? '✓' : '✗'} · req/s ${ratio(s.rps, raw.rps)} of raw`;
  const problems = postgresProblems(r);
  return [
    `### Ping ingest on PostgreSQL — \`POST /ping/<uuid>\`, ${connections} connections, ${durationS} s after a ${warmupS} s warm-up`,
    '',
    table(
      ['server', 'req/s', 'p50 ms', 'p99 ms', '200s', 'server CPU µs / req', 'durable check · vs raw'],
      [
        row('raw node:http', raw, ''),
        row('vigil, SQLite', sqlite, vigilExtra(sqlite)),
        row('vigil, PostgreSQL', postgres, vigilExtra(postgres)),
      ],
    ),
    '',
    `### One node against three on one PostgreSQL — ${TARGETS * CHECKS_PER_TARGET} checks, ${TARGETS} load generators of ${Math.floor(connections / TARGETS)} connections`,
    '',
    table(
      [
        'nodes',
        'req/s (sum)',
        'worst p50 ms',
        'worst p99 ms',
        '200s',
        'vigil CPU µs / req (all nodes)',
        'durable',
      ],
      r.spread.map((s) => [
        String(s.nodes),
        fmt(s.rps),
        fmt(s.p50),
        fmt(s.p99),
        fmt(s.ok),
        fmt(s.cpuUsPerRequest),
        s.durable ? '✓' : '✗',
      ]),
    ),
    '',
    ...r.detection.flatMap((d) => [detectionMarkdown(d), '']),
    problems.length === 0 ? 'No problems.' : `Problems:\n- ${problems.join('\n- ')}`,
  ].join('\n');
}
