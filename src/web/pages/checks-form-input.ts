// The check form's fields: read as typed (strings, so a bad value can be shown back as it was),
// turned into the API's body shape and validated by the API's own zod schemas, so the form and
// the API accept exactly the same checks. Errors are keyed by the form field they belong to.
import { z } from 'zod';
import { CheckCreateSchema, CheckUpdateSchema } from '../../http/api/check-schemas.ts';
import { toPatch } from '../../http/api/checks.ts';
import { type CheckPatch, DEFAULT_GRACE } from '../../ingest/check-changes.ts';
import { PROBE_METHODS } from '../../probes/probe-rules.ts';
import type { Channel, Check } from '../../store/store.ts';
import { blankProbeValues, PROBE_FIELDS, probeBody, probeValues } from './checks-form-probe.ts';

export const UNITS = { seconds: 1, minutes: 60, hours: 3600, days: 86_400 } as const;
export type Unit = keyof typeof UNITS;
const UNIT_NAMES = Object.keys(UNITS) as Unit[];

export const KINDS = ['interval', 'cron', 'none'] as const;
export const CHECK_KINDS = ['push', 'http'] as const;

const text = (max: number) =>
  z.preprocess((v) => (typeof v === 'string' ? v : ''), z.string().max(max, `at most ${max} characters`));
const unit = z.preprocess((v) => (UNIT_NAMES.includes(v as Unit) ? v : 'minutes'), z.enum(UNIT_NAMES));

/** The form as typed. Limits here only bound memory; the API schemas hold the real rules. */
export const CheckForm = z.object({
  name: text(1000),
  slug: text(1000),
  description: text(10_000),
  tags: text(2000),
  kind: z.preprocess((v) => (KINDS.includes(v as never) ? v : 'interval'), z.enum(KINDS)),
  period: text(50),
  period_unit: unit,
  grace: text(50),
  grace_unit: unit,
  expression: text(1000),
  timezone: text(200),
  max_runtime: text(50),
  max_runtime_unit: unit,
  failure_threshold: text(50),
  severity: text(50),
  realert_every: text(50),
  realert_unit: unit,
  channels: z.preprocess(
    (v) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x) => typeof x === 'string'),
    z.array(z.string().max(100)).max(200),
  ),
  success_criteria: text(10_000),
  check_kind: z.preprocess((v) => (CHECK_KINDS.includes(v as never) ? v : 'push'), z.enum(CHECK_KINDS)),
  probe_method: z.preprocess((v) => (PROBE_METHODS.includes(v as never) ? v : 'GET'), z.enum(PROBE_METHODS)),
  probe_url: text(5000),
  probe_expected: text(1000),
  probe_keyword: text(5000),
  probe_keyword_mode: z.preprocess(
    (v) => (v === 'not_contains' ? v : 'contains'),
    z.enum(['contains', 'not_contains']),
  ),
  probe_timeout: text(50),
  /** one "Name: value" per line */
  probe_headers: text(20_000),
  probe_body: text(100_000),
});
export type FormValues = z.infer<typeof CheckForm>;
export type FieldErrors = Partial<Record<keyof FormValues, string>>;

export function readForm(raw: Record<string, unknown>): FormValues {
  // every field has a fallback, so only an oversized one can fail: show it empty rather than 500
  const parsed = CheckForm.safeParse(raw);
  return parsed.success ? parsed.data : CheckForm.parse({});
}

/** "300" seconds as the form shows it: 5 minutes. */
function split(seconds: number | null): [string, Unit] {
  if (seconds === null) return ['', 'minutes'];
  for (const u of [...UNIT_NAMES].reverse()) {
    if (seconds >= UNITS[u] && seconds % UNITS[u] === 0) return [String(seconds / UNITS[u]), u];
  }
  return [String(seconds), 'seconds'];
}

export function blankForm(): FormValues {
  return {
    ...CheckForm.parse({}),
    kind: 'interval',
    period: '1',
    period_unit: 'hours',
    grace: split(DEFAULT_GRACE)[0],
    grace_unit: split(DEFAULT_GRACE)[1],
    timezone: 'UTC',
    failure_threshold: '1',
    severity: 'important',
    ...blankProbeValues(),
  };
}

export function valuesOf(check: Check): FormValues {
  const s = check.schedule;
  const [period, period_unit] = split(s.kind === 'interval' ? s.period : 3600);
  const [grace, grace_unit] = split(s.kind === 'none' ? DEFAULT_GRACE : s.grace);
  const [max_runtime, max_runtime_unit] = split(check.maxRuntime);
  const [realert_every, realert_unit] = split(check.realertEvery);
  return {
    name: check.name,
    slug: check.slug,
    description: check.description,
    tags: check.tags.join(', '),
    kind: s.kind,
    period,
    period_unit,
    grace,
    grace_unit,
    expression: s.kind === 'cron' ? s.expression : '',
    timezone: s.kind === 'cron' ? s.timezone : 'UTC',
    max_runtime,
    max_runtime_unit,
    failure_threshold: String(check.failureThreshold),
    severity: check.severity,
    realert_every,
    realert_unit,
    channels: [...check.channels],
    success_criteria: check.successCriteria,
    ...probeValues(check),
  };
}

/** What of a discovered check its source owns, as the form shows it (and does not send). */
export function sourceOwnedValues(check: Check): Partial<FormValues> {
  const v = valuesOf(check);
  const owned = [
    'name',
    'slug',
    'kind',
    'period',
    'period_unit',
    'grace',
    'grace_unit',
    'expression',
    'timezone',
  ] as const;
  return {
    ...Object.fromEntries(owned.map((f) => [f, v[f]])),
    ...probeValues(check),
  };
}

const NUMBER = /^\d+(\.\d+)?$/;

/** Seconds from a number and its unit; null when left empty, NaN when not a number. */
export function toSeconds(value: string, u: Unit): number | null {
  const t = value.trim();
  if (t === '') return null;
  if (!NUMBER.test(t)) return Number.NaN;
  // rounding away float noise (0.1 min); a fraction of a second stays and is refused
  return Math.round(Number(t) * UNITS[u] * 1000) / 1000;
}

function splitTags(tags: string): string[] {
  return [
    ...new Set(
      tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

/** Which form field an API field ("probe.timeout") belongs to. */
export function formFieldOf(apiField: string): keyof FormValues {
  return fieldOf(apiField.split('.'));
}

/** Which form field an API schema issue belongs to. */
function fieldOf(path: PropertyKey[]): keyof FormValues {
  const [head, sub] = path.map(String);
  if (head === 'schedule') {
    if (sub === 'period' || sub === 'grace' || sub === 'expression' || sub === 'timezone') return sub;
    return 'kind';
  }
  if (head === 'probe')
    return sub !== undefined && sub in PROBE_FIELDS
      ? PROBE_FIELDS[sub as keyof typeof PROBE_FIELDS]
      : 'probe_url';
  if (head === 'kind' || head === 'methods') return 'check_kind';
  if (head === 'success_criteria') return head;
  if (head === 'realert_every' || head === 'max_runtime' || head === 'failure_threshold') return head;
  if (head === 'name' || head === 'slug' || head === 'description' || head === 'severity') return head;
  if (head === 'tags' || head === 'channels') return head;
  return 'name';
}

export type FormResult = { ok: true; patch: CheckPatch } | { ok: false; errors: FieldErrors };

/**
 * Validates the form for creating (`create`) or editing a check. Left-empty optional numbers:
 * max runtime and reminders off; grace and failure threshold as they are (default on create).
 */
export function parseCheckForm(v: FormValues, mode: 'create' | 'edit', channels: Channel[]): FormResult {
  const errors: FieldErrors = {};
  const secondsOf = (field: keyof FormValues, u: Unit) => {
    const s = toSeconds(String(v[field]), u);
    if (Number.isNaN(s)) errors[field] ??= 'must be a number, such as 5 or 1.5';
    return s;
  };
  // only the fields of the chosen kind count: the others may hold leftovers
  const period = v.kind === 'interval' ? secondsOf('period', v.period_unit) : null;
  const grace = v.kind === 'none' ? undefined : (secondsOf('grace', v.grace_unit) ?? undefined);
  const threshold = v.failure_threshold.trim();
  if (threshold !== '' && !/^\d+$/.test(threshold)) errors.failure_threshold = 'must be a whole number';
  if (v.kind === 'interval' && period === null) errors.period = 'say how often the job runs';
  if (v.kind === 'cron' && v.expression.trim() === '') errors.expression = 'enter a cron expression';

  const tags = splitTags(v.tags);
  const probe = v.check_kind === 'http' ? probeBody(v, errors) : undefined;
  const body = {
    name: mode === 'create' && v.name.trim() === '' ? undefined : v.name,
    slug: v.slug.trim() === '' ? undefined : v.slug.trim(),
    description: v.description,
    tags,
    schedule:
      v.kind === 'interval'
        ? { kind: 'interval' as const, period: period ?? 0, grace }
        : v.kind === 'cron'
          ? { kind: 'cron' as const, expression: v.expression, timezone: v.timezone.trim() || 'UTC', grace }
          : { kind: 'none' as const },
    max_runtime: secondsOf('max_runtime', v.max_runtime_unit),
    failure_threshold: threshold === '' ? undefined : Number(threshold),
    severity: v.severity || undefined,
    realert_every: secondsOf('realert_every', v.realert_unit),
    channels: v.channels,
    success_criteria: v.success_criteria,
    kind: v.check_kind,
    probe,
  };
  const schema = mode === 'create' ? CheckCreateSchema : CheckUpdateSchema;
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = fieldOf(issue.path);
      const tag = field === 'tags' && typeof issue.path[1] === 'number' ? tags[issue.path[1]] : undefined;
      errors[field] ??= tag === undefined ? issue.message : `"${tag}": ${issue.message}`;
    }
  }
  const known = new Set(channels.map((ch) => ch.id));
  if (v.channels.some((id) => !known.has(id))) errors.channels ??= 'a chosen channel no longer exists';
  if (new Set(v.channels).size !== v.channels.length) errors.channels ??= 'list each channel once';
  if (Object.keys(errors).length > 0 || !parsed.success) return { ok: false, errors };

  // the same mapping as the API's; fields the form does not show stay undefined (unchanged)
  return { ok: true, patch: toPatch(parsed.data) };
}
