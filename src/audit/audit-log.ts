// Writing the audit log: one entry per change, in the transaction that makes the change, so an
// entry exists exactly when the change does. Entries say which fields an update changed, with
// the old and new values of plain settings; secrets (channel and source config, probe requests,
// keys) only by name, and long values only by name, so the log stays small and safe to show.
import type { FieldChange, Tx } from '../store/store.ts';
import type { Actor } from './actor.ts';

/** Every action the log records, as `<target kind>.<what happened>`. */
export const AUDIT_ACTIONS = [
  'check.created',
  'check.updated',
  'check.deleted',
  'check.paused',
  'check.resumed',
  'check.archived',
  'channel.created',
  'channel.updated',
  'channel.deleted',
  'maintenance.created',
  'maintenance.updated',
  'maintenance.deleted',
  'key.created',
  'key.revoked',
  'user.added',
  'user.role_changed',
  'user.removed',
  'user.password_changed',
  'project.created',
  'project.updated',
  'source.created',
  'source.updated',
  'source.deleted',
  'status_page.created',
  'status_page.updated',
  'status_page.deleted',
  'incident.acknowledged',
  // the key that seals channel and source secrets was replaced (vigil secrets rotate)
  'secrets.rotated',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const TARGET_KINDS = [
  'check',
  'channel',
  'maintenance',
  'key',
  'user',
  'project',
  'source',
  'status_page',
  'incident',
  'secrets',
] as const;

export type Changes = Record<string, FieldChange>;

/** A value longer than this (as JSON) is recorded as changed, without the value. */
const MAX_VALUE_JSON = 500;

export interface Change {
  action: AuditAction;
  projectId: string;
  /** what was changed: its id, and its name as it was (deleted) or is now */
  target: { id: string; name: string };
  at: number;
  /** for updates: the fields that changed (see fieldChanges); null otherwise */
  changes?: Changes | null;
}

/** Records a change, in the caller's transaction. */
export async function recordChange(tx: Tx, actor: Actor, change: Change): Promise<void> {
  await tx.insertAudit({
    projectId: change.projectId,
    at: change.at,
    actorKind: actor.kind,
    actorId: actor.id,
    actorLabel: actor.label,
    address: actor.address,
    action: change.action,
    targetKind: change.action.slice(0, change.action.indexOf('.')),
    targetId: change.target.id,
    targetName: change.target.name,
    changes: change.changes ?? null,
  });
}

/** Records an update, or nothing when it changed no field (a save that sent what was there). */
export async function recordUpdate(
  tx: Tx,
  actor: Actor,
  change: Change & { changes: Changes },
): Promise<void> {
  if (Object.keys(change.changes).length > 0) await recordChange(tx, actor, change);
}

/** `maxRuntime` → `max_runtime`: the names the API uses. */
const apiName = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const json = (v: unknown) => JSON.stringify(v ?? null);

/**
 * The fields of `before` and `after` that differ, by their API names: old and new values, or
 * only that it changed for the `secret` fields and for values too long to keep.
 */
export function fieldChanges<T extends object>(
  before: T,
  after: T,
  fields: readonly (keyof T & string)[],
  secret: readonly (keyof T & string)[] = [],
): Changes {
  const out: Changes = {};
  for (const field of fields) {
    const from = json(before[field]);
    const to = json(after[field]);
    if (from === to) continue;
    if (secret.includes(field)) out[apiName(field)] = { hidden: 'secret' };
    else if (from.length > MAX_VALUE_JSON || to.length > MAX_VALUE_JSON)
      out[apiName(field)] = { hidden: 'too_long' };
    else out[apiName(field)] = { from: before[field] ?? null, to: after[field] ?? null };
  }
  return out;
}

/**
 * The config fields that differ, by name only (`config.<field>`): a channel's or source's
 * config holds tokens, passwords and URLs that are secrets themselves, so no value is kept.
 */
export function configChanges(before: Record<string, unknown>, after: Record<string, unknown>): Changes {
  const out: Changes = {};
  for (const field of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (json(before[field]) !== json(after[field])) out[`config.${field}`] = { hidden: 'secret' };
  }
  return out;
}
