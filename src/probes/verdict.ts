// Whether a probe's answer is a success, and the line that says so in its ping. Pure: the
// request itself is made by run-probe.ts.
import type { Probe } from '../store/store.ts';

/** "200" or "200-299": one code or an inclusive range, 100-599. */
export const STATUS_RANGE = /^([1-5]\d\d)(?:-([1-5]\d\d))?$/;

/** Why an expected-status entry is unusable, or undefined when it is fine. */
export function statusRangeProblem(entry: string): string | undefined {
  const m = STATUS_RANGE.exec(entry);
  if (!m) return 'use a status code from 100 to 599, or a range like "200-299"';
  if (m[2] !== undefined && Number(m[2]) < Number(m[1]))
    return 'a range goes from low to high, like "200-299"';
  return undefined;
}

export function statusExpected(expected: readonly string[], status: number): boolean {
  return expected.some((entry) => {
    const m = STATUS_RANGE.exec(entry);
    if (!m) return false;
    return status >= Number(m[1]) && status <= Number(m[2] ?? m[1]);
  });
}

/** What came back: an answer, or why there was none. */
export type ProbeAnswer =
  | { status: number; text: string; truncated: boolean; location: string | null }
  | { failure: ProbeFailure; detail: string };

export type ProbeFailure = 'timeout' | 'refused' | 'dns' | 'private address refused' | 'network' | 'bad url';

export interface Verdict {
  ok: boolean;
  /** what went wrong, in words; null on success */
  reason: string | null;
}

/** Judges an answer by the probe's expected status and keyword. */
export function judge(probe: Probe, answer: ProbeAnswer, limitBytes: number): Verdict {
  if ('failure' in answer) return { ok: false, reason: answer.detail };
  if (!statusExpected(probe.expectedStatus, answer.status)) {
    const where = answer.location === null ? '' : ` (redirect to ${withoutQuery(answer.location)})`;
    return {
      ok: false,
      reason: `status ${answer.status} is not one of ${probe.expectedStatus.join(', ')}${where}`,
    };
  }
  if (probe.keyword === null) return { ok: true, reason: null };
  const found = answer.text.includes(probe.keyword);
  const limit = `${Math.round(limitBytes / 1024)} KiB`;
  if (probe.keywordMode === 'contains') {
    if (found) return { ok: true, reason: null };
    // the keyword may be past the part that was read: say so rather than call it missing
    if (answer.truncated) return { ok: false, reason: `too large: keyword not in the first ${limit}` };
    return { ok: false, reason: `keyword ${quote(probe.keyword)} missing` };
  }
  if (found) return { ok: false, reason: `keyword ${quote(probe.keyword)} present` };
  if (answer.truncated) {
    return { ok: false, reason: `too large: cannot tell the keyword is absent past the first ${limit}` };
  }
  return { ok: true, reason: null };
}

/**
 * The ping body: `GET https://example.com/health → 200 in 84 ms`, plus the reason it failed.
 * The query string is left out: it may carry a token, and ping bodies go out in alerts.
 */
export function describeResult(
  probe: Probe,
  answer: ProbeAnswer,
  latencyMs: number,
  verdict: Verdict,
): string {
  const outcome = 'failure' in answer ? answer.failure : String(answer.status);
  const line = `${probe.method} ${withoutQuery(probe.url)} → ${outcome} in ${latencyMs} ms`;
  return verdict.reason === null ? line : `${line}: ${verdict.reason}`;
}

function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : `${url.slice(0, cut)}?…`;
}

function quote(keyword: string): string {
  const short = keyword.length > 60 ? `${keyword.slice(0, 60)}…` : keyword;
  return JSON.stringify(short);
}
