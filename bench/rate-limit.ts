// A flood on one project against the pings of another: project A's ping key is flooded from one
// address (autocannon, in a process of its own) while project B's pings, from another address,
// go out at a steady 100 a second on one connection and are timed. Three phases in one run: B
// alone, B during the flood with the ping key limited to the default rate, and B during the
// flood with the ping limits off (every flooded ping stored). B's p50 and p99 are compared with
// B alone.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, ratio, sleep, spread, table } from './report.ts';
import { buildVigil, note, ROOT, type RunningVigil, startVigil } from './servers.ts';

export interface RateLimitBenchOptions {
  /** seconds each phase times B's pings */
  durationS: number;
  /** the flood's connections */
  connections: number;
}

export const RATE_LIMIT_DEFAULTS: RateLimitBenchOptions = { durationS: 5, connections: 50 };

/** B's pace: well under its own limit, so any refusal of B would be the flood's doing. */
const B_EVERY_MS = 10;
/**
 * The default rate (200 a second) with a burst of 200 instead of 2000: the flood is past its
 * burst within the warm-up, so B is timed against the steady state of a flood, mostly 429s.
 */
const FLOOD_LIMIT = '200/200';
/** seconds of flood before B is timed */
const WARM_UP_S = 2;
const FLOOD_FROM = '10.0.0.1';
const B_FROM = '10.0.0.2';

export interface Latency {
  p50: number;
  p99: number;
  max: number;
  pings: number;
  /** B's pings answered with anything but 200 */
  refused: number;
}

export interface Flood {
  rps: number;
  ok: number;
  limited: number;
  /** anything else: errors, timeouts, other statuses */
  other: number;
}

export interface Phase {
  label: string;
  b: Latency;
  flood: Flood | null;
}

export interface RateLimitBenchResult {
  options: RateLimitBenchOptions;
  phases: Phase[];
}

interface Project {
  key: string;
  ping_key: string;
}

/** `vigil projects create NAME` on the database before vigil starts (the CLI is how operators do it). */
function createProject(databaseUrl: string, name: string): Project {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/vigil.js'), 'projects', 'create', name, '--json'], {
    cwd: ROOT,
    env: { ...process.env, VIGIL_DATABASE_URL: databaseUrl },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vigil projects create ${name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Project;
}

/** One GET with `agent`; resolves with the status once the answer has been read. */
function get(url: string, agent: Agent, from: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { 'X-Forwarded-For': from } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** B's pings, one every B_EVERY_MS on one kept-alive connection, for `seconds`. */
async function timePings(url: string, seconds: number): Promise<Latency> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  let refused = 0;
  const end = performance.now() + seconds * 1000;
  let next = performance.now();
  try {
    while (performance.now() < end) {
      const t0 = performance.now();
      if ((await get(url, agent, B_FROM)) !== 200) refused++;
      times.push(performance.now() - t0);
      next += B_EVERY_MS;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
  } finally {
    agent.destroy();
  }
  return {
    ...spread(times),
    pings: times.length,
    refused,
  };
}

/** autocannon's CLI in a child process (so the flood's CPU is not in B's timings), as JSON. */
function flood(url: string, seconds: number, connections: number): Promise<Flood> {
  const args = [
    join(ROOT, 'node_modules/autocannon/autocannon.js'),
    '--json',
    '-c',
    String(connections),
    '-d',
    String(seconds),
    '-H',
    `X-Forwarded-For=${FLOOD_FROM}`,
    url,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}`));
      const r = JSON.parse(out) as {
        requests: { average: number };
        statusCodeStats: Record<string, { count: number }>;
        errors: number;
        timeouts: number;
      };
      const count = (status: string) => r.statusCodeStats[status]?.count ?? 0;
      const all = Object.values(r.statusCodeStats).reduce((n, s) => n + s.count, 0);
      resolve({
        rps: r.requests.average,
        ok: count('200'),
        limited: count('429'),
        other: all - count('200') - count('429') + r.errors + r.timeouts,
      });
    });
  });
}

async function phase(
  label: string,
  vigil: RunningVigil,
  a: Project,
  b: Project,
  opts: RateLimitBenchOptions,
  flooded: boolean,
): Promise<Phase> {
  note(`rate limits: ${label}, ${opts.durationS} s`);
  const bUrl = `${vigil.url}/ping/${b.ping_key}/steady`;
  if (!flooded) return { label, b: await timePings(bUrl, opts.durationS), flood: null };
  // the flood starts first and ends a second after B's timing, so B is timed only while it is on
  const flooding = flood(
    `${vigil.url}/ping/${a.ping_key}/flooded`,
    WARM_UP_S + opts.durationS + 1,
    opts.connections,
  );
  await sleep(WARM_UP_S * 1000);
  const latency = await timePings(bUrl, opts.durationS);
  return { label, b: latency, flood: await flooding };
}

export async function runRateLimit(
  opts: RateLimitBenchOptions = RATE_LIMIT_DEFAULTS,
): Promise<RateLimitBenchResult> {
  buildVigil();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-limits-'));
  const databaseUrl = `sqlite:${join(dir, 'vigil.db')}`;
  try {
    const a = createProject(databaseUrl, 'flooded');
    const b = createProject(databaseUrl, 'steady');
    const start = (env: Record<string, string>) =>
      startVigil({ databaseUrl, bootstraps: false, env: { VIGIL_TRUST_PROXY: '1', ...env } });
    // the address limit empty: unset, so its default applies (startVigil sets limits no load reaches)
    const phases: Phase[] = [];
    let vigil = await start({ VIGIL_RATE_LIMIT_PING: FLOOD_LIMIT, VIGIL_RATE_LIMIT_PING_ADDRESS: '' });
    try {
      for (const [p, from] of [
        [a, FLOOD_FROM],
        [b, B_FROM],
      ] as const) {
        const res = await fetch(
          `${vigil.url}/ping/${p.ping_key}/${p === a ? 'flooded' : 'steady'}?create=1`,
          {
            headers: { 'X-Forwarded-For': from },
          },
        );
        if (res.status !== 201) throw new Error(`creating a check by ping answered ${res.status}`);
      }
      phases.push(await phase('B alone', vigil, a, b, opts, false));
      phases.push(
        await phase(`B during the flood, ping key limited to ${FLOOD_LIMIT}`, vigil, a, b, opts, true),
      );
    } finally {
      await vigil.stop();
    }
    vigil = await start({ VIGIL_RATE_LIMIT_PING: 'off', VIGIL_RATE_LIMIT_PING_ADDRESS: 'off' });
    try {
      phases.push(await phase('B during the flood, ping limits off', vigil, a, b, opts, true));
    } finally {
      await vigil.stop();
    }
    return { options: opts, phases };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function rateLimitProblems(r: RateLimitBenchResult): string[] {
  const problems: string[] = [];
  for (const p of r.phases) {
    if (p.b.refused > 0) problems.push(`${p.label}: ${p.b.refused} of B's ${p.b.pings} pings were refused`);
    if (p.flood && p.flood.other > 0) problems.push(`${p.label}: ${p.flood.other} flood requests failed`);
  }
  const limited = r.phases[1]?.flood;
  if (limited && limited.limited === 0) problems.push('the limited flood got no 429');
  return problems;
}

export function rateLimitMarkdown(r: RateLimitBenchResult): string {
  const alone = r.phases[0]!.b;
  const rows = r.phases.map((p) => [
    p.label,
    fmt(p.b.p50, 2),
    fmt(p.b.p99, 2),
    fmt(p.b.max, 1),
    `${fmt(p.b.pings)} (${fmt(p.b.refused)} refused)`,
    p.flood ? fmt(p.flood.rps) : '',
    p.flood ? `${fmt(p.flood.ok)} / ${fmt(p.flood.limited)}` : '',
    p.flood ? `p50 ${ratio(p.b.p50, alone.p50)} · p99 ${ratio(p.b.p99, alone.p99)}` : '',
  ]);
  const problems = rateLimitProblems(r);
  return [
    `### Rate limits — project B's pings (one every ${B_EVERY_MS} ms) while project A's ping key is flooded (${r.options.connections} connections), ${r.options.durationS} s each`,
    '',
    table(
      [
        'phase',
        'B p50 ms',
        'B p99 ms',
        'B max ms',
        'B pings',
        'flood req/s',
        'flood 200 / 429',
        'B vs alone',
      ],
      rows,
    ),
    '',
    problems.length === 0 ? 'None of B’s pings was refused.' : `Problems:\n- ${problems.join('\n- ')}`,
  ].join('\n');
}
