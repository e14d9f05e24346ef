// Putting alerts in the outbox: one row per channel the routing rules pick, each carrying
// the payload as it reads now. Used for a flip's alert, a held alert on release, and reminders.
import { channelsFor } from '../core/routing.ts';
import { describeSchedule } from '../core/schedule.ts';
import type { EventKind } from '../core/types.ts';
import type { AlertPayload } from '../notifiers/notifier.ts';
import type { Check, FlipRow, Project, Tx } from '../store/store.ts';

const BODY_TAIL = 1000;

export function pingUrl(baseUrl: string, checkId: string): string {
  return `${baseUrl}/ping/${checkId}`;
}

export interface QueueOptions {
  baseUrl: string;
  /** the body of the ping behind the alert; read from the last ping when left out */
  pingBody?: string | null;
  /** 0 for the flip's own alert, n for its n-th reminder */
  seq?: number;
  /** for recoveries: how long the check was down, in ms */
  downtimeMs?: number | null;
  /** the check's project, when the caller has read it already */
  project?: Project | null;
}

/** Queues `event` about `flip` of `check` to every channel routed to it; returns how many. */
export async function queueAlert(
  tx: Tx,
  check: Check,
  flip: Pick<FlipRow, 'id' | 'from' | 'to' | 'at' | 'reason'>,
  event: EventKind,
  now: number,
  opts: QueueOptions,
): Promise<number> {
  const channels = channelsFor(event, check, await tx.listChannels(check.projectId));
  if (channels.length === 0) return 0;
  const project = opts.project !== undefined ? opts.project : await tx.getProject(check.projectId);
  const body = opts.pingBody !== undefined ? opts.pingBody : ((await tx.lastPing(check.id))?.body ?? null);
  const seq = opts.seq ?? 0;
  const payload = JSON.stringify(
    alertPayload(event, check, flip, project?.name ?? '', opts.baseUrl, {
      downtimeMs: opts.downtimeMs ?? null,
      body,
      reminder: seq > 0 ? seq : undefined,
    }),
  );
  await tx.insertNotifications(
    channels.map((c) => ({
      flipId: flip.id,
      channelId: c.id,
      seq,
      projectId: check.projectId,
      checkId: check.id,
      event,
      payload,
      nextAttemptAt: now,
      createdAt: now,
    })),
  );
  return channels.length;
}

export function alertPayload(
  event: EventKind,
  check: Check,
  flip: { id: number; from: string; to: string; at: number; reason: string },
  projectName: string,
  baseUrl: string,
  extra: { downtimeMs?: number | null; body?: string | null; test?: boolean; reminder?: number } = {},
): AlertPayload {
  return {
    event,
    ...(extra.test ? { test: true } : {}),
    ...(extra.reminder !== undefined ? { reminder: extra.reminder } : {}),
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
      // the dashboard page (which sends a signed-out reader to sign in first)
      url: `${baseUrl}/checks/${check.id}`,
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
