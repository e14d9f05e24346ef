// Soak: a real vigil process (dist/) under steady pings plus churn for ten minutes — checks
// created and deleted, checks failing and recovering (alerts and recoveries to a loopback
// webhook) — sampled every ten seconds: resident memory, open file descriptors (sockets,
// files: the handles a leak would grow), and event-loop delay read from /metrics. Flat series
// are the result; a leak shows as a slope.
import { readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { fmt, sleep, table } from './report.ts';
import { rssMb } from './scale.ts';
import { buildVigil, note, type RunningVigil, startVigil } from './servers.ts';

export interface SoakOptions {
  durationS: number;
  sampleEveryS: number;
  /** checks pinged steadily */
  checks: number;
  /** steady pings per second, all checks together */
  rate: number;
}

export const SOAK_DEFAULTS: SoakOptions = {
  durationS: Number(process.env.VIGIL_SOAK_SECONDS ?? 600),
  sampleEveryS: 10,
  checks: 200,
  rate: 2000,
};

export interface SoakSample {
  atS: number;
  rssMb: number;
  fds: number;
  /** handles and requests keeping the event loop alive (sockets, timers, files), from /metrics */
  handles: number;
  /** event-loop delay since the previous sample, from /metrics */
  loopP99Ms: number;
  loopMaxMs: number;
  pings: number;
  churn: number;
}

export interface SoakResult {
  options: SoakOptions;
  samples: SoakSample[];
  pingRps: number;
  pingP99: number;
  pingFailed: number;
  churnCycles: number;
  churnFailed: number;
  alertsReceived: number;
}

const METRICS_KEY = 'soak-metrics-key';

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** A metric's value from Prometheus text: the first sample of `name` whose labels include `labels`. */
function metric(text: string, name: string, labels = ''): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      if (labels && !line.includes(labels)) continue;
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return Number.NaN;
}

async function api(vigil: RunningVigil, method: string, path: string, body?: unknown) {
  const res = await fetch(`${vigil.url}/api/v1${path}`, {
    method,
    headers: { 'X-Api-Key': vigil.apiKey, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function runSoak(opts: SoakOptions = SOAK_DEFAULTS): Promise<SoakResult> {
  buildVigil();
  let alertsReceived = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      alertsReceived++;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const vigil = await startVigil({
    env: { VIGIL_METRICS_KEY: METRICS_KEY, VIGIL_ALLOW_PRIVATE_URLS: 'true', VIGIL_RATE_LIMIT_PING: 'off' },
  });
  try {
    await api(vigil, 'POST', '/channels', {
      kind: 'webhook',
      name: 'soak receiver',
      config: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/` },
    });
    const steady: string[] = [];
    for (let i = 0; i < opts.checks; i++) {
      const check = await api(vigil, 'POST', '/checks', {
        name: `steady ${i}`,
        schedule: { kind: 'interval', period: 3600, grace: 60 },
      });
      steady.push(String(check.id));
    }

    let stop = false;
    let churnCycles = 0;
    let churnFailed = 0;
    // Churn: a new check each round, failed (down: an alert) and recovered (up: another), and
    // the one made ten rounds earlier deleted with its history.
    const churn = (async () => {
      const made: string[] = [];
      for (let i = 0; !stop; i++) {
        try {
          const check = await api(vigil, 'POST', '/checks', {
            name: `churn ${i}`,
            schedule: { kind: 'interval', period: 3600, grace: 60 },
          });
          made.push(String(check.id));
          for (const suffix of ['', '/fail', '']) {
            const r = await fetch(`${vigil.url}/ping/${check.id}${suffix}`, {
              method: 'POST',
              body: 'x',
            });
            if (r.status !== 200) throw new Error(`ping answered ${r.status}`);
          }
          if (made.length > 10) await api(vigil, 'DELETE', `/checks/${made.shift()}`);
          churnCycles++;
        } catch (err) {
          churnFailed++;
          if (churnFailed <= 3) note(`soak: churn failed: ${(err as Error).message}`);
        }
        await sleep(200);
      }
    })();

    const samples: SoakSample[] = [];
    let lastPings = 0;
    let lastChurn = 0;
    const metricsText = async () =>
      (await fetch(`${vigil.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_KEY}` } })).text();
    const sampler = (async () => {
      const t0 = Date.now();
      while (!stop) {
        await sleep(opts.sampleEveryS * 1000);
        if (stop) break;
        const text = await metricsText();
        const pings = sumOf(text, 'vigil_pings_total');
        samples.push({
          atS: Math.round((Date.now() - t0) / 1000),
          rssMb: rssMb(vigil.pid),
          fds: openFds(vigil.pid),
          handles: metric(text, 'nodejs_active_resources'),
          loopP99Ms: metric(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
          loopMaxMs: metric(text, 'nodejs_eventloop_lag_max_seconds') * 1000,
          pings: pings - lastPings,
          churn: churnCycles - lastChurn,
        });
        lastPings = pings;
        lastChurn = churnCycles;
      }
    })();

    note(`soak: ${opts.durationS} s of ${opts.rate} pings/s over ${opts.checks} checks, plus churn`);
    const r = await autocannon({
      url: vigil.url,
      connections: 20,
      duration: opts.durationS,
      overallRate: opts.rate,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => ({
            ...req,
            path: `/ping/${steady[Math.floor(Math.random() * steady.length)]}`,
            body: 'ok',
          }),
        },
      ],
    });
    stop = true;
    await Promise.all([churn, sampler]);
    return {
      options: opts,
      samples,
      pingRps: r.requests.average,
      pingP99: r.latency.p99,
      pingFailed: r.non2xx + r.errors + r.timeouts,
      churnCycles,
      churnFailed,
      alertsReceived,
    };
  } finally {
    await vigil.stop();
    receiver.close();
  }
}

/** The sum of every sample of a counter family. */
function sumOf(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export function soakProblems(r: SoakResult): string[] {
  const problems: string[] = [];
  if (r.pingFailed > 0) problems.push(`soak: ${r.pingFailed} steady pings failed`);
  if (r.churnFailed > 0) problems.push(`soak: ${r.churnFailed} churn rounds failed`);
  return problems;
}

/** First and last minute's averages: the slope a leak would show. */
function drift(samples: SoakSample[], pick: (s: SoakSample) => number): string {
  const step = samples.length > 1 ? samples[1]!.atS - samples[0]!.atS : 60;
  const perMinute = Math.max(1, Math.round(60 / step));
  const avg = (xs: SoakSample[]) => xs.reduce((a, s) => a + pick(s), 0) / xs.length;
  const first = samples.slice(0, perMinute);
  const last = samples.slice(-perMinute);
  if (first.length === 0) return '';
  return `${fmt(avg(first), 1)} → ${fmt(avg(last), 1)}`;
}

export function soakMarkdown(r: SoakResult): string {
  const { durationS, rate, checks, sampleEveryS } = r.options;
  return [
    `### Soak: ${fmt(durationS / 60, 1)} minutes, ${fmt(rate)} pings/s over ${fmt(checks)} checks plus churn`,
    '',
    `Steady pings: ${fmt(r.pingRps)} req/s, p99 ${fmt(r.pingP99)} ms, ${r.pingFailed} failed. ` +
      `Churn: ${fmt(r.churnCycles)} rounds (create, fail, recover, delete the one ten rounds back), ` +
      `${r.churnFailed} failed; ${fmt(r.alertsReceived)} webhooks received.`,
    '',
    `First minute → last minute: RSS ${drift(r.samples, (s) => s.rssMb)} MB, open fds ${drift(r.samples, (s) => s.fds)}, ` +
      `active handles ${drift(r.samples, (s) => s.handles)}, ` +
      `event-loop delay p99 ${drift(r.samples, (s) => s.loopP99Ms)} ms.`,
    '',
    `Every ${sampleEveryS} s:`,
    '',
    table(
      [
        't (s)',
        'RSS (MB)',
        'open fds',
        'active handles',
        'loop delay p99 (ms)',
        'loop delay max (ms)',
        'pings',
        'churn rounds',
      ],
      r.samples.map((s) => [
        String(s.atS),
        fmt(s.rssMb, 1),
        String(s.fds),
        String(s.handles),
        fmt(s.loopP99Ms, 1),
        fmt(s.loopMaxMs, 1),
        fmt(s.pings),
        String(s.churn),
      ]),
    ),
  ].join('\n');
}
