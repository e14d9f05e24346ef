// The config-as-code file: checks keyed by slug, channels and maintenance windows keyed by
// name. Checks name their channels, and windows their checks, by those keys, so one file
// describes a project without ids. A section left out of the file is not managed at all.
// Checks a source discovered carry `source: <name>` and only the fields the team owns.
import { z } from '@hono/zod-openapi';
import { ChannelName, ChannelRule } from '../channels/channel-changes.ts';
import { CheckUpdateSchema, ScheduleSchema, Slug, Tag } from '../http/api/check-schemas.ts';
import { MaintenanceInput } from '../maintenance/window-changes.ts';

const FileCheck = CheckUpdateSchema.pick({
  name: true,
  description: true,
  tags: true,
  max_runtime: true,
  failure_threshold: true,
  severity: true,
  realert_every: true,
  success_criteria: true,
  kind: true,
  probe: true,
})
  .extend({
    slug: Slug,
    schedule: ScheduleSchema.optional(),
    grace: z.number().int().min(0).max(31_536_000).optional(),
    channels: z.array(ChannelName).max(50).optional(),
    // A source (pg_cron, Supabase) made this check and owns its name and schedule: only the
    // team's fields (severity, description, success_criteria, tags, channels, ...) apply.
    source: z.string().min(1).max(60).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.schedule === undefined && v.source === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['schedule'],
        message: 'required (only checks marked with the "source" that made them go without one)',
      });
    }
  });

const FileChannel = z.strictObject({
  name: ChannelName,
  kind: z.string().min(1),
  config: z.record(z.string(), z.unknown()),
  events: ChannelRule.events.optional(),
  min_severity: ChannelRule.min_severity.optional(),
  max_severity: ChannelRule.max_severity.optional(),
  tags: ChannelRule.tags.optional(),
});

const FileWindow = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    starts_at: z.string().optional(),
    ends_at: z.string().optional(),
    cron: z.string().optional(),
    duration: z.number().optional(),
    timezone: z.string().optional(),
    checks: z.array(Slug).max(500).optional(),
    tags: z.array(Tag).max(20).optional(),
  })
  .superRefine((v, ctx) => {
    // the API's own rules for a window, checked here so the error can name the line
    const api = MaintenanceInput.safeParse({ ...v, checks: [] });
    for (const issue of api.success ? [] : api.error.issues) {
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }
  });

/** Each key once per section: two entries for one object would fight on every apply. */
function uniqueBy<T>(items: T[] | undefined, key: keyof T, ctx: z.RefinementCtx, section: string): void {
  const seen = new Set<unknown>();
  for (const [i, item] of (items ?? []).entries()) {
    if (seen.has(item[key]))
      ctx.addIssue({ code: 'custom', path: [section, i, key as string], message: 'listed twice' });
    seen.add(item[key]);
  }
}

export const ConfigFileSchema = z
  .strictObject({
    '//': z.string().optional(),
    checks: z.array(FileCheck).optional(),
    channels: z.array(FileChannel).optional(),
    maintenance: z.array(FileWindow).optional(),
  })
  .superRefine((v, ctx) => {
    uniqueBy(v.checks, 'slug', ctx, 'checks');
    uniqueBy(v.channels, 'name', ctx, 'channels');
    uniqueBy(v.maintenance, 'name', ctx, 'maintenance');
  });

export type ConfigFile = z.output<typeof ConfigFileSchema>;
export type FileCheck = z.output<typeof FileCheck>;
export type FileChannel = z.output<typeof FileChannel>;
export type FileWindow = z.output<typeof FileWindow>;

/** Where in the file: `['checks', 1, 'schedule', 'expression']`. */
export type FilePath = readonly (string | number)[];

/** `checks[1].schedule.expression`, the way people read a path. */
export function formatPath(path: FilePath): string {
  return path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part),
    '',
  );
}
