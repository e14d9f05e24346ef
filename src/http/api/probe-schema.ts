// The probe of an http check as the API takes and shows it. Rules that involve other fields of
// the check (interval schedule, timeout shorter than the period) are in probes/probe-rules.ts.
import { z } from '@hono/zod-openapi';
import { urlProblem } from '../../notifiers/http.ts';
import { MASK } from '../../notifiers/secret-mask.ts';
import { HEADER_NAME, HEADER_VALUE } from '../../notifiers/webhook.ts';
import { RESERVED_PROBE_HEADERS } from '../../probes/probe-headers.ts';
import {
  DEFAULT_PROBE_TIMEOUT,
  MAX_KEYWORD,
  MAX_PROBE_BODY_BYTES,
  MAX_PROBE_HEADER_BYTES,
  MAX_PROBE_HEADERS,
  MAX_PROBE_TIMEOUT,
  MAX_PROBE_URL,
  PROBE_METHODS,
} from '../../probes/probe-rules.ts';
import { statusRangeProblem } from '../../probes/verdict.ts';
import type { Probe } from '../../store/store.ts';

const bytes = (s: string) => new TextEncoder().encode(s).length;

const ProbeUrl = z
  .string()
  .max(MAX_PROBE_URL, `must be at most ${MAX_PROBE_URL} characters`)
  .superRefine((url, ctx) => {
    const problem = urlProblem(url);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `URL ${problem}` });
  })
  .openapi({ example: 'https://example.com/health' });

const StatusRange = z.string().superRefine((entry, ctx) => {
  const problem = statusRangeProblem(entry);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const HeaderName = z
  .string()
  .max(200)
  .regex(HEADER_NAME, 'must be a valid HTTP header name')
  .refine(
    (name) => !RESERVED_PROBE_HEADERS.has(name.toLowerCase()),
    'is set by the connection, not by a probe',
  );

// A masked value (as read back) passes here; the stored value replaces it before it is used.
const HeaderValue = z
  .string()
  .max(MAX_PROBE_HEADER_BYTES)
  .refine(
    (v) => HEADER_VALUE.test(v.startsWith(MASK) ? v.slice(MASK.length) : v),
    'must be printable text on one line',
  );

const Headers = z.record(HeaderName, HeaderValue).superRefine((headers, ctx) => {
  const names = Object.keys(headers);
  if (names.length > MAX_PROBE_HEADERS)
    ctx.addIssue({ code: 'custom', message: `at most ${MAX_PROBE_HEADERS} headers` });
  const lower = names.map((n) => n.toLowerCase());
  if (new Set(lower).size !== lower.length)
    ctx.addIssue({ code: 'custom', message: 'header names must differ by more than case' });
  const size = Object.entries(headers).reduce((sum, [k, v]) => sum + bytes(k) + bytes(v), 0);
  if (size > MAX_PROBE_HEADER_BYTES)
    ctx.addIssue({ code: 'custom', message: `at most ${MAX_PROBE_HEADER_BYTES} bytes of names and values` });
});

export const ProbeInputSchema = z
  .strictObject({
    method: z.enum(PROBE_METHODS).default('GET'),
    url: ProbeUrl,
    expected_status: z
      .array(StatusRange)
      .min(1, 'name at least one status, e.g. "200-299"')
      .max(20, 'at most 20 entries')
      .default(['200-299'])
      .openapi({ description: 'status codes that count as success: "200", or ranges like "200-299"' }),
    keyword: z
      .string()
      .min(1, 'must not be empty; leave it out (or null) to not look at the body')
      .max(MAX_KEYWORD)
      .nullable()
      .default(null)
      .openapi({ description: 'text the response body must contain (or must not, with keyword_mode)' }),
    keyword_mode: z.enum(['contains', 'not_contains']).default('contains'),
    timeout: z
      .number()
      .int('must be a whole number of seconds')
      .min(1, 'must be at least 1 s')
      .max(MAX_PROBE_TIMEOUT, `must be at most ${MAX_PROBE_TIMEOUT} s`)
      .default(DEFAULT_PROBE_TIMEOUT)
      .openapi({ description: 'seconds; shorter than the schedule’s period' }),
    headers: Headers.default({}).openapi({
      description:
        'request headers; values of secret-looking ones (Authorization, tokens, keys, cookies) are write-only',
    }),
    body: z
      .string()
      .refine((b) => bytes(b) <= MAX_PROBE_BODY_BYTES, `must be at most ${MAX_PROBE_BODY_BYTES} bytes`)
      .nullable()
      .default(null)
      .openapi({ description: 'request body, for POST, PUT, PATCH, DELETE or OPTIONS' }),
  })
  .superRefine((p, ctx) => {
    if (p.body !== null && (p.method === 'GET' || p.method === 'HEAD')) {
      ctx.addIssue({
        code: 'custom',
        path: ['body'],
        message: `a ${p.method} request has no body; use POST, PUT or PATCH`,
      });
    }
    if (p.keyword !== null && p.method === 'HEAD') {
      ctx.addIssue({
        code: 'custom',
        path: ['keyword'],
        message: 'the answer to a HEAD request has no body to look in; use GET',
      });
    }
  })
  .openapi('ProbeInput');

export const ProbeSchema = z
  .object({
    method: z.enum(PROBE_METHODS),
    url: z.string(),
    expected_status: z.array(z.string()),
    keyword: z.string().nullable(),
    keyword_mode: z.enum(['contains', 'not_contains']),
    timeout: z.number(),
    headers: z.record(z.string(), z.string()).openapi({ description: 'secret-looking values are masked' }),
    body: z.string().nullable(),
  })
  .openapi('Probe');

export function toProbe(p: z.output<typeof ProbeInputSchema>): Probe {
  return {
    method: p.method,
    url: p.url,
    expectedStatus: p.expected_status,
    keyword: p.keyword,
    keywordMode: p.keyword_mode,
    timeout: p.timeout,
    headers: p.headers,
    body: p.body,
  };
}
