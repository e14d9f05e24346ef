// API keys and ping keys. API keys are shown once and stored only as SHA-256 hashes.
import { createHash } from 'node:crypto';
import { type Actor, systemActor } from '../audit/actor.ts';
import { fieldChanges, recordChange, recordUpdate } from '../audit/audit-log.ts';
import { newBadgeKey } from '../store/migrations/003-dashboard.ts';
import type { ApiKey, Project, Store, Tx } from '../store/store.ts';

const API_KEY_PREFIX = 'vgl_';

function randomToken(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  let s = '';
  for (const b of buf) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Synchronous (node:crypto, which Workers' nodejs_compat has too): Web Crypto's digest takes a
 * trip through the thread pool, and a key made inside a transaction would hold SQLite's write
 * lock across it.
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Compares two strings in time that depends only on their length. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function newPingKey(): string {
  return randomToken(16);
}

export interface CreatedKey {
  key: string;
  record: ApiKey;
}

export async function createApiKey(
  tx: Tx,
  projectId: string,
  /** `key`: one the operator chose (the Workers bootstrap key); a new random one when absent */
  opts: { name?: string; readOnly?: boolean; now: number; key?: string },
  actor: Actor,
): Promise<CreatedKey> {
  const key = opts.key ?? API_KEY_PREFIX + randomToken(24);
  const record: ApiKey = {
    id: crypto.randomUUID(),
    projectId,
    name: opts.name ?? (opts.readOnly ? 'read-only key' : 'read-write key'),
    prefix: key.slice(0, 12),
    hash: hashKey(key),
    readOnly: opts.readOnly ?? false,
    createdAt: opts.now,
  };
  await tx.insertApiKey(record);
  await recordChange(tx, actor, {
    action: 'key.created',
    projectId,
    target: keyTarget(record),
    at: opts.now,
    changes: { read_only: { to: record.readOnly } },
  });
  return { key, record };
}

/** Revokes a key at once; false when it was gone already. */
export async function revokeApiKey(tx: Tx, key: ApiKey, now: number, actor: Actor): Promise<boolean> {
  if (!(await tx.deleteApiKey(key.id))) return false;
  await recordChange(tx, actor, {
    action: 'key.revoked',
    projectId: key.projectId,
    target: keyTarget(key),
    at: now,
  });
  return true;
}

/** A key in the audit log: its name and prefix (never more of the key), as lists show it. */
const keyTarget = (k: ApiKey) => ({ id: k.id, name: `${k.name} (${k.prefix}…)` });

/** The project an API key belongs to, or null. */
export async function authenticate(store: Store, key: string): Promise<ApiKey | null> {
  if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) return null;
  const hash = hashKey(key);
  const found = await store.getApiKeyByHash(hash);
  // The lookup is by hash, so timing reveals nothing about the key; compare anyway.
  return found && constantTimeEqual(found.hash, hash) ? found : null;
}

/** Seconds: reminders about one check never come closer together than this, by default. */
export const DEFAULT_SILENCE_PERIOD = 3600;

export async function createProject(tx: Tx, name: string, now: number, actor: Actor): Promise<Project> {
  const project: Project = {
    id: crypto.randomUUID(),
    name,
    pingKey: newPingKey(),
    silencePeriod: DEFAULT_SILENCE_PERIOD,
    badgeKey: newBadgeKey(),
    createdAt: now,
  };
  await tx.insertProject(project);
  await recordChange(tx, actor, {
    action: 'project.created',
    projectId: project.id,
    target: project,
    at: now,
  });
  return project;
}

/** Saves a project's changed settings; its ping and badge keys go into the audit log by name only. */
export async function updateProject(
  tx: Tx,
  before: Project,
  after: Project,
  now: number,
  actor: Actor,
): Promise<void> {
  await tx.updateProject(after);
  await recordUpdate(tx, actor, {
    action: 'project.updated',
    projectId: after.id,
    target: after,
    at: now,
    changes: fieldChanges(
      before,
      after,
      ['name', 'silencePeriod', 'pingKey', 'badgeKey'],
      ['pingKey', 'badgeKey'],
    ),
  });
}

/**
 * On first start with an empty database: a default project and a read-write key, returned
 * so the caller can print them once. Returns null when a project exists already.
 */
export async function bootstrap(
  store: Store,
  now: number,
): Promise<{ project: Project; key: string } | null> {
  try {
    return await store.transaction(async (tx) => {
      if ((await tx.listProjects()).length > 0) return null;
      const actor = systemActor('vigil at first start');
      const project = await createProject(tx, 'default', now, actor);
      const { key } = await createApiKey(tx, project.id, { name: 'bootstrap key', now }, actor);
      return { project, key };
    });
  } catch (err) {
    // Nodes starting together on an empty PostgreSQL database: one bootstraps, the others
    // find its project (its unique name refused theirs) and go on without printing a key.
    if ((await store.listProjects()).length > 0) return null;
    throw err;
  }
}
