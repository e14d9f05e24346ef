// Converting between database rows (snake_case, 0/1, JSON text) and domain objects.
// Shared by every engine.
import { openText, type SecretBox, sealText } from '../secrets/secret-box.ts';
import type {
  ApiKey,
  Attempt,
  Channel,
  Check,
  FlipRow,
  Incident,
  Maintenance,
  Membership,
  Notification,
  Ping,
  Project,
  Session,
  Source,
  StatusPage,
  User,
} from './store.ts';
import { secretContext } from './stored-secrets.ts';

export type Row = Record<string, unknown>;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export const toProject = (r: Row): Project => ({
  id: String(r.id),
  name: String(r.name),
  pingKey: String(r.ping_key),
  silencePeriod: num(r.silence_period),
  badgeKey: String(r.badge_key),
  createdAt: num(r.created_at),
});

export const toUser = (r: Row): User => ({
  id: String(r.id),
  email: String(r.email),
  passwordHash: String(r.password_hash),
  createdAt: num(r.created_at),
});

export const toMembership = (r: Row): Membership => ({
  userId: String(r.user_id),
  projectId: String(r.project_id),
  role: r.role as Membership['role'],
  createdAt: num(r.created_at),
});

export const toSession = (r: Row): Session => ({
  id: String(r.id),
  userId: String(r.user_id),
  csrfToken: String(r.csrf_token),
  projectId: strOrNull(r.project_id),
  createdAt: num(r.created_at),
  expiresAt: num(r.expires_at),
});

export const toIncident = (r: Row): Incident => ({
  id: num(r.id),
  projectId: String(r.project_id),
  checkId: String(r.check_id),
  flipId: num(r.flip_id),
  event: r.event as Incident['event'],
  reason: String(r.reason),
  openedAt: num(r.opened_at),
  resolvedAt: numOrNull(r.resolved_at),
  acknowledgedAt: numOrNull(r.acknowledged_at),
  acknowledgedBy: strOrNull(r.acknowledged_by),
});

export const toStatusPage = (r: Row): StatusPage => ({
  id: String(r.id),
  projectId: String(r.project_id),
  slug: String(r.slug),
  title: String(r.title),
  checkIds: JSON.parse(String(r.check_ids)),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

export const toApiKey = (r: Row): ApiKey => ({
  id: String(r.id),
  projectId: String(r.project_id),
  name: String(r.name),
  prefix: String(r.prefix),
  hash: String(r.hash),
  readOnly: num(r.read_only) === 1,
  createdAt: num(r.created_at),
});

/** Column values in the order of CHECK_COLUMNS. */
export const CHECK_COLUMNS = [
  'id',
  'project_id',
  'name',
  'slug',
  'description',
  'tags',
  'schedule',
  'max_runtime',
  'failure_threshold',
  'severity',
  'manual_resume',
  'methods',
  'channels',
  'realert_every',
  'success_criteria',
  'probe',
  'source_id',
  'source_key',
  'source_details',
  'archived_at',
  'status',
  'failure_count',
  'last_ping_at',
  'open_runs',
  'next_deadline',
  'status_changed_at',
  'ping_seq',
  'remind_at',
  'reminders_sent',
  'rev',
  'created_at',
  'updated_at',
] as const;

export const checkValues = (c: Check): unknown[] => [
  c.id,
  c.projectId,
  c.name,
  c.slug,
  c.description,
  JSON.stringify(c.tags),
  JSON.stringify(c.schedule),
  c.maxRuntime,
  c.failureThreshold,
  c.severity,
  c.manualResume ? 1 : 0,
  c.methods,
  JSON.stringify(c.channels),
  c.realertEvery,
  c.successCriteria,
  c.probe === null ? null : JSON.stringify(c.probe),
  c.origin?.sourceId ?? null,
  c.origin?.sourceKey ?? null,
  c.origin ? JSON.stringify(c.origin.details) : null,
  c.archivedAt,
  c.status,
  c.failureCount,
  c.lastPingAt,
  JSON.stringify(c.openRuns),
  c.nextDeadline,
  c.statusChangedAt,
  c.pingSeq,
  c.remindAt,
  c.remindersSent,
  c.rev,
  c.createdAt,
  c.updatedAt,
];

/** Where each of CHECK_COLUMNS stands in a raw row, so adding a column cannot shift the others. */
const col = Object.fromEntries(CHECK_COLUMNS.map((name, i) => [name, i])) as Record<
  (typeof CHECK_COLUMNS)[number],
  number
>;

/** A check from its column values in CHECK_COLUMNS order (a raw row: no per-row key lookups). */
export function checkFromValues(v: unknown[]): Check {
  return {
    id: String(v[col.id]),
    projectId: String(v[col.project_id]),
    name: String(v[col.name]),
    slug: String(v[col.slug]),
    description: String(v[col.description]),
    tags: JSON.parse(String(v[col.tags])),
    schedule: JSON.parse(String(v[col.schedule])),
    maxRuntime: numOrNull(v[col.max_runtime]),
    failureThreshold: num(v[col.failure_threshold]),
    severity: v[col.severity] as Check['severity'],
    manualResume: num(v[col.manual_resume]) === 1,
    methods: v[col.methods] as Check['methods'],
    channels: JSON.parse(String(v[col.channels])),
    realertEvery: numOrNull(v[col.realert_every]),
    successCriteria: String(v[col.success_criteria]),
    probe: v[col.probe] == null ? null : JSON.parse(String(v[col.probe])),
    origin:
      v[col.source_id] == null
        ? null
        : {
            sourceId: String(v[col.source_id]),
            sourceKey: String(v[col.source_key]),
            details: v[col.source_details] == null ? {} : JSON.parse(String(v[col.source_details])),
          },
    archivedAt: numOrNull(v[col.archived_at]),
    status: v[col.status] as Check['status'],
    failureCount: num(v[col.failure_count]),
    lastPingAt: numOrNull(v[col.last_ping_at]),
    openRuns: JSON.parse(String(v[col.open_runs])),
    nextDeadline: numOrNull(v[col.next_deadline]),
    statusChangedAt: num(v[col.status_changed_at]),
    pingSeq: num(v[col.ping_seq]),
    remindAt: numOrNull(v[col.remind_at]),
    remindersSent: num(v[col.reminders_sent]),
    rev: num(v[col.rev]),
    createdAt: num(v[col.created_at]),
    updatedAt: num(v[col.updated_at]),
  };
}

/**
 * A copy of a check, built as checkFromValues builds one: every check then has one shape, and
 * V8 copies it field by field in a few nanoseconds. (`{ ...check }` over checks built in
 * different ways cost microseconds per copy, several times per ping.)
 */
export function copyCheck(c: Check): Check {
  return {
    id: c.id,
    projectId: c.projectId,
    name: c.name,
    slug: c.slug,
    description: c.description,
    tags: c.tags,
    schedule: c.schedule,
    maxRuntime: c.maxRuntime,
    failureThreshold: c.failureThreshold,
    severity: c.severity,
    manualResume: c.manualResume,
    methods: c.methods,
    channels: c.channels,
    realertEvery: c.realertEvery,
    successCriteria: c.successCriteria,
    probe: c.probe,
    origin: c.origin,
    archivedAt: c.archivedAt,
    status: c.status,
    failureCount: c.failureCount,
    lastPingAt: c.lastPingAt,
    openRuns: c.openRuns,
    nextDeadline: c.nextDeadline,
    statusChangedAt: c.statusChangedAt,
    pingSeq: c.pingSeq,
    remindAt: c.remindAt,
    remindersSent: c.remindersSent,
    rev: c.rev,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** The columns a state change writes: what the state machine and ingest move. */
export const CHECK_STATE_COLUMNS = [
  'status',
  'failure_count',
  'last_ping_at',
  'open_runs',
  'next_deadline',
  'status_changed_at',
  'ping_seq',
  'remind_at',
  'reminders_sent',
  'rev',
  'updated_at',
] as const;

export const checkStateValues = (c: Check): unknown[] => [
  c.status,
  c.failureCount,
  c.lastPingAt,
  JSON.stringify(c.openRuns),
  c.nextDeadline,
  c.statusChangedAt,
  c.pingSeq,
  c.remindAt,
  c.remindersSent,
  c.rev,
  c.updatedAt,
];

/** A ping's columns, in the order pingValues gives them (the id is the database's). */
export const PING_COLUMNS = [
  'check_id',
  'n',
  'at',
  'kind',
  'exit_status',
  'method',
  'source',
  'user_agent',
  'rid',
  'duration_ms',
  'body',
  'truncated',
  'client_at',
] as const;

export const pingValues = (p: Omit<Ping, 'id'>): unknown[] => [
  p.checkId,
  p.n,
  p.at,
  p.kind,
  p.exitStatus,
  p.method,
  p.source,
  p.userAgent,
  p.rid,
  p.durationMs,
  p.body,
  p.truncated ? 1 : 0,
  p.clientAt,
];

/** The newest `n` of each check among `pings`: what a batch's pruning goes by. */
export function newestPingOfEach(pings: readonly Omit<Ping, 'id'>[]): Map<string, number> {
  const newest = new Map<string, number>();
  for (const p of pings) newest.set(p.checkId, Math.max(newest.get(p.checkId) ?? 0, p.n));
  return newest;
}

export const toPing = (r: Row): Ping => ({
  id: num(r.id),
  checkId: String(r.check_id),
  n: num(r.n),
  at: num(r.at),
  clientAt: numOrNull(r.client_at),
  kind: r.kind as Ping['kind'],
  exitStatus: numOrNull(r.exit_status),
  method: String(r.method),
  source: strOrNull(r.source),
  userAgent: strOrNull(r.user_agent),
  rid: strOrNull(r.rid),
  durationMs: numOrNull(r.duration_ms),
  body: strOrNull(r.body),
  truncated: num(r.truncated) === 1,
});

export const toFlip = (r: Row): FlipRow => ({
  id: num(r.id),
  checkId: String(r.check_id),
  at: num(r.at),
  from: r.from_status as FlipRow['from'],
  to: r.to_status as FlipRow['to'],
  reason: String(r.reason),
  event: strOrNull(r.event) as FlipRow['event'],
  alert: strOrNull(r.alert) as FlipRow['alert'],
  alertNote: strOrNull(r.alert_note),
  releaseAt: numOrNull(r.release_at),
});

/** Column values in the order of CHANNEL_COLUMNS; both engines insert with these. */
export const CHANNEL_COLUMNS = [
  'id',
  'project_id',
  'kind',
  'name',
  'config',
  'events',
  'min_severity',
  'max_severity',
  'tags',
  'broken_reason',
  'broken_at',
  'created_at',
  'updated_at',
] as const;

export const channelValues = (c: Channel, box: SecretBox | null): unknown[] => [
  c.id,
  c.projectId,
  c.kind,
  ...channelUpdateValues(c, box).slice(0, -1),
  c.createdAt,
  c.updatedAt,
];

/** What an update writes (a channel's id, project and kind never change), in this order. */
export const CHANNEL_UPDATE_COLUMNS = [
  'name',
  'config',
  'events',
  'min_severity',
  'max_severity',
  'tags',
  'broken_reason',
  'broken_at',
  'updated_at',
] as const;

/** The config is sealed with `box` (plain without one): it holds the channel's secrets. */
export const channelUpdateValues = (c: Channel, box: SecretBox | null): unknown[] => [
  c.name,
  sealText(box, JSON.stringify(c.config), secretContext('channels', c.id)),
  JSON.stringify(c.events),
  c.minSeverity,
  c.maxSeverity,
  JSON.stringify(c.tags),
  c.brokenReason,
  c.brokenAt,
  c.updatedAt,
];

export const toChannel = (r: Row, box: SecretBox | null): Channel => ({
  id: String(r.id),
  projectId: String(r.project_id),
  kind: String(r.kind),
  name: String(r.name),
  config: JSON.parse(openText(box, String(r.config), secretContext('channels', String(r.id)))),
  events: JSON.parse(String(r.events)),
  minSeverity: r.min_severity as Channel['minSeverity'],
  maxSeverity: r.max_severity as Channel['maxSeverity'],
  tags: JSON.parse(String(r.tags)),
  brokenReason: strOrNull(r.broken_reason),
  brokenAt: numOrNull(r.broken_at),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

export const toNotification = (r: Row): Notification => ({
  id: num(r.id),
  flipId: num(r.flip_id),
  channelId: String(r.channel_id),
  seq: num(r.seq),
  projectId: String(r.project_id),
  checkId: String(r.check_id),
  event: r.event as Notification['event'],
  payload: String(r.payload),
  status: r.status as Notification['status'],
  attempts: num(r.attempts),
  nextAttemptAt: num(r.next_attempt_at),
  leaseUntil: numOrNull(r.lease_until),
  createdAt: num(r.created_at),
  doneAt: numOrNull(r.done_at),
  lastError: strOrNull(r.last_error),
});

export const toAttempt = (r: Row): Attempt => ({
  notificationId: num(r.notification_id),
  at: num(r.at),
  outcome: r.outcome as Attempt['outcome'],
  error: strOrNull(r.error),
  durationMs: num(r.duration_ms),
});

/** Opaque list cursors: base64url JSON of the sort key of the last row. */
export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string): string[] | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string') ? v : null;
  } catch {
    return null;
  }
}

export const maintenanceValues = (m: Maintenance): unknown[] => [
  m.id,
  m.projectId,
  m.name,
  m.kind,
  m.kind === 'once' ? m.startsAt : null,
  m.kind === 'once' ? m.endsAt : null,
  m.kind === 'recurring' ? m.cron : null,
  m.kind === 'recurring' ? m.timezone : null,
  m.kind === 'recurring' ? m.duration : null,
  JSON.stringify(m.checkIds),
  JSON.stringify(m.tags),
  m.createdAt,
  m.updatedAt,
];

export const MAINTENANCE_COLUMNS = [
  'id',
  'project_id',
  'name',
  'kind',
  'starts_at',
  'ends_at',
  'cron',
  'timezone',
  'duration',
  'check_ids',
  'tags',
  'created_at',
  'updated_at',
] as const;

export function toMaintenance(r: Row): Maintenance {
  const common = {
    id: String(r.id),
    projectId: String(r.project_id),
    name: String(r.name),
    checkIds: JSON.parse(String(r.check_ids)) as string[],
    tags: JSON.parse(String(r.tags)) as string[],
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
  return r.kind === 'once'
    ? { ...common, kind: 'once', startsAt: num(r.starts_at), endsAt: num(r.ends_at) }
    : {
        ...common,
        kind: 'recurring',
        cron: String(r.cron),
        timezone: String(r.timezone),
        duration: num(r.duration),
      };
}

/** Source column values in the order of SOURCE_COLUMNS. */
export const SOURCE_COLUMNS = [
  'id',
  'project_id',
  'name',
  'kind',
  'config',
  'severity',
  'tags',
  'sync_interval',
  'grace',
  'cursor',
  'next_sync_at',
  'last_sync_at',
  'last_success_at',
  'last_error',
  'last_error_at',
  'health_check_id',
  'created_at',
  'updated_at',
] as const;

/** The config is sealed with `box` (plain without one): it holds the connection string or token. */
export const sourceValues = (s: Source, box: SecretBox | null): unknown[] => [
  s.id,
  s.projectId,
  s.name,
  s.kind,
  sealText(box, JSON.stringify(s.config), secretContext('sources', s.id)),
  s.severity,
  JSON.stringify(s.tags),
  s.syncInterval,
  s.grace,
  s.cursor,
  s.nextSyncAt,
  s.lastSyncAt,
  s.lastSuccessAt,
  s.lastError,
  s.lastErrorAt,
  s.healthCheckId,
  s.createdAt,
  s.updatedAt,
];

export const toSource = (r: Row, box: SecretBox | null): Source => ({
  id: String(r.id),
  projectId: String(r.project_id),
  name: String(r.name),
  kind: r.kind as Source['kind'],
  config: JSON.parse(openText(box, String(r.config), secretContext('sources', String(r.id)))),
  severity: r.severity as Source['severity'],
  tags: JSON.parse(String(r.tags)),
  syncInterval: num(r.sync_interval),
  grace: num(r.grace),
  cursor: strOrNull(r.cursor),
  nextSyncAt: num(r.next_sync_at),
  lastSyncAt: numOrNull(r.last_sync_at),
  lastSuccessAt: numOrNull(r.last_success_at),
  lastError: strOrNull(r.last_error),
  lastErrorAt: numOrNull(r.last_error_at),
  healthCheckId: strOrNull(r.health_check_id),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});
