// One probe: the request through the one outbound client (private-address refusal, timeout,
// size limit), redirects not followed (a 301 is the answer, judged by the expected status), and
// the verdict with the line its ping will carry.
import { createHttpClient, type HostResolver, HttpError } from '../notifiers/http.ts';
import type { Probe } from '../store/store.ts';
import { PROBE_RESPONSE_LIMIT } from './probe-rules.ts';
import { describeResult, judge, type ProbeAnswer, type ProbeFailure, type Verdict } from './verdict.ts';

export const PROBE_USER_AGENT = 'vigil-probe';

export interface ProbeOutbound {
  /** VIGIL_ALLOW_PRIVATE_URLS: probes may reach loopback and private addresses */
  allowPrivateAddresses: boolean;
  /** ends the request early (shutdown) */
  signal?: AbortSignal;
  /** for the private-address check (default: the system resolver; see HttpClientOptions) */
  resolveHost?: HostResolver;
}

export interface ProbeResult {
  ok: boolean;
  /** the answer's status; null when there was none */
  status: number | null;
  /** from sending the request to reading the (capped) answer */
  latencyMs: number;
  /** what went wrong, in words; null on success */
  reason: string | null;
  /** the ping body: method, URL, status, latency and the reason */
  summary: string;
}

export async function runProbe(probe: Probe, outbound: ProbeOutbound): Promise<ProbeResult> {
  const http = createHttpClient({
    timeoutMs: probe.timeout * 1000,
    maxResponseBytes: PROBE_RESPONSE_LIMIT,
    followRedirects: false,
    allowPrivateAddresses: outbound.allowPrivateAddresses,
    userAgent: PROBE_USER_AGENT,
    resolveHost: outbound.resolveHost,
  });
  // a monotonic clock: latency is real time even when the scheduler's clock is a test's
  const started = performance.now();
  let answer: ProbeAnswer;
  try {
    const res = await http.request(probe.url, {
      method: probe.method,
      headers: probe.headers,
      body: probe.body ?? undefined,
      signal: outbound.signal,
    });
    answer = {
      status: res.status,
      text: res.text,
      truncated: res.truncated,
      location: res.headers.get('location'),
    };
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    answer = failed(err, probe);
  }
  const latencyMs = Math.round(performance.now() - started);
  const verdict: Verdict = judge(probe, answer, PROBE_RESPONSE_LIMIT);
  return {
    ok: verdict.ok,
    status: 'status' in answer ? answer.status : null,
    latencyMs,
    reason: verdict.reason,
    summary: describeResult(probe, answer, latencyMs, verdict),
  };
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'ENODATA']);

function failed(err: HttpError, probe: Probe): ProbeAnswer & { failure: ProbeFailure } {
  const host = hostOf(probe.url);
  switch (err.kind) {
    case 'timeout':
      return { failure: 'timeout', detail: `no answer within ${probe.timeout} s` };
    case 'refused-address':
      return { failure: 'private address refused', detail: err.message };
    case 'bad-url':
      return { failure: 'bad url', detail: err.message };
    case 'network': {
      const code = causeCode(err);
      if (code === 'ECONNREFUSED') return { failure: 'refused', detail: `connection refused by ${host}` };
      if (code !== undefined && DNS_CODES.has(code))
        return { failure: 'dns', detail: `could not resolve ${new URL(probe.url).hostname} (${code})` };
      return { failure: 'network', detail: err.message };
    }
  }
}

/** The system error's code (ECONNREFUSED, ENOTFOUND, ...) somewhere down the cause chain. */
function causeCode(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
