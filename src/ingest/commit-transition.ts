// Writing the consequence with the cause: a check's new state, its flip and the outbox
// rows for that flip go into the caller's transaction together.
import { channelsFor } from '../core/routing.ts';
import { describeSchedule } from '../core/schedule.ts';
import { eventForFlip } from '../core/status.ts';
import type { CheckState, EventKind, Transition } from '../core/types.ts';
import type { AlertPayload } from '../notifiers/notifier.ts';
import type { Check, Tx } from '../store/store.ts';

export interface CommitContext {
  baseUrl: string;
  /** body of the ping that caused the transition, when a ping did */
  pingBody?: string | null;
}

export interface Committed {
  check: Check;
  flipId: number | null;
  /** how many notifications were queued */
  queued: number;
}

/** Thrown when the check changed under us; the caller re-reads and tries again. */
export class ConflictError extends Error {}

const BODY_TAIL = 1000;

/** Only the state machine's own fields: its result may carry stale copies of the others. */
function stateFields(s: CheckState): CheckState {
  return {
    status: s.status,
    schedule: s.schedule,
    maxRuntime: s.maxRuntime,
    failureThreshold: s.failureThreshold,
    manualResume: s.manualResume,
    lastPingAt: s.lastPingAt,
    failureCount: s.failureCount,
    openRuns: s.openRuns,
    nextDeadline: s.nextDeadline,
  };
}

export function pingUrl(baseUrl: string, checkId: string): string {
  return `${baseUrl}/ping/${checkId}`;
}

export async function commitTransition(
  tx: Tx,
  check: Check,
  t: Transition,
  now: number,
  ctx: CommitContext,
): Promise<Committed> {
  const next: Check = {
    ...check,
    ...stateFields(t.state),
    statusChangedAt: t.flip ? now : check.statusChangedAt,
    rev: check.rev + 1,
    updatedAt: now,
  };
  if (!(await tx.updateCheckState(next, check.rev)))
    throw new ConflictError(`check ${check.id} changed concurrently`);
  if (!t.flip) return { check: next, flipId: null, queued: 0 };

  const flipId = await tx.insertFlip({ checkId: check.id, ...t.flip });
  const event = eventForFlip(t.flip);
  if (!event) return { check: next, flipId, queued: 0 };
  const channels = channelsFor(event, await tx.listChannels(check.projectId));
  if (channels.length === 0) return { check: next, flipId, queued: 0 };

  const project = await tx.getProject(check.projectId);
  const body = ctx.pingBody !== undefined ? ctx.pingBody : ((await tx.lastPing(check.id))?.body ?? null);
  const payload = JSON.stringify(
    alertPayload(event, next, { id: flipId, ...t.flip }, project?.name ?? '', ctx.baseUrl, {
      downtimeMs: event === 'up' ? now - check.statusChangedAt : null,
      body,
    }),
  );
  await tx.insertNotifications(
    channels.map((c) => ({
      flipId,
      channelId: c.id,
      projectId: check.projectId,
      checkId: check.id,
      event,
      payload,
      nextAttemptAt: now,
      createdAt: now,
    })),
  );
  return { check: next, flipId, queued: channels.length };
}

export function alertPayload(
  event: EventKind,
  check: Check,
  flip: { id: number; from: string; to: string; at: number; reason: string },
  projectName: string,
  baseUrl: string,
  extra: { downtimeMs?: number | null; body?: string | null; test?: boolean } = {},
): AlertPayload {
  return {
    event,
    ...(extra.test ? { test: true } : {}),
    check: {
      id: check.id,
      name: check.name,
      slug: check.slug,
      tags: check.tags,
      status: check.status,
      severity: check.severity,
      schedule: describeSchedule(check.schedule),
      last_ping_at: check.lastPingAt === null ? null : new Date(check.lastPingAt).toISOString(),
      ping_url: pingUrl(baseUrl, check.id),
      url: `${baseUrl}/api/v1/checks/${check.id}`,
    },
    flip: {
      id: flip.id,
      from: flip.from,
      to: flip.to,
      at: new Date(flip.at).toISOString(),
      reason: flip.reason,
    },
    project: { id: check.projectId, name: projectName },
    downtime_ms: extra.downtimeMs ?? null,
    last_ping_body: extra.body ? extra.body.slice(-BODY_TAIL) : null,
  };
}
