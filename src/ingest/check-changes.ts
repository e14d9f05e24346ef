// Changes people make to checks (create, edit, pause, resume), written the same way pings
// are: the new state with its flip and notifications, in one transaction.
import { reminderInterval, wasSent } from '../core/alerting.ts';
import { canonicalTimezone } from '../core/schedule.ts';
import { slugify } from '../core/slug.ts';
import { reconfigure, transition } from '../core/status.ts';
import type { Schedule } from '../core/types.ts';
import { DEFAULT_SILENCE_PERIOD } from '../projects/keys.ts';
import type { Check, CheckConfig, Tx } from '../store/store.ts';
import { type Committed, commitTransition } from './commit-transition.ts';
import { defaultCheckConfig, newCheck } from './new-check.ts';

/** Grace, in seconds, of a new check's schedule that names none. */
export const DEFAULT_GRACE = 300;

/** A schedule as users send it: the grace may be left out. */
export type ScheduleInput =
  | { kind: 'interval'; period: number; grace?: number }
  | { kind: 'cron'; expression: string; timezone: string; grace?: number }
  | { kind: 'none' };

/** A partial CheckConfig; `undefined` leaves a field as it is. */
export type CheckPatch = Omit<Partial<CheckConfig>, 'schedule'> & { schedule?: ScheduleInput };

/**
 * Fills a left-out grace (the check's current grace when editing, the default when
 * creating) and spells the timezone canonically.
 */
function withGrace(input: ScheduleInput, fallback: number): Schedule {
  if (input.kind === 'none') return input;
  const grace = input.grace ?? fallback;
  if (input.kind === 'interval') return { ...input, grace };
  return { ...input, timezone: canonicalTimezone(input.timezone), grace };
}

export class SlugTakenError extends Error {
  constructor(readonly slug: string) {
    super(`the slug "${slug}" is already used by another check in this project`);
  }
}

export async function createCheck(
  tx: Tx,
  projectId: string,
  patch: CheckPatch,
  ids: { id: string; now: number },
): Promise<Check> {
  const slug = patch.slug ?? (await freeSlug(tx, projectId, slugify(patch.name ?? '')));
  if (patch.slug !== undefined && (await tx.getCheckBySlug(projectId, slug))) throw new SlugTakenError(slug);
  const { schedule, ...rest } = definedOnly(patch);
  const config: CheckConfig = { ...defaultCheckConfig(slug), ...rest, slug };
  if (schedule) config.schedule = withGrace(schedule, DEFAULT_GRACE);
  if (patch.name === undefined) config.name = slug;
  const check = newCheck(ids.id, projectId, config, ids.now);
  await tx.insertCheck(check);
  return check;
}

/**
 * Applies edited settings and re-evaluates the status under them (core's reconfigure): a
 * schedule change moves the deadline at once, a deadline that is already behind us
 * becomes "now" so the scheduler acts on the next sweep, and a late check that the new
 * schedule no longer calls past due comes back up, with its flip recorded. That flip
 * (late -> up) is no news, so nothing is notified.
 */
export async function updateCheck(tx: Tx, check: Check, patch: CheckPatch, now: number): Promise<Check> {
  if (
    patch.slug !== undefined &&
    patch.slug !== check.slug &&
    (await tx.getCheckBySlug(check.projectId, patch.slug))
  ) {
    throw new SlugTakenError(patch.slug);
  }
  const { schedule, ...rest } = definedOnly(patch);
  const edited: Check = { ...check, ...rest };
  if (schedule) {
    edited.schedule = withGrace(
      schedule,
      check.schedule.kind === 'none' ? DEFAULT_GRACE : check.schedule.grace,
    );
  }
  const t = reconfigure(edited, now);
  const next: Check = {
    ...edited,
    status: t.state.status,
    nextDeadline: t.state.nextDeadline,
    statusChangedAt: t.flip ? now : check.statusChangedAt,
    remindAt: await remindAfterEdit(tx, check, edited, now),
    rev: check.rev + 1,
    updatedAt: now,
  };
  if (!(await tx.updateCheck(next, check.rev))) throw new Error(`check ${check.id} changed concurrently`);
  if (t.flip) {
    // late -> up: no news, so no alert
    const { cause: _, ...flip } = t.flip;
    await tx.insertFlip({ checkId: check.id, ...flip });
  }
  return next;
}

/**
 * When the next reminder is due after an edit: turning reminders on for a check that is down
 * (and whose alert went out) starts them now; turning them off stops them; a new interval
 * counts from the last reminder's schedule.
 */
async function remindAfterEdit(tx: Tx, before: Check, after: Check, now: number): Promise<number | null> {
  if (after.realertEvery === before.realertEvery) return before.remindAt;
  if (after.status !== 'down') return null;
  const project = await tx.getProject(after.projectId);
  const every = reminderInterval(after.realertEvery, project?.silencePeriod ?? DEFAULT_SILENCE_PERIOD);
  if (every === null || !wasSent(await tx.lastFlip(after.id))) return null;
  return now + every;
}

export async function pauseOrResume(
  tx: Tx,
  check: Check,
  action: 'pause' | 'resume',
  now: number,
  baseUrl: string,
): Promise<Committed> {
  return commitTransition(tx, check, transition(check, { type: action }, now), now, { baseUrl });
}

/**
 * A slug derived from a name that is free in the project: "backup", else "backup-2", ...
 * (names need not be unique, and names in other scripts all fall back to "check").
 */
async function freeSlug(tx: Tx, projectId: string, base: string): Promise<string> {
  for (let n = 1; n <= 1000; n++) {
    const suffix = n === 1 ? '' : `-${n}`;
    const slug = `${base.slice(0, 100 - suffix.length)}${suffix}`;
    if (!(await tx.getCheckBySlug(projectId, slug))) return slug;
  }
  throw new SlugTakenError(base);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
