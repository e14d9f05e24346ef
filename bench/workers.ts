// vigil on Cloudflare Workers, run locally: the bundle `wrangler deploy --dry-run` builds, in
// workerd through Miniflare with a local D1 (SQLite inside workerd, no network between them).
// These are local numbers, not Cloudflare's: there a ping's D1 round trips cross a network.
//
// - Ping ingest: `POST /ping/<uuid>` against the vigil Worker (to one check, and spread over
//   100), a Worker that only answers OK in the same workerd, and a raw node:http server that
//   only answers OK; same load tool and connections, alternating, in one run.
// - Deadline to alert: when the down webhook reaches a loopback receiver after its deadline,
//   with the clock's alarm (the design) and with the per-minute cron trigger alone
//   (VIGIL_CLOCK_ALARMS=false, the trigger fired at each real minute as Cloudflare does).
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { Miniflare } from 'miniflare';
import { startReceiver } from '../test/e2e/receiver.ts';
import { buildWorker, type RunningWorker, runWorker } from '../test/workers/worker-harness.ts';
import { failedRequests, fire, type IngestOptions, type LoadStats, loadStats, PING_BODY } from './ingest.ts';
import { fmt, ratio, sleep, spread, table } from './report.ts';
import { note, startRawServer, UNREACHED_LIMIT } from './servers.ts';

const KEY = 'vgl_bench-workers-key-0123456789abcdef';
const SPREAD_CHECKS = 100;
const LATENCY_CHECKS = 20;
const GRACE_S = 1;

export interface WorkersLatency {
  label: string;
  /** deadline → down webhook received, per check, ms */
  samples: number[];
  p50: number;
  p99: number;
  max: number;
}

export interface WorkersRound {
  rawNode: LoadStats;
  rawWorkerd: LoadStats;
  /** a Worker making the two D1 calls a ping makes, and nothing else */
  d1Only: LoadStats;
  oneCheck: LoadStats;
  spread: LoadStats;
}

export interface WorkersResult {
  options: IngestOptions;
  rounds: WorkersRound[];
  /** 200s answered to pings (warm-ups included) and pings stored, over every vigil run */
  acknowledged: number;
  stored: number;
  latency: WorkersLatency[];
  bundleBytes: number;
}

/** The workerd processes this process started, by pid (Miniflare runs one per instance). */
function workerdPids(): Set<number> {
  const pids = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (name === 'workerd' && ppid === process.pid) pids.add(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function cpuOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

/** Pings spread over several checks, one after another on each connection. */
async function fireSpread(base: string, ids: string[], opts: IngestOptions, seconds: number) {
  return await autocannon({
    url: base,
    connections: opts.connections,
    duration: seconds,
    timeout: 10,
    // (autocannon cannot check bodies with a list of requests: the 2xx count stands for them)
    requests: ids.map((id) => ({
      method: 'POST' as const,
      path: `/ping/${id}`,
      headers: { 'content-type': 'text/plain' },
      body: PING_BODY,
    })),
  });
}

async function measure(
  name: string,
  pids: number[],
  opts: IngestOptions,
  run: (seconds: number) => Promise<autocannon.Result>,
): Promise<{ stats: LoadStats; okTotal: number }> {
  note(`${name}: warm-up ${opts.warmupS} s`);
  const warm = await run(opts.warmupS);
  note(`${name}: measuring ${opts.durationS} s with ${opts.connections} connections`);
  const before = cpuOf(pids);
  const r = await run(opts.durationS);
  return { stats: loadStats(r, cpuOf(pids) - before), okTotal: warm['2xx'] + r['2xx'] };
}

async function startWorker(vars: Record<string, string>): Promise<{ worker: RunningWorker; pids: number[] }> {
  const before = workerdPids();
  const bundle = await bundlePromise;
  const worker = await runWorker(bundle, {
    VIGIL_BOOTSTRAP_KEY: KEY,
    VIGIL_LOG_LEVEL: 'error',
    // on, but out of reach: this measures storing pings (see startVigil)
    VIGIL_RATE_LIMIT_PING: UNREACHED_LIMIT,
    VIGIL_RATE_LIMIT_PING_ADDRESS: UNREACHED_LIMIT,
    VIGIL_RATE_LIMIT_API: UNREACHED_LIMIT,
    ...vars,
  });
  await worker.mf.ready;
  return { worker, pids: [...workerdPids()].filter((p) => !before.has(p)) };
}

let bundlePromise: ReturnType<typeof buildWorker>;

async function api<T>(worker: RunningWorker, method: string, path: string, body?: unknown): Promise<T> {
  const res = await worker.fetch(`/api/v1${path}`, {
    method,
    headers: { 'X-Api-Key': KEY, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function createChecks(
  worker: RunningWorker,
  n: number,
  fields: Record<string, unknown>,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push((await api<{ id: string }>(worker, 'POST', '/checks', { name: `bench ${i}`, ...fields })).id);
  }
  return ids;
}

async function storedPings(worker: RunningWorker): Promise<number> {
  const row = await worker.db
    .prepare('SELECT COALESCE(SUM(ping_seq), 0) AS n FROM checks')
    .all<{ n: number }>();
  return Number(row.results[0]?.n ?? 0);
}

/** Reads the body as the raw node:http server does (an unread body costs workerd the connection). */
const RAW_WORKER =
  'export default { async fetch(req) { await req.arrayBuffer(); return new Response("OK"); } }';

/**
 * The D1 calls a ping to one of 100 checks makes, without vigil: read the check's row, then one
 * batch that inserts the ping, prunes, writes the state with its rev compare and checks the
 * guard. What is left of vigil's CPU per ping after this is vigil's own.
 */
const D1_CALLS_WORKER = `export default { async fetch(req, env) {
  await req.arrayBuffer();
  const DB = env.DB;
  const id = 'c' + Math.floor(Math.random() * 100);
  const [row] = await DB.prepare('SELECT id, name, rev, a, b, c, d, e, f, g FROM checks WHERE id = ?').bind(id).raw();
  const n = Date.now();
  await DB.batch([
    DB.prepare('INSERT INTO pings (check_id, n, at, body) VALUES (?, ?, ?, ?)').bind(id, n, n, 'x'.repeat(41)),
    DB.prepare('DELETE FROM pings WHERE check_id = ? AND n <= ?').bind(id, n - 1000),
    DB.prepare('UPDATE checks SET rev = rev + 1, a = ?, b = ?, c = ? WHERE id = ? AND rev = ?').bind(n, n, n, id, row[2]),
    DB.prepare('INSERT INTO guard (ok) SELECT changes() = 1'),
    DB.prepare('DELETE FROM guard'),
  ]).catch(() => {}); // a lost race is a retry in vigil; here it only costs the same calls
  return new Response('OK');
} }`;

async function setUpD1Calls(mf: Miniflare): Promise<void> {
  const db = await mf.getD1Database('DB');
  await db.batch([
    db.prepare('CREATE TABLE checks (id TEXT PRIMARY KEY, name TEXT, rev INTEGER, a, b, c, d, e, f, g)'),
    db.prepare(
      'CREATE TABLE pings (id INTEGER PRIMARY KEY AUTOINCREMENT, check_id TEXT, n INTEGER, at INTEGER, body TEXT)',
    ),
    db.prepare('CREATE INDEX pings_check_n ON pings (check_id, n)'),
    db.prepare('CREATE TABLE guard (ok INTEGER CHECK (ok = 1))'),
    ...Array.from({ length: 100 }, (_, i) =>
      db.prepare('INSERT INTO checks (id, name, rev) VALUES (?, ?, 0)').bind(`c${i}`, `check ${i}`),
    ),
  ]);
}

/** A small Worker of ours in its own workerd, under the ping load. */
async function measureScript(
  name: string,
  script: string,
  opts: IngestOptions,
  setUp?: (mf: Miniflare) => Promise<void>,
): Promise<LoadStats> {
  const before = workerdPids();
  const mf = new Miniflare({ modules: true, script, compatibilityDate: '2026-04-01', d1Databases: ['DB'] });
  try {
    const url = (await mf.ready).toString().replace(/\/$/, '');
    await setUp?.(mf);
    const pids = [...workerdPids()].filter((p) => !before.has(p));
    return (
      await measure(name, pids, opts, (s) =>
        fire(`${url}/ping/00000000-0000-4000-8000-000000000000`, opts, s),
      )
    ).stats;
  } finally {
    await mf.dispose();
  }
}

async function ingestRound(opts: IngestOptions, totals: { acknowledged: number; stored: number }) {
  const raw = await startRawServer();
  let rawNode: LoadStats;
  try {
    rawNode = (
      await measure('raw node:http', [raw.pid], opts, (s) =>
        fire(`${raw.url}/ping/00000000-0000-4000-8000-000000000000`, opts, s),
      )
    ).stats;
  } finally {
    await raw.stop();
  }
  await sleep(1000);

  const rawWorkerd = await measureScript('raw workerd', RAW_WORKER, opts);
  await sleep(1000);
  const d1Only = await measureScript("workerd, a ping's D1 calls only", D1_CALLS_WORKER, opts, setUpD1Calls);
  await sleep(1000);

  const { worker, pids } = await startWorker({ VIGIL_BASE_URL: 'http://vigil.bench' });
  try {
    const url = (await worker.mf.ready).toString().replace(/\/$/, '');
    const period = { schedule: { kind: 'interval', period: 3600, grace: 60 } };
    const [one] = await createChecks(worker, 1, period);
    const oneCheck = await measure('vigil Worker, one check', pids, opts, (s) =>
      fire(`${url}/ping/${one}`, opts, s),
    );
    await sleep(1000);
    const many = await createChecks(worker, SPREAD_CHECKS, period);
    const spread = await measure(`vigil Worker, ${SPREAD_CHECKS} checks`, pids, opts, (s) =>
      fireSpread(url, many, opts, s),
    );
    totals.acknowledged += oneCheck.okTotal + spread.okTotal;
    totals.stored += await storedPings(worker);
    return { rawNode, rawWorkerd, d1Only, oneCheck: oneCheck.stats, spread: spread.stats };
  } finally {
    await worker.close();
  }
}

/**
 * Checks with a 1 s period and 1 s grace, each pinged once at `pingAt(i)` ms from the start;
 * resolves with each one's delay from its deadline to its down webhook arriving.
 */
async function deadlineToAlert(
  label: string,
  vars: Record<string, string>,
  pingAt: (i: number) => number,
  /** runs beside the whole measurement (the cron trigger), until `done` says stop */
  beside?: (done: () => boolean, worker: RunningWorker) => Promise<void>,
): Promise<WorkersLatency> {
  const receiver = await startReceiver();
  const { worker } = await startWorker({ VIGIL_ALLOW_PRIVATE_URLS: 'true', ...vars });
  try {
    const channel = await api<{ id: string }>(worker, 'POST', '/channels', {
      kind: 'webhook',
      name: 'bench',
      config: { url: `${receiver.url}hook` },
    });
    const ids = await createChecks(worker, LATENCY_CHECKS, {
      schedule: { kind: 'interval', period: 1, grace: GRACE_S },
      channels: [channel.id],
    });
    const deadlines = new Map<string, number>();
    const arrived = new Map<string, number>();
    const waiting = ids.map(async (id) => {
      const d = await receiver.next(
        (x) => x.headers['x-vigil-event'] === 'down' && JSON.parse(x.body).check?.id === id,
        240_000,
      );
      arrived.set(id, d.at);
    });
    let finished = false;
    const running = beside?.(() => finished, worker);
    const start = Date.now();
    note(`${label}: pinging ${LATENCY_CHECKS} checks`);
    for (const [i, id] of ids.entries()) {
      await sleep(Math.max(0, start + pingAt(i) - Date.now()));
      const res = await worker.fetch(`/ping/${id}`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`ping answered ${res.status}`);
      // next_deadline is when it goes late; it goes down (and alerts) a grace later
      const check = await api<{ next_deadline: string }>(worker, 'GET', `/checks/${id}`);
      deadlines.set(id, Date.parse(check.next_deadline) + GRACE_S * 1000);
    }
    note(`${label}: waiting for the down alerts`);
    try {
      await Promise.all(waiting);
    } finally {
      finished = true;
      await running;
    }
    const samples = ids.map((id) => arrived.get(id)! - deadlines.get(id)!);
    return { label, samples, ...spread(samples) };
  } finally {
    await worker.close();
    await receiver.close();
  }
}

/** Fires the cron trigger at each real minute, as Cloudflare does, until `done`. */
async function cronEveryMinute(done: () => boolean, worker: RunningWorker): Promise<void> {
  while (!done()) {
    const now = Date.now();
    const next = Math.ceil((now + 1) / 60_000) * 60_000;
    // in short steps, to stop soon after the last alert
    while (!done() && Date.now() < next) await sleep(Math.min(500, next - Date.now()));
    if (done()) return;
    note('cron trigger');
    await worker.cron();
  }
}

export async function runWorkers(opts: IngestOptions): Promise<WorkersResult> {
  note('building the Worker (wrangler deploy --dry-run)');
  bundlePromise = buildWorker();
  const bundle = await bundlePromise;
  const bundleBytes = readFileSync(`${bundle.dir}/index.js`).length;
  try {
    const totals = { acknowledged: 0, stored: 0 };
    const rounds: WorkersRound[] = [];
    for (let i = 0; i < opts.rounds; i++) {
      note(`workers ingest round ${i + 1} of ${opts.rounds}`);
      rounds.push(await ingestRound(opts, totals));
      await sleep(1000);
    }
    const alarm = await deadlineToAlert('alarm', {}, (i) => i * 150);
    // deadlines spread over a whole minute, as real ones fall anywhere between two triggers
    const cron = await deadlineToAlert(
      'cron trigger alone',
      { VIGIL_CLOCK_ALARMS: 'false' },
      (i) => i * (60_000 / LATENCY_CHECKS),
      cronEveryMinute,
    );
    return { options: opts, rounds, ...totals, latency: [alarm, cron], bundleBytes };
  } finally {
    bundle.remove();
  }
}

export function workersProblems(r: WorkersResult): string[] {
  const problems: string[] = [];
  if (r.stored < r.acknowledged)
    problems.push(`the Worker answered ${r.acknowledged} pings with 200 but stored ${r.stored}`);
  for (const [i, round] of r.rounds.entries()) {
    for (const [name, s] of Object.entries(round)) {
      const bad = failedRequests(`round ${i + 1}: ${name}`, s);
      if (bad) problems.push(bad);
    }
  }
  return problems;
}

export function workersMarkdown(r: WorkersResult): string {
  const { connections, durationS, warmupS } = r.options;
  const rows: string[][] = [];
  for (const [i, round] of r.rounds.entries()) {
    const row = (name: string, s: LoadStats) => [
      String(i + 1),
      name,
      fmt(s.rps),
      `${fmt(s.p50)} / ${fmt(s.p99)}`,
      fmt(s.cpuUsPerRequest),
      ratio(s.rps, round.d1Only.rps),
      ratio(s.rps, round.rawWorkerd.rps),
      ratio(s.rps, round.rawNode.rps),
    ];
    rows.push(row('raw node:http (answers OK)', round.rawNode));
    rows.push(row('raw workerd (answers OK)', round.rawWorkerd));
    rows.push(row("workerd making a ping's two D1 calls only", round.d1Only));
    rows.push(row('vigil Worker, one check', round.oneCheck));
    rows.push(row(`vigil Worker, ${SPREAD_CHECKS} checks`, round.spread));
  }
  const latency = r.latency.map((l) => [
    l.label,
    `${fmt(l.p50)} ms`,
    `${fmt(l.p99)} ms`,
    `${fmt(l.max)} ms`,
    String(l.samples.length),
  ]);
  return [
    '### Workers (local workerd and D1 through Miniflare)',
    '',
    `\`POST /ping/<uuid>\`, ${connections} connections, ${warmupS} s warm-up then ${durationS} s measured. ` +
      `Local numbers: D1 here is SQLite inside the same workerd process; on Cloudflare each of a ping's ` +
      `D1 round trips crosses a network, so expect fewer pings per isolate and more isolates. ` +
      `CPU is workerd's own (µs per answered request). Bundle: ${fmt(r.bundleBytes / 1024)} KiB.`,
    '',
    table(
      [
        'round',
        'server',
        'req/s',
        'p50 / p99 ms',
        'CPU µs/req',
        'vs D1 calls only',
        'vs raw workerd',
        'vs raw node:http',
      ],
      rows,
    ),
    '',
    `Every acknowledged ping stored: ${r.stored >= r.acknowledged ? 'yes' : 'NO'} (${fmt(r.acknowledged)} 200s, ${fmt(r.stored)} stored).`,
    '',
    `Deadline (when the check goes down: last ping + period + grace) → down webhook received, ${LATENCY_CHECKS} ` +
      'checks each (period 1 s, grace 1 s; for the cron trigger alone the deadlines are spread over a minute, ' +
      'and the trigger fires at each real minute as Cloudflare fires it):',
    '',
    table(['clock', 'p50', 'p99', 'max', 'checks'], latency),
  ].join('\n');
}
