// The source resource's schemas (they validate requests and generate the OpenAPI document) and
// how a source, a sync and a summary read in answers: secrets masked, errors redacted.
import { z } from '@hono/zod-openapi';
import { SEVERITIES } from '../../core/types.ts';
import type { SyncReport } from '../../sources/adapter.ts';
import { maskSourceConfig, redactSecrets, SOURCE_KINDS } from '../../sources/registry.ts';
import {
  MAX_SYNC_INTERVAL,
  SOURCE_DEFAULTS,
  SOURCE_NAME_PATTERN,
  SOURCE_NAME_RULE,
} from '../../sources/source-changes.ts';
import type { SourceSummary } from '../../sources/source-summary.ts';
import type { Source, SourceKind } from '../../store/store.ts';
import { SourceDetailsSchema, Tag } from './check-schemas.ts';
import { iso, isoOrNull } from './check-view.ts';

const SourceName = z.string().regex(SOURCE_NAME_PATTERN, SOURCE_NAME_RULE);
const ConfigObject = z.record(z.string().max(100), z.unknown()).openapi({
  description: 'connection settings of the kind (see docs/sources.md); secrets are masked on read',
});

const settings = {
  severity: z
    .enum(SEVERITIES)
    .openapi({ description: `given to the checks it discovers; default ${SOURCE_DEFAULTS.severity}` }),
  tags: z.array(Tag).max(20, 'at most 20 tags').openapi({ description: 'given to the checks it discovers' }),
  sync_interval: z
    .number()
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1 s')
    .max(MAX_SYNC_INTERVAL, `must be at most ${MAX_SYNC_INTERVAL} s (1 day)`)
    .openapi({ description: `seconds between reads; default ${SOURCE_DEFAULTS.syncInterval}` }),
  grace: z
    .number()
    .int('must be a whole number of seconds')
    .min(0)
    .max(31_536_000)
    .openapi({
      description: `grace of the discovered checks' schedules, seconds; at least sync_interval; default ${SOURCE_DEFAULTS.grace}`,
    }),
};

export const SourceCreate = z
  .strictObject({
    name: SourceName,
    kind: z
      .string()
      .max(50)
      .openapi({ example: 'pg_cron', description: `one of: ${SOURCE_KINDS.join(', ')}` }),
    config: ConfigObject,
    ...settings,
  })
  .partial({ severity: true, tags: true, sync_interval: true, grace: true })
  .openapi('SourceCreate');

export const SourceUpdate = z
  .strictObject({
    name: SourceName.openapi({ description: 'cannot change: its checks’ slugs start with it' }),
    config: ConfigObject.openapi({
      description: 'merged into the stored config; a masked secret keeps its value',
    }),
    ...settings,
  })
  .partial()
  .openapi('SourceUpdate');

export const SourceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(SOURCE_KINDS as [SourceKind, ...SourceKind[]]),
    config: ConfigObject,
    severity: z.enum(SEVERITIES),
    tags: z.array(z.string()),
    sync_interval: z.number(),
    grace: z.number(),
    next_sync_at: z.string(),
    last_sync_at: z.string().nullable(),
    last_success_at: z.string().nullable(),
    last_error: z.string().nullable().openapi({ description: 'why the last failed sync failed' }),
    last_error_at: z.string().nullable(),
    health_check_id: z
      .string()
      .nullable()
      .openapi({ description: 'the check that goes down when vigil cannot read it' }),
    check_count: z.number().openapi({ description: 'checks of its jobs (archived ones not counted)' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Source');

export const SyncReportSchema = z
  .object({
    ok: z.boolean(),
    error: z.string().nullable(),
    jobs: z.number(),
    runs: z.number(),
    created: z.number(),
    updated: z.number(),
    archived: z.number(),
    at: z.string(),
  })
  .openapi('SyncReport');

export const SummarySchema = z
  .object({
    source_id: z.string(),
    name: z.string(),
    kind: z.string(),
    total: z.number(),
    healthy: z.number(),
    failed: z.number().openapi({ description: 'down: a run failed or ran past its limit' }),
    missed: z.number().openapi({ description: 'down: runs stopped coming' }),
    running: z.number(),
    unknown: z.number().openapi({ description: 'the source cannot be read right now' }),
    paused: z.number(),
    late: z.number(),
    new: z.number(),
    archived: z.number().openapi({ description: 'jobs gone from the source; their history is kept' }),
    checked_at: z.string().nullable().openapi({ description: 'the last sync' }),
    last_error: z.string().nullable().openapi({ description: 'null when the last sync succeeded' }),
    jobs: z.array(
      z.object({
        check_id: z.string(),
        slug: z.string(),
        name: z.string(),
        status: z.string(),
        outcome: z.enum(['healthy', 'failed', 'missed', 'unknown', 'paused', 'late', 'new']),
        schedule: z.string(),
        last_run_at: z.string().nullable(),
        last_message: z.string().optional(),
        running: z.boolean(),
        details: SourceDetailsSchema,
      }),
    ),
  })
  .openapi('SourceSummary');

export function sourceView(s: Source, checkCount: number): z.infer<typeof SourceSchema> {
  return {
    id: s.id,
    name: s.name,
    kind: s.kind,
    config: maskSourceConfig(s.kind, s.config),
    severity: s.severity,
    tags: s.tags,
    sync_interval: s.syncInterval,
    grace: s.grace,
    next_sync_at: iso(s.nextSyncAt),
    last_sync_at: isoOrNull(s.lastSyncAt),
    last_success_at: isoOrNull(s.lastSuccessAt),
    last_error: s.lastError === null ? null : redactSecrets(s.kind, s.config, s.lastError),
    last_error_at: isoOrNull(s.lastErrorAt),
    health_check_id: s.healthCheckId,
    check_count: checkCount,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
  };
}

export function reportView(s: Source, r: SyncReport): z.infer<typeof SyncReportSchema> {
  return {
    ok: r.ok,
    error: r.error === null ? null : redactSecrets(s.kind, s.config, r.error),
    jobs: r.jobs,
    runs: r.runs,
    created: r.created,
    updated: r.updated,
    archived: r.archived,
    at: iso(r.at),
  };
}

export function summaryView(source: Source, s: SourceSummary): z.infer<typeof SummarySchema> {
  return {
    source_id: source.id,
    name: source.name,
    kind: source.kind,
    total: s.total,
    ...s.counts,
    running: s.running,
    archived: s.archived,
    checked_at: isoOrNull(s.checkedAt),
    last_error: s.lastError,
    jobs: s.jobs.map((j) => ({
      check_id: j.checkId,
      slug: j.slug,
      name: j.name,
      status: j.status,
      outcome: j.outcome,
      schedule: j.schedule,
      last_run_at: isoOrNull(j.lastRunAt),
      ...(j.lastMessage === null ? {} : { last_message: j.lastMessage }),
      running: j.running,
      details: j.details,
    })),
  };
}
