// The check resource's schemas: they validate requests and generate the OpenAPI document.
import { z } from '@hono/zod-openapi';
import { validateCron } from '../../core/schedule.ts';
import { SLUG_PATTERN } from '../../core/slug.ts';
import { EVENT_KINDS, SEVERITIES, STATUSES } from '../../core/types.ts';
import { DEFAULT_GRACE } from '../../ingest/check-changes.ts';
import { MIN_PROBE_PERIOD } from '../../probes/probe-rules.ts';
import { ProbeInputSchema, ProbeSchema } from './probe-schema.ts';

const YEAR = 31_536_000;
const seconds = (min: number) =>
  z
    .number()
    .int('must be a whole number of seconds')
    .min(min, `must be at least ${min} s`)
    .max(YEAR, 'must be at most 1 year (31536000 s)');

const GRACE = `extra time before down, seconds; default ${DEFAULT_GRACE} for a new check, unchanged on edit`;

export const ScheduleSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('interval'),
      period: seconds(1).openapi({ description: 'expected time between pings, seconds', example: 300 }),
      grace: seconds(0).optional().openapi({ description: GRACE }),
    }),
    z
      .strictObject({
        kind: z.literal('cron'),
        expression: z.string().trim().min(1).max(200).openapi({ example: '0 2 * * *' }),
        timezone: z.string().trim().min(1).max(64).default('UTC').openapi({ example: 'Europe/Berlin' }),
        grace: seconds(0).optional().openapi({ description: GRACE }),
      })
      .superRefine((v, ctx) => {
        const problem = validateCron(v.expression, v.timezone);
        if (problem) {
          const path = /timezone/i.test(problem) ? ['timezone'] : ['expression'];
          ctx.addIssue({ code: 'custom', path, message: problem });
        }
      }),
    z.strictObject({ kind: z.literal('none') }),
  ])
  .openapi('Schedule');

export const Slug = z
  .string()
  .regex(
    SLUG_PATTERN,
    'use 1-100 lowercase letters, digits, "-", "_", "." or "/", starting with a letter or digit',
  )
  .refine(
    (s) => !/\/(start|fail|log|\d+)$/.test(s),
    'a slug with "/" must not end in /start, /fail, /log or /<number> (ping URLs would be ambiguous)',
  );

export const Tag = z.string().regex(/^[A-Za-z0-9_.:/-]{1,50}$/, 'tags are 1-50 letters, digits or _ . : / -');

const fields = {
  name: z.string().trim().min(1, 'must not be empty').max(200),
  slug: Slug,
  description: z.string().max(2000),
  tags: z.array(Tag).max(20, 'at most 20 tags'),
  schedule: ScheduleSchema,
  max_runtime: seconds(1).nullable().openapi({ description: 'a started run must end within this, seconds' }),
  failure_threshold: z.number().int().min(1).max(100),
  severity: z.enum(SEVERITIES),
  manual_resume: z.boolean(),
  methods: z.enum(['any', 'post']).openapi({ description: '"post" ignores GET/HEAD pings (link previews)' }),
  channels: z.array(z.string().max(64)).max(50, 'at most 50 channels').openapi({
    description: 'channel ids that get this check’s alerts whatever their severity and tag limits',
  }),
  realert_every: z
    .number()
    .int('must be a whole number of seconds')
    .min(60, 'must be at least 60 s')
    .max(YEAR, 'must be at most 1 year (31536000 s)')
    .nullable()
    .openapi({
      description:
        'remind every this many seconds while the check stays down (never more often than the project’s silence period); null: no reminders',
    }),
  kind: z.enum(['push', 'http']).openapi({
    description: `push: the job pings vigil; http: vigil requests probe.url every schedule period (an interval of at least ${MIN_PROBE_PERIOD} s) and records each result as a ping. A probe given without a kind means http; "push" removes the probe.`,
  }),
  probe: ProbeInputSchema.openapi({
    description: 'the request an http check makes (to remove it, set kind to "push")',
  }),
  success_criteria: z
    .string()
    .max(2000)
    .openapi({ description: 'what a good run looks like, in the team’s words; shown with the check' }),
};

export const CheckUpdateSchema = z.strictObject(fields).partial().openapi('CheckUpdate');

/** Every field optional; `CheckCreateSchema` adds "a name or a slug". */
export const CheckFieldsSchema = CheckUpdateSchema.extend({
  unique: z
    .array(z.enum(['slug', 'name']))
    .max(2)
    .optional()
    .openapi({ description: 'update the check with the same slug (or name) instead of creating another' }),
});

export const CheckCreateSchema = CheckFieldsSchema.refine(
  (v) => v.name !== undefined || v.slug !== undefined,
  { message: 'give a name or a slug', path: ['name'] },
).openapi('CheckCreate');

/** What a source says about a job it discovered, as it last read it. */
export const SourceDetailsSchema = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .openapi({
    description: 'what the source says about the job (pg_cron: jobid, schedule, command, database, username)',
  });

export const CheckSchema = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    slug: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    schedule: ScheduleSchema,
    schedule_text: z.string().openapi({ example: 'every 5 minutes' }),
    max_runtime: z.number().nullable(),
    failure_threshold: z.number(),
    severity: z.enum(SEVERITIES),
    manual_resume: z.boolean(),
    methods: z.enum(['any', 'post']),
    channels: z.array(z.string()),
    realert_every: z.number().nullable(),
    kind: z.enum(['push', 'http']),
    probe: z.union([ProbeSchema, z.null()]),
    success_criteria: z.string(),
    source: z
      .object({
        id: z.string(),
        key: z.string(),
        details: SourceDetailsSchema,
      })
      .nullable()
      .openapi({
        description: 'the source that discovered the check (and owns its name, slug and schedule)',
      }),
    archived_at: z.string().nullable().openapi({
      description: 'when its job left its source; archived checks are listed only with ?archived=true',
    }),
    status: z.enum(STATUSES),
    running: z.boolean(),
    failure_count: z.number(),
    last_ping_at: z.string().nullable(),
    next_deadline: z.string().nullable(),
    status_changed_at: z.string(),
    ping_url: z.string(),
    ping_urls: z.object({
      success: z.string(),
      start: z.string(),
      fail: z.string(),
      log: z.string(),
      exit_status: z.string(),
      by_slug: z.string(),
    }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Check');

export const CheckListQuery = z.object({
  tag: Tag.optional(),
  status: z.enum(STATUSES).optional(),
  slug: z.string().max(100).optional(),
  archived: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'true: only archived checks (left out otherwise)' }),
  source: z.string().max(64).optional().openapi({ description: 'only the checks this source discovered' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(500).optional().openapi({ description: 'next_cursor from the previous page' }),
});

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .openapi({ description: 'next_before from the previous page' }),
});

export const PingSchema = z
  .object({
    n: z.number(),
    at: z.string().openapi({ description: 'when vigil received it: the time deadlines follow' }),
    client_at: z.string().nullable().openapi({
      description:
        'when the client says it sent it, by its own clock (?ts=, X-Vigil-Client-Time, …); null if it did not say',
    }),
    skew_ms: z.number().nullable().openapi({
      description:
        'client_at − at: how far ahead (+) or behind (−) the client’s clock is, less the time in transit',
    }),
    kind: z.enum(['success', 'start', 'fail', 'log', 'exit', 'warn']).openapi({
      description: 'warn: alive but not well (sent only by the compat APIs, e.g. a degraded daemon)',
    }),
    exit_status: z.number().nullable(),
    method: z.string(),
    source: z.string().nullable(),
    user_agent: z.string().nullable(),
    rid: z.string().nullable(),
    duration_ms: z.number().nullable(),
    body: z.string().nullable(),
    truncated: z.boolean(),
  })
  .openapi('Ping');

export const FlipSchema = z
  .object({
    id: z.number(),
    at: z.string(),
    from: z.enum(STATUSES),
    to: z.enum(STATUSES),
    reason: z.string(),
    event: z
      .enum(EVENT_KINDS)
      .nullable()
      .openapi({ description: 'what the flip means for alerts; null: no news' }),
    alert: z
      .enum(['queued', 'held', 'grace', 'released', 'dropped', 'suppressed'])
      .nullable()
      .openapi({ description: 'what became of its alert' }),
    alert_note: z.string().nullable().openapi({ description: 'why it was held, dropped or suppressed' }),
    release_at: z
      .string()
      .nullable()
      .openapi({ description: 'for a held alert: when it is looked at again' }),
  })
  .openapi('Flip');

export const IdParam = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, description: 'the check UUID' }),
});

export const SlugParam = z.object({
  slug: z.string().openapi({ param: { name: 'slug', in: 'path' } }),
});
