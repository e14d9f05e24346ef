// The check form's kind and probe fields: a probe as the form shows it (text, headers one per
// line, secret values masked as the API masks them), and back into the API's probe shape.
import { maskProbeHeaders } from '../../probes/probe-headers.ts';
import { DEFAULT_PROBE_TIMEOUT } from '../../probes/probe-rules.ts';
import type { Check } from '../../store/store.ts';
import type { FieldErrors, FormValues } from './checks-form-input.ts';

/** API probe field -> form field. */
export const PROBE_FIELDS = {
  method: 'probe_method',
  url: 'probe_url',
  expected_status: 'probe_expected',
  keyword: 'probe_keyword',
  keyword_mode: 'probe_keyword_mode',
  timeout: 'probe_timeout',
  headers: 'probe_headers',
  body: 'probe_body',
} as const satisfies Record<string, keyof FormValues>;

type ProbeFormValues = Pick<FormValues, (typeof PROBE_FIELDS)[keyof typeof PROBE_FIELDS] | 'check_kind'>;

/** A push check's probe fields: what the form offers when "http" is chosen. */
export function blankProbeValues(): ProbeFormValues {
  return {
    check_kind: 'push',
    probe_method: 'GET',
    probe_url: '',
    probe_expected: '200-299',
    probe_keyword: '',
    probe_keyword_mode: 'contains',
    probe_timeout: String(DEFAULT_PROBE_TIMEOUT),
    probe_headers: '',
    probe_body: '',
  };
}

/** The probe fields as the form shows them; secret header values masked, as the API shows them. */
export function probeValues(check: Check): ProbeFormValues {
  const p = check.probe;
  if (p === null) return blankProbeValues();
  return {
    check_kind: 'http',
    probe_method: p.method,
    probe_url: p.url,
    probe_expected: p.expectedStatus.join(', '),
    probe_keyword: p.keyword ?? '',
    probe_keyword_mode: p.keywordMode,
    probe_timeout: String(p.timeout),
    probe_headers: Object.entries(maskProbeHeaders(p.headers))
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n'),
    probe_body: p.body ?? '',
  };
}

/** "Name: value" lines to headers; the problem with them, if any. */
function parseHeaders(text: string): { headers: Record<string, string>; problem?: string } {
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return { headers, problem: `"${line.slice(0, 40)}": write each header as "Name: value"` };
    const name = line.slice(0, colon).trim();
    if (Object.hasOwn(headers, name)) return { headers, problem: `"${name}": list each header once` };
    headers[name] = line.slice(colon + 1).trim();
  }
  return { headers };
}

/** The probe as the API takes it, from the form's probe fields. */
export function probeBody(v: FormValues, errors: FieldErrors) {
  const timeout = v.probe_timeout.trim();
  if (timeout !== '' && !/^\d+$/.test(timeout)) errors.probe_timeout = 'must be a whole number of seconds';
  const { headers, problem } = parseHeaders(v.probe_headers);
  if (problem) errors.probe_headers = problem;
  const expected = v.probe_expected
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    method: v.probe_method,
    url: v.probe_url.trim(),
    expected_status: expected.length > 0 ? expected : undefined,
    keyword: v.probe_keyword === '' ? null : v.probe_keyword,
    keyword_mode: v.probe_keyword_mode,
    timeout: timeout === '' ? undefined : Number(timeout),
    headers,
    body: v.probe_body === '' ? null : v.probe_body,
  };
}
