// Changes people make to channels, the same from the API and the dashboard: the routing rule
// and its limits, checking a config against its kind, keeping secrets a client could not send
// back, saving with the audit log's entry, and sending a test alert.
import { z } from '@hono/zod-openapi';
import type { Actor } from '../audit/actor.ts';
import { configChanges, fieldChanges, recordChange, recordUpdate } from '../audit/audit-log.ts';
import { channelKindProblem } from '../capabilities.ts';
import { severityRank } from '../core/routing.ts';
import { EVENT_KINDS, type EventKind, SEVERITIES, type Severity } from '../core/types.ts';
import { Tag } from '../http/api/check-schemas.ts';
import type { AppDeps } from '../http/deps.ts';
import { defaultCheckConfig, newCheck } from '../ingest/new-check.ts';
import { alertPayload } from '../ingest/queue-alerts.ts';
import type { SendResult } from '../notifiers/notifier.ts';
import { getNotifier, notifiers } from '../notifiers/registry.ts';
import type { Channel, Store } from '../store/store.ts';

/** What a channel takes when its rule names no events: every event but `late`. */
export const DEFAULT_EVENTS: EventKind[] = ['down', 'failed', 'too_long', 'up'];

export const ChannelName = z.string().trim().min(1).max(200);

const SeveritySchema = z.enum(SEVERITIES);

/** A channel's routing rule, field by field (descriptions are the API's documentation). */
export const ChannelRule = {
  events: z
    .array(z.enum(EVENT_KINDS))
    .min(1, 'take at least one event')
    .max(EVENT_KINDS.length)
    .refine((e) => new Set(e).size === e.length, 'list each event once')
    .openapi({ description: `which events it takes: ${EVENT_KINDS.join(', ')}` }),
  min_severity: SeveritySchema.openapi({
    description: 'the lowest check severity it takes (low < important < critical)',
  }),
  max_severity: SeveritySchema.openapi({ description: 'the highest check severity it takes' }),
  tags: z
    .array(Tag)
    .max(20, 'at most 20 tags')
    .openapi({ description: 'when not empty: only checks with at least one of these tags' }),
};

/** Whether a rule's severity range is the right way round (either end may be left out). */
export function severityOrder(v: { min_severity?: string; max_severity?: string }): boolean {
  return (
    v.min_severity === undefined ||
    v.max_severity === undefined ||
    severityRank(v.min_severity as Severity) <= severityRank(v.max_severity as Severity)
  );
}

export const SEVERITY_ORDER = {
  message: 'min_severity must not be above max_severity',
  path: ['min_severity'],
};

export function unknownKindMessage(kind: string): string {
  return `unknown channel kind "${kind}"; use one of: ${Object.keys(notifiers).join(', ')}`;
}

/**
 * The config as its kind's schema reads it (defaults filled in, values normalised), or the
 * schema's issues. Throws for an unknown kind: callers check the kind first.
 */
export function parseConfig(
  kind: string,
  config: Record<string, unknown>,
): { success: true; data: Record<string, unknown> } | { success: false; error: z.ZodError } {
  const notifier = getNotifier(kind);
  if (!notifier) throw new Error(unknownKindMessage(kind));
  const parsed = notifier.configSchema.safeParse(config);
  return parsed.success
    ? { success: true, data: parsed.data as Record<string, unknown> }
    : { success: false, error: parsed.error };
}

/** A config sent without a secret field keeps the old secret: leaving it out must not unsign a webhook. */
export function keepOmittedSecrets(ch: Channel, config: Record<string, unknown>): Record<string, unknown> {
  const out = { ...config };
  for (const field of getNotifier(ch.kind)?.secretFields ?? []) {
    if (!(field in out) && ch.config[field] !== undefined) out[field] = ch.config[field];
  }
  return out;
}

/**
 * A kind with a signing `secret` gets one when none was chosen, so receivers can always check
 * the signature. Returns the generated secret (to show once), or null when none was needed.
 */
export function fillSigningSecret(kind: string, config: Record<string, unknown>): string | null {
  if (!getNotifier(kind)?.secretFields.includes('secret') || config.secret) return null;
  const secret = Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
  config.secret = secret;
  return secret;
}

/** The channel a create makes, with the rule's defaults for what was left out. */
export function newChannel(
  fields: {
    kind: string;
    name: string;
    config: Record<string, unknown>;
    events?: EventKind[];
    minSeverity?: Severity;
    maxSeverity?: Severity;
    tags?: string[];
  },
  ids: { id: string; projectId: string; now: number },
): Channel {
  return {
    id: ids.id,
    projectId: ids.projectId,
    kind: fields.kind,
    name: fields.name,
    config: fields.config,
    events: fields.events ?? DEFAULT_EVENTS,
    minSeverity: fields.minSeverity ?? 'low',
    maxSeverity: fields.maxSeverity ?? 'critical',
    tags: fields.tags ?? [],
    brokenReason: null,
    brokenAt: null,
    createdAt: ids.now,
    updatedAt: ids.now,
  };
}

/** Adds a channel; its audit entry commits with it. */
export async function addChannel(store: Store, channel: Channel, actor: Actor): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.insertChannel(channel);
    await recordChange(tx, actor, {
      action: 'channel.created',
      projectId: channel.projectId,
      target: channel,
      at: channel.createdAt,
    });
  });
}

/** Saves a changed channel; the audit entry names the config fields that changed, never their values. */
export async function saveChannel(
  store: Store,
  before: Channel,
  after: Channel,
  actor: Actor,
): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.updateChannel(after);
    await recordUpdate(tx, actor, {
      action: 'channel.updated',
      projectId: after.projectId,
      target: after,
      at: after.updatedAt,
      changes: {
        ...fieldChanges(before, after, ['name', 'events', 'minSeverity', 'maxSeverity', 'tags']),
        ...configChanges(before.config, after.config),
      },
    });
  });
}

export async function deleteChannel(
  store: Store,
  channel: Channel,
  now: number,
  actor: Actor,
): Promise<void> {
  await store.transaction(async (tx) => {
    if (!(await tx.deleteChannel(channel.id))) return;
    await recordChange(tx, actor, {
      action: 'channel.deleted',
      projectId: channel.projectId,
      target: channel,
      at: now,
    });
  });
}

export type TestAlertDeps = Pick<AppDeps, 'store' | 'http' | 'now' | 'capabilities'> & {
  config: Pick<AppDeps['config'], 'baseUrl' | 'smtp'>;
};

/**
 * Sends `Test alert: "Test check" is DOWN` to the channel now, whatever its rule, and returns
 * what the provider answered. A delivery clears the broken state; a failure does not set it
 * (a test is not retried, and a typo found by testing should not page anyone about it).
 */
export async function sendTestAlert(
  deps: TestAlertDeps,
  ch: Channel,
): Promise<{ result: SendResult; channel: Channel }> {
  const notifier = getNotifier(ch.kind);
  if (!notifier) return { result: { outcome: 'failed', error: unknownKindMessage(ch.kind) }, channel: ch };
  const unavailable = channelKindProblem(ch.kind, deps.capabilities);
  if (unavailable !== null) return { result: { outcome: 'failed', error: unavailable }, channel: ch };
  const project = await deps.store.getProject(ch.projectId);
  const now = deps.now();
  const sample = newCheck(
    '00000000-0000-4000-8000-000000000000',
    ch.projectId,
    defaultCheckConfig('test-check'),
    now,
  );
  sample.name = 'Test check';
  const payload = alertPayload(
    'down',
    { ...sample, status: 'down', lastPingAt: now - 3_600_000 },
    { id: 0, from: 'up', to: 'down', at: now, reason: 'this is a test alert sent from vigil' },
    project?.name ?? '',
    deps.config.baseUrl,
    { test: true },
  );
  const result = await notifier.send(payload, ch.config, {
    http: deps.http,
    deliveryId: `test-${now.toString(36)}`,
    ...(deps.config.smtp ? { smtp: deps.config.smtp } : {}),
  });
  let channel = ch;
  if (result.outcome === 'delivered' && ch.brokenReason !== null) {
    channel = { ...ch, brokenReason: null, brokenAt: null, updatedAt: now };
    await deps.store.updateChannel(channel);
  }
  return { result, channel };
}
