// Changes people make to maintenance windows, the same from the API and the dashboard: what a
// valid window is, turning input into a stored window, and saving or deleting one (with its
// audit entry) so that the alerts it held are looked at again at once.

import { z } from '@hono/zod-openapi';
import type { Actor } from '../audit/actor.ts';
import { fieldChanges, recordChange, recordUpdate } from '../audit/audit-log.ts';
import { UUID_PATTERN } from '../core/ids.ts';
import { canonicalTimezone, formatDuration, validateCron } from '../core/schedule.ts';
import { Tag } from '../http/api/check-schemas.ts';
import { iso } from '../http/api/check-view.ts';
import type { Maintenance, Store, Tx } from '../store/store.ts';

const DAY = 86_400;
const MAX_WINDOW_DAYS = 31;
export const MAX_WINDOWS = 200;

/** A window that cannot be saved as it is: 400 for a bad check id, 409 for too many windows. */
export class WindowError extends Error {
  constructor(
    readonly status: 400 | 409,
    readonly field: string | null,
    message: string,
  ) {
    super(message);
  }
}

const time = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 time with a timezone, e.g. 2026-03-01T02:00:00Z' })
  .openapi({ example: '2026-03-01T02:00:00Z' });

/** How long a recurring occurrence or a "quiet for" lasts, in seconds. */
export const WindowDuration = z
  .number()
  .int('must be a whole number of seconds')
  .min(60, 'must be at least 60 s')
  .max(7 * DAY, 'must be at most 7 days (604800 s)');

export const scopeFields = {
  checks: z
    .array(z.string().regex(UUID_PATTERN, 'must be a check id (UUID)'))
    .max(500, 'at most 500 checks')
    .default([])
    .openapi({ description: 'check ids it covers' }),
  tags: z.array(Tag).max(20, 'at most 20 tags').default([]).openapi({
    description: 'it covers checks with any of these tags; with no checks and no tags, the whole project',
  }),
};

export const MaintenanceInput = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(200),
    starts_at: time.optional().openapi({ description: 'one-off: when it starts' }),
    ends_at: time.optional().openapi({ description: 'one-off: when it ends' }),
    cron: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: 'recurring: when each occurrence starts', example: '0 2 * * 0' }),
    duration: WindowDuration.optional().openapi({
      description: 'recurring: how long each occurrence lasts, seconds',
      example: 7200,
    }),
    timezone: z.string().trim().min(1).max(64).optional().openapi({ description: 'recurring: default UTC' }),
    ...scopeFields,
  })
  .superRefine((v, ctx) => {
    const once = v.starts_at !== undefined || v.ends_at !== undefined;
    const recurring = v.cron !== undefined || v.duration !== undefined || v.timezone !== undefined;
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (once && recurring) {
      issue('cron', 'give either starts_at and ends_at (one-off) or cron and duration (recurring), not both');
    } else if (once) {
      if (v.starts_at === undefined) issue('starts_at', 'a one-off window needs starts_at');
      if (v.ends_at === undefined) issue('ends_at', 'a one-off window needs ends_at');
      if (v.starts_at !== undefined && v.ends_at !== undefined) {
        const length = Date.parse(v.ends_at) - Date.parse(v.starts_at);
        if (length <= 0) issue('ends_at', 'must be after starts_at');
        else if (length > MAX_WINDOW_DAYS * DAY * 1000)
          issue('ends_at', `a window lasts at most ${MAX_WINDOW_DAYS} days`);
      }
    } else if (recurring) {
      if (v.cron === undefined) issue('cron', 'a recurring window needs cron');
      if (v.duration === undefined) issue('duration', 'a recurring window needs duration');
      if (v.cron !== undefined) {
        const problem = validateCron(v.cron, v.timezone ?? 'UTC');
        if (problem) issue(/timezone/i.test(problem) ? 'timezone' : 'cron', problem);
      }
    } else {
      issue('starts_at', 'give starts_at and ends_at (one-off) or cron and duration (recurring)');
    }
  })
  .openapi('MaintenanceInput');

export type WindowInput = z.output<typeof MaintenanceInput>;

export function toWindow(
  input: WindowInput,
  base: Pick<Maintenance, 'id' | 'projectId' | 'createdAt' | 'updatedAt'>,
): Maintenance {
  // ids compared as stored: the API accepts them in any case, like the checks API
  const checkIds = [...new Set(input.checks.map((id) => id.toLowerCase()))];
  const common = { ...base, name: input.name, checkIds, tags: input.tags };
  if (input.cron !== undefined && input.duration !== undefined) {
    return {
      ...common,
      kind: 'recurring',
      cron: input.cron,
      duration: input.duration,
      timezone: canonicalTimezone(input.timezone ?? 'UTC'),
    };
  }
  return {
    ...common,
    kind: 'once',
    startsAt: Date.parse(input.starts_at!),
    endsAt: Date.parse(input.ends_at!),
  };
}

/** A stored window as input again, so an update can overlay fields and re-validate the whole. */
export function toInput(m: Maintenance): Record<string, unknown> {
  const scope = { name: m.name, checks: m.checkIds, tags: m.tags };
  return m.kind === 'once'
    ? { ...scope, starts_at: iso(m.startsAt), ends_at: iso(m.endsAt) }
    : { ...scope, cron: m.cron, duration: m.duration, timezone: m.timezone };
}

/** "Quiet for a while": a one-off window from `now` for `duration` seconds. */
export function quietWindow(
  scope: { name?: string | undefined; checks: string[]; tags: string[] },
  duration: number,
  ids: { id: string; projectId: string; now: number },
): Maintenance {
  return {
    id: ids.id,
    projectId: ids.projectId,
    name: scope.name ?? `quiet for ${formatDuration(duration * 1000)}`,
    kind: 'once',
    startsAt: ids.now,
    endsAt: ids.now + duration * 1000,
    checkIds: [...new Set(scope.checks.map((id) => id.toLowerCase()))],
    tags: scope.tags,
    createdAt: ids.now,
    updatedAt: ids.now,
  };
}

/** The checks a window names must be the project's. */
async function knownChecks(tx: Tx, projectId: string, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const check = await tx.getCheck(id.toLowerCase());
    if (!check || check.projectId !== projectId) {
      throw new WindowError(400, 'checks', `checks: no check with id "${id}" in this project`);
    }
  }
}

/** A window's fields as the API names them (times in ISO 8601), for its audit entries. */
const AUDITED = ['name', 'starts_at', 'ends_at', 'cron', 'duration', 'timezone', 'checks', 'tags'];

/**
 * Saves a window, new when `before` is null, and has held alerts of the project looked at again
 * under the new windows.
 */
export async function saveWindow(
  store: Store,
  m: Maintenance,
  before: Maintenance | null,
  now: number,
  actor: Actor,
): Promise<void> {
  await store.transaction(async (tx) => {
    await knownChecks(tx, m.projectId, m.checkIds);
    if (before === null) {
      if ((await tx.listMaintenance(m.projectId)).length >= MAX_WINDOWS) {
        throw new WindowError(
          409,
          null,
          `a project has at most ${MAX_WINDOWS} maintenance windows; delete old ones`,
        );
      }
      await tx.insertMaintenance(m);
      await recordChange(tx, actor, {
        action: 'maintenance.created',
        projectId: m.projectId,
        target: m,
        at: now,
      });
    } else {
      await tx.updateMaintenance(m);
      await recordUpdate(tx, actor, {
        action: 'maintenance.updated',
        projectId: m.projectId,
        target: m,
        at: now,
        changes: fieldChanges(toInput(before), toInput(m), AUDITED),
      });
    }
    await tx.reviewHeld(m.projectId, now);
  });
}

/** Deletes a window (ending it, if active); the alerts it held are looked at again at once. */
export async function deleteWindow(store: Store, m: Maintenance, now: number, actor: Actor): Promise<void> {
  await store.transaction(async (tx) => {
    if (!(await tx.deleteMaintenance(m.id))) return;
    await recordChange(tx, actor, {
      action: 'maintenance.deleted',
      projectId: m.projectId,
      target: m,
      at: now,
    });
    await tx.reviewHeld(m.projectId, now);
  });
}
