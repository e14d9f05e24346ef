// Changes people make to checks (create, edit, pause, resume), written the same way pings
// are: the new state with its flip and notifications, in one transaction.
import { slugify } from '../core/slug.ts';
import { reconfigure, transition } from '../core/status.ts';
import type { Check, CheckConfig, Tx } from '../store/store.ts';
import { type Committed, commitTransition } from './commit-transition.ts';
import { defaultCheckConfig, newCheck } from './new-check.ts';

/** A partial CheckConfig; `undefined` leaves a field as it is. */
export type CheckPatch = Partial<CheckConfig>;

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
  const slug = patch.slug ?? slugify(patch.name ?? '');
  const config: CheckConfig = { ...defaultCheckConfig(slug), ...definedOnly(patch), slug };
  if (patch.name === undefined) config.name = slug;
  if (await tx.getCheckBySlug(projectId, slug)) throw new SlugTakenError(slug);
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
  const edited: Check = { ...check, ...definedOnly(patch) };
  const t = reconfigure(edited, now);
  const next: Check = {
    ...edited,
    status: t.state.status,
    nextDeadline: t.state.nextDeadline,
    statusChangedAt: t.flip ? now : check.statusChangedAt,
    rev: check.rev + 1,
    updatedAt: now,
  };
  if (!(await tx.updateCheck(next, check.rev))) throw new Error(`check ${check.id} changed concurrently`);
  if (t.flip) await tx.insertFlip({ checkId: check.id, ...t.flip });
  return next;
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

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
