// Changes people make to checks (create, edit, pause, resume, delete), written the same way
// pings are: the new state with its flip and notifications, in one transaction, with the audit
// log's entry for who made it.
import type { Actor } from '../audit/actor.ts';
import { fieldChanges, recordChange, recordUpdate } from '../audit/audit-log.ts';
import { reminderInterval, wasSent } from '../core/alerting.ts';
import { canonicalTimezone } from '../core/schedule.ts';
import { slugify } from '../core/slug.ts';
import { reconfigure, transition } from '../core/status.ts';
import type { Schedule } from '../core/types.ts';
import { maskedHeader, restoreProbeHeaders } from '../probes/probe-headers.ts';
import { DEFAULT_PROBE_PERIOD, httpCheckProblem } from '../probes/probe-rules.ts';
import { nextProbeFor } from '../probes/slots.ts';
import { DEFAULT_SILENCE_PERIOD } from '../projects/keys.ts';
import type { Check, CheckConfig, Probe, Tx } from '../store/store.ts';
import { type Committed, commitTransition } from './commit-transition.ts';
import { defaultCheckConfig, newCheck } from './new-check.ts';

/** Grace, in seconds, of a new check's schedule that names none. */
export const DEFAULT_GRACE = 300;

/** A schedule as users send it: the grace may be left out. */
export type ScheduleInput =
  | { kind: 'interval'; period: number; grace?: number }
  | { kind: 'cron'; expression: string; timezone: string; grace?: number }
  | { kind: 'none' };

/** push: the job pings vigil; http: vigil probes a URL (the check has a probe). */
export type CheckKind = 'push' | 'http';

/**
 * A partial CheckConfig; `undefined` leaves a field as it is. `kind` "push" removes the probe;
 * a probe given without a kind makes an http check. Masked probe header values (as the API
 * shows them) keep the stored value.
 */
export type CheckPatch = Omit<Partial<CheckConfig>, 'schedule'> & {
  schedule?: ScheduleInput;
  kind?: CheckKind;
};

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

/** A change the check's rules do not allow; `field` is the API's name for what to fix. */
export class CheckRuleError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

function checkRules(config: CheckConfig): void {
  const problem = httpCheckProblem(config);
  if (problem) throw new CheckRuleError(problem.field, problem.message);
}

/** The probe after a change: unchanged (undefined), none (null), or the one sent, secrets restored. */
function probeAfter(patch: CheckPatch, current: Check | null): Probe | null | undefined {
  const { kind, probe } = patch;
  const needed = 'an http check needs a probe (at least its url)';
  if (kind === 'push') {
    if (probe)
      throw new CheckRuleError('probe', 'only http checks have a probe: leave it out, or set kind to "http"');
    return null;
  }
  if (probe === null) {
    if (kind === 'http') throw new CheckRuleError('probe', needed);
    return null;
  }
  if (probe === undefined) {
    if (kind === 'http' && !current?.probe) throw new CheckRuleError('probe', needed);
    return undefined;
  }
  const headers = restoreProbeHeaders(current?.probe ?? null, probe.headers);
  const masked = maskedHeader(headers);
  if (masked !== undefined)
    throw new CheckRuleError(`probe.headers.${masked}`, 'looks masked; send the real value');
  return { ...probe, headers };
}

/**
 * A check a source discovered has its name, slug, schedule and kind from the source, which
 * would overwrite them at its next sync: refuses a change to them (sending them unchanged is
 * fine, so an exported check can be applied back). The team's fields stay editable.
 */
async function refuseSourceOwned(tx: Tx, check: Check, patch: CheckPatch): Promise<void> {
  if (check.origin === null) return;
  const field = sourceOwnedChange(check, patch);
  if (field === null) return;
  const source = await tx.getSource(check.origin.sourceId);
  const name = source ? `"${source.name}"` : check.origin.sourceId;
  throw new CheckRuleError(
    field,
    `set by the source ${name} that discovered this check, which would overwrite it at its next sync; change it there (severity, description, success_criteria, tags, channels and alerting settings are yours to edit)`,
  );
}

/** The first source-owned field the patch changes, or null. */
function sourceOwnedChange(check: Check, patch: CheckPatch): string | null {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (patch.name !== undefined && patch.name !== check.name) return 'name';
  if (patch.slug !== undefined && patch.slug !== check.slug) return 'slug';
  if (patch.schedule !== undefined) {
    const grace = check.schedule.kind === 'none' ? DEFAULT_GRACE : check.schedule.grace;
    if (!same(withGrace(patch.schedule, grace), check.schedule)) return 'schedule';
  }
  if (patch.kind === undefined && patch.probe === undefined) return null;
  const probe = probeAfter(patch, check);
  if (probe === undefined || same(probe, check.probe)) return null;
  return patch.kind === undefined ? 'probe' : 'kind';
}

/** The settings an edit is recorded by; the probe (its URL and headers may hold secrets) by name only. */
const AUDITED: (keyof CheckConfig)[] = [
  'name',
  'slug',
  'description',
  'tags',
  'schedule',
  'maxRuntime',
  'failureThreshold',
  'severity',
  'manualResume',
  'methods',
  'channels',
  'realertEvery',
  'successCriteria',
  'probe',
];

export async function createCheck(
  tx: Tx,
  projectId: string,
  patch: CheckPatch,
  ids: { id: string; now: number },
  actor: Actor,
): Promise<Check> {
  const slug = patch.slug ?? (await freeSlug(tx, projectId, slugify(patch.name ?? '')));
  if (patch.slug !== undefined && (await tx.getCheckBySlug(projectId, slug))) throw new SlugTakenError(slug);
  const { schedule, kind: _, probe: __, ...rest } = definedOnly(patch);
  const config: CheckConfig = {
    ...defaultCheckConfig(slug),
    ...rest,
    slug,
    probe: probeAfter(patch, null) ?? null,
  };
  if (schedule) config.schedule = withGrace(schedule, DEFAULT_GRACE);
  // a probe every day is not what anyone adding an http check without a schedule means
  else if (config.probe)
    config.schedule = { kind: 'interval', period: DEFAULT_PROBE_PERIOD, grace: DEFAULT_GRACE };
  if (patch.name === undefined) config.name = slug;
  checkRules(config);
  const check = newCheck(ids.id, projectId, config, ids.now);
  await tx.insertCheck(check);
  if (check.probe) await tx.setProbeNextAt(check.id, nextProbeFor(check, ids.now));
  await recordChange(tx, actor, { action: 'check.created', projectId, target: check, at: ids.now });
  return check;
}

/**
 * Applies edited settings and re-evaluates the status under them (core's reconfigure): a
 * schedule change moves the deadline at once, a deadline that is already behind us
 * becomes "now" so the scheduler acts on the next sweep, and a late check that the new
 * schedule no longer calls past due comes back up, with its flip recorded. That flip
 * (late -> up) is no news, so nothing is notified.
 */
export async function updateCheck(
  tx: Tx,
  check: Check,
  patch: CheckPatch,
  now: number,
  actor: Actor,
): Promise<Check> {
  // here, not in each caller: the compat APIs and check-ins edit checks through this too
  await refuseSourceOwned(tx, check, patch);
  if (
    patch.slug !== undefined &&
    patch.slug !== check.slug &&
    (await tx.getCheckBySlug(check.projectId, patch.slug))
  ) {
    throw new SlugTakenError(patch.slug);
  }
  const { schedule, kind: _, probe: __, ...rest } = definedOnly(patch);
  const edited: Check = { ...check, ...rest };
  const probe = probeAfter(patch, check);
  if (probe !== undefined) edited.probe = probe;
  if (schedule) {
    edited.schedule = withGrace(
      schedule,
      check.schedule.kind === 'none' ? DEFAULT_GRACE : check.schedule.grace,
    );
  }
  checkRules(edited);
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
  if (probeSlotsMoved(check, next)) await tx.setProbeNextAt(next.id, nextProbeFor(next, now));
  if (t.flip) {
    // late -> up: no news, so no alert
    const { cause: _, ...flip } = t.flip;
    await tx.insertFlip({ checkId: check.id, ...flip });
  }
  await recordUpdate(tx, actor, {
    action: 'check.updated',
    projectId: check.projectId,
    target: next,
    at: now,
    changes: fieldChanges(check, next, AUDITED, ['probe']),
  });
  return next;
}

/** Whether an edit starts or stops probing, or moves the probe grid (a new period). */
function probeSlotsMoved(before: Check, after: Check): boolean {
  if ((before.probe === null) !== (after.probe === null)) return true;
  const period = (c: Check) => (c.schedule.kind === 'interval' ? c.schedule.period : null);
  return after.probe !== null && period(before) !== period(after);
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

/** Pauses or resumes; recorded when it changed the status (pausing a paused check changes nothing). */
export async function pauseOrResume(
  tx: Tx,
  check: Check,
  action: 'pause' | 'resume',
  now: number,
  baseUrl: string,
  actor: Actor,
): Promise<Committed> {
  const committed = await commitTransition(tx, check, transition(check, { type: action }, now), now, {
    baseUrl,
  });
  if (committed.check.status !== check.status) {
    await recordChange(tx, actor, {
      action: action === 'pause' ? 'check.paused' : 'check.resumed',
      projectId: check.projectId,
      target: check,
      at: now,
    });
  }
  return committed;
}

/** Deletes a check and its history. */
export async function deleteCheck(tx: Tx, check: Check, now: number, actor: Actor): Promise<void> {
  if (!(await tx.deleteCheck(check.id))) return;
  await recordChange(tx, actor, {
    action: 'check.deleted',
    projectId: check.projectId,
    target: check,
    at: now,
  });
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
