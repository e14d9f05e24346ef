// Ping ingest: requests/s and latency of `POST /ping/<uuid>` with a small body, against vigil
// and against a raw node:http server that stores nothing, with the same load (autocannon,
// run here) for both. Each server runs alone in its own child process; the pair is
// measured more than once, alternating, so the table shows the noise of the machine.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { fmt, ratio, sleep, table } from './report.ts';
import {
  buildVigil,
  note,
  type RunningServer,
  type RunningVigil,
  startDurableServer,
  startRawServer,
  startVigil,
  type VigilOptions,
} from './servers.ts';

export interface IngestOptions {
  connections: number;
  /** seconds measured, after the warm-up */
  durationS: number;
  warmupS: number;
  /** how many (raw, vigil) pairs */
  rounds: number;
}

export const INGEST_DEFAULTS: IngestOptions = { connections: 50, durationS: 10, warmupS: 2, rounds: 2 };

/** A ping body of about 40 bytes, as a job's wrapper might send. */
export const PING_BODY = '{"job":"nightly-backup","exit":0,"ms":42}';
/** Caps every run by count as well as by time. */
const MAX_REQUESTS_PER_SECOND = 100_000;

export interface LoadStats {
  rps: number;
  p50: number;
  p99: number;
  max: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  durationS: number;
  /** CPU time of the server process over the measured run, as % of one core (Linux only) */
  serverCpu: number;
  /** the same per answered request, in µs: less sensitive to other load on the machine than req/s */
  cpuUsPerRequest: number;
  /** CPU of the load tool (this process) per answered request, in µs: it shares the machine */
  loadCpuUsPerRequest: number;
}

export interface VigilStats extends LoadStats {
  /** 200s received in warm-up and measured run together */
  okTotal: number;
  /** `n` of the newest stored ping */
  stored: number;
}

export interface IngestRound {
  raw: LoadStats;
  /** the least a server that stores each ping before its 200 must do (durable-server.ts) */
  durable: LoadStats;
  vigil: VigilStats;
}

export interface IngestResult {
  options: IngestOptions;
  rounds: IngestRound[];
}

export function cpuSeconds(pid: number): number {
  try {
    // fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name) are utime and stime in ticks
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

export async function fire(url: string, opts: IngestOptions, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: PING_BODY,
    expectBody: 'OK',
    connections: opts.connections,
    duration: seconds,
    timeout: 10,
    maxOverallRequests: seconds * MAX_REQUESTS_PER_SECOND,
  });
}

/** A warm-up, then the measured run; returns the measured stats and the warm-up's 200s. */
export async function load(server: RunningServer, url: string, opts: IngestOptions) {
  note(`${server.name} (pid ${server.pid}): warm-up ${opts.warmupS} s`);
  const warm = await fire(url, opts, opts.warmupS);
  note(`${server.name}: measuring ${opts.durationS} s with ${opts.connections} connections`);
  const cpuBefore = cpuSeconds(server.pid);
  const loadBefore = process.cpuUsage();
  const r = await fire(url, opts, opts.durationS);
  const load = process.cpuUsage(loadBefore);
  const stats = loadStats(r, cpuSeconds(server.pid) - cpuBefore, (load.user + load.system) / 1e6);
  return { stats, warmOk: warm['2xx'] };
}

/** A load run's figures, with the server's CPU seconds over it (and the load tool's, if known). */
export function loadStats(r: autocannon.Result, cpu: number, loadCpu = Number.NaN): LoadStats {
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    mismatches: r.mismatches,
    durationS: r.duration,
    serverCpu: (cpu / r.duration) * 100,
    cpuUsPerRequest: (cpu * 1e6) / r['2xx'],
    loadCpuUsPerRequest: (loadCpu * 1e6) / r['2xx'],
  };
}

export async function createCheck(vigil: RunningVigil): Promise<string> {
  const res = await fetch(`${vigil.url}/api/v1/checks`, {
    method: 'POST',
    headers: { 'X-Api-Key': vigil.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'bench', schedule: { kind: 'interval', period: 3600, grace: 60 } }),
  });
  if (res.status !== 201) throw new Error(`POST /api/v1/checks answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

export async function newestPingNumber(vigil: RunningVigil, checkId: string): Promise<number> {
  const res = await fetch(`${vigil.url}/api/v1/checks/${checkId}/pings?limit=1`, {
    headers: { 'X-Api-Key': vigil.apiKey },
  });
  if (res.status !== 200) throw new Error(`GET .../pings answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { pings: { n: number }[] };
  return body.pings[0]?.n ?? 0;
}

export async function measureRaw(opts: IngestOptions): Promise<LoadStats> {
  const server = await startRawServer();
  try {
    return (await load(server, `${server.url}/ping/00000000-0000-4000-8000-000000000000`, opts)).stats;
  } finally {
    await server.stop();
  }
}

export async function measureDurable(opts: IngestOptions): Promise<LoadStats> {
  const server = await startDurableServer();
  try {
    return (await load(server, `${server.url}/ping/${server.checkId}`, opts)).stats;
  } finally {
    await server.stop();
  }
}

export async function measureVigil(opts: IngestOptions, server: VigilOptions = {}): Promise<VigilStats> {
  const vigil = await startVigil(server);
  try {
    const checkId = await createCheck(vigil);
    const { stats, warmOk } = await load(vigil, `${vigil.url}/ping/${checkId}`, opts);
    const stored = await newestPingNumber(vigil, checkId);
    return { ...stats, okTotal: warmOk + stats.ok, stored };
  } finally {
    await vigil.stop();
  }
}

export async function runIngest(opts: IngestOptions = INGEST_DEFAULTS): Promise<IngestResult> {
  buildVigil();
  const rounds: IngestRound[] = [];
  for (let i = 0; i < opts.rounds; i++) {
    note(`ingest round ${i + 1} of ${opts.rounds}`);
    const raw = await measureRaw(opts);
    await sleep(1000); // let the previous server's sockets and CPU settle
    const durable = await measureDurable(opts);
    await sleep(1000);
    const vigil = await measureVigil(opts);
    await sleep(1000);
    rounds.push({ raw, durable, vigil });
  }
  return { options: opts, rounds };
}

/** What went wrong with a load run's requests, if anything. */
export function failedRequests(label: string, s: LoadStats): string | null {
  if (s.non2xx + s.errors + s.timeouts + s.mismatches === 0) return null;
  return `${label} had ${s.non2xx} non-2xx, ${s.errors} errors, ${s.timeouts} timeouts, ${s.mismatches} wrong bodies`;
}

/** Whether every 200 vigil sent corresponds to a stored ping, and no request failed. */
export function ingestProblems(r: IngestResult): string[] {
  const problems: string[] = [];
  for (const [i, { raw, durable, vigil }] of r.rounds.entries()) {
    if (vigil.stored < vigil.okTotal)
      problems.push(
        `round ${i + 1}: vigil answered ${vigil.okTotal} pings with 200 but stored ${vigil.stored}`,
      );
    for (const [name, s] of [
      ['raw', raw],
      ['durable floor', durable],
      ['vigil', vigil],
    ] as const) {
      const bad = failedRequests(`round ${i + 1}: ${name}`, s);
      if (bad) problems.push(bad);
    }
  }
  return problems;
}

export function ingestMarkdown(r: IngestResult): string {
  const { connections, durationS, warmupS } = r.options;
  const rows: string[][] = [];
  for (const [i, { raw, durable, vigil }] of r.rounds.entries()) {
    const row = (name: string, s: LoadStats, extra: string[]) => [
      String(i + 1),
      name,
      fmt(s.rps),
      fmt(s.p50),
      fmt(s.p99),
      fmt(s.max),
      fmt(s.ok),
      fmt(s.serverCpu),
      fmt(s.cpuUsPerRequest),
      fmt(s.loadCpuUsPerRequest),
      ...extra,
    ];
    const against = (s: LoadStats, base: LoadStats) =>
      `req/s ${ratio(s.rps, base.rps)} · p99 ${ratio(s.p99, base.p99)} · CPU/req ${ratio(s.cpuUsPerRequest, base.cpuUsPerRequest)}`;
    rows.push(row('raw node:http', raw, ['', '', '']));
    rows.push(row('durable floor', durable, ['', against(durable, raw), '']));
    rows.push(
      row('vigil', vigil, [
        `${fmt(vigil.stored)} stored / ${fmt(vigil.okTotal)} 200s ${vigil.stored >= vigil.okTotal ? '✓' : '✗'}`,
        against(vigil, raw),
        against(vigil, durable),
      ]),
    );
  }
  const problems = ingestProblems(r);
  return [
    `### Ping ingest — \`POST /ping/<uuid>\`, ${PING_BODY.length}-byte body, ${connections} connections, ${durationS} s after a ${warmupS} s warm-up`,
    '',
    table(
      [
        'round',
        'server',
        'req/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        '200s',
        'server CPU %',
        'server CPU µs / req',
        'load tool CPU µs / req',
        'durable check',
        '/ raw',
        'vigil / durable floor',
      ],
      rows,
    ),
    '',
    problems.length === 0
      ? 'No errors, timeouts or non-200 answers.'
      : `Problems:\n- ${problems.join('\n- ')}`,
  ].join('\n');
}
