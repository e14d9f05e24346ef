import type { CheckState, EventKind, PingKind, Schedule, Severity, Status } from '../core/types.ts';

export interface Project {
  id: string;
  name: string;
  pingKey: string;
  createdAt: number;
}

export interface ApiKey {
  id: string;
  projectId: string;
  name: string;
  /** the first characters of the key, to tell keys apart in lists */
  prefix: string;
  hash: string;
  readOnly: boolean;
  createdAt: number;
}

export type Methods = 'any' | 'post';

/** Settings a user edits. */
export interface CheckConfig {
  name: string;
  slug: string;
  description: string;
  tags: string[];
  schedule: Schedule;
  maxRuntime: number | null;
  failureThreshold: number;
  severity: Severity;
  manualResume: boolean;
  methods: Methods;
}

export interface Check extends CheckConfig, CheckState {
  id: string;
  projectId: string;
  statusChangedAt: number;
  /** pings received so far; pings numbered <= pingSeq - retention are pruned */
  pingSeq: number;
  /** bumped by every write; conditional updates compare it */
  rev: number;
  createdAt: number;
  updatedAt: number;
}

export interface Ping {
  id: number;
  checkId: string;
  n: number;
  at: number;
  kind: PingKind;
  exitStatus: number | null;
  method: string;
  source: string | null;
  userAgent: string | null;
  rid: string | null;
  durationMs: number | null;
  body: string | null;
  truncated: boolean;
}

export interface FlipRow {
  id: number;
  checkId: string;
  at: number;
  from: Status;
  to: Status;
  reason: string;
}

export interface Channel {
  id: string;
  projectId: string;
  kind: string;
  name: string;
  config: Record<string, unknown>;
  /** which events it takes: 'down', 'up', 'late' */
  events: EventKind[];
  brokenReason: string | null;
  brokenAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export type NotificationStatus = 'pending' | 'delivered' | 'failed';

export interface Notification {
  id: number;
  flipId: number;
  channelId: string;
  projectId: string;
  checkId: string;
  event: EventKind;
  /** the AlertPayload as JSON, snapshotted when the flip committed */
  payload: string;
  status: NotificationStatus;
  attempts: number;
  nextAttemptAt: number;
  leaseUntil: number | null;
  createdAt: number;
  doneAt: number | null;
  lastError: string | null;
}

export interface NewNotification {
  flipId: number;
  channelId: string;
  projectId: string;
  checkId: string;
  event: EventKind;
  payload: string;
  nextAttemptAt: number;
  createdAt: number;
}

export interface Attempt {
  notificationId: number;
  at: number;
  outcome: 'delivered' | 'retry' | 'failed';
  error: string | null;
  durationMs: number;
}

export interface CheckFilter {
  tag?: string;
  status?: Status;
  slug?: string;
}

export interface Page {
  limit: number;
  /** return rows ordered after this cursor (exclusive) */
  after?: string | number;
}

/**
 * Every read and write vigil does. Methods run in their own transaction, or in the
 * caller's when reached through `transaction()`.
 */
export interface Tx {
  insertProject(p: Project): Promise<void>;
  getProject(id: string): Promise<Project | null>;
  getProjectByName(name: string): Promise<Project | null>;
  getProjectByPingKey(pingKey: string): Promise<Project | null>;
  listProjects(): Promise<Project[]>;

  insertApiKey(k: ApiKey): Promise<void>;
  getApiKeyByHash(hash: string): Promise<ApiKey | null>;
  listApiKeys(projectId?: string): Promise<ApiKey[]>;
  /** by id or prefix; returns whether one was deleted */
  deleteApiKey(idOrPrefix: string): Promise<boolean>;

  insertCheck(c: Check): Promise<void>;
  getCheck(id: string): Promise<Check | null>;
  getCheckBySlug(projectId: string, slug: string): Promise<Check | null>;
  /** the oldest check with exactly this name (names need not be unique) */
  getCheckByName(projectId: string, name: string): Promise<Check | null>;
  /** ordered by name then id; `after` is an opaque cursor from a previous page */
  listChecks(
    projectId: string,
    filter: CheckFilter,
    page: Page,
  ): Promise<{ checks: Check[]; next: string | null }>;
  /** writes the whole row if its rev is still `expectedRev`; returns false if someone else wrote first */
  updateCheck(c: Check, expectedRev: number): Promise<boolean>;
  /**
   * Like updateCheck, but writes only what state changes move (status, counters, times,
   * open runs, deadline, ping_seq, rev): the hot path of every ping and flip.
   */
  updateCheckState(c: Check, expectedRev: number): Promise<boolean>;
  deleteCheck(id: string): Promise<boolean>;
  /** checks whose deadline passed, earliest first */
  dueChecks(now: number, limit: number): Promise<Check[]>;
  earliestDeadline(): Promise<number | null>;
  /** checks with a deadline in (from, to]: the ones vigil's own outage may have starved */
  checksWithDeadlineBetween(from: number, to: number, limit: number, afterId: string): Promise<Check[]>;

  /** inserts the ping as number c.pingSeq and prunes pings older than the retention */
  insertPing(p: Omit<Ping, 'id'>, retention: number): Promise<number>;
  listPings(checkId: string, page: Page): Promise<Ping[]>;
  lastPing(checkId: string): Promise<Ping | null>;
  insertFlip(f: Omit<FlipRow, 'id'>): Promise<number>;
  listFlips(checkId: string, page: Page): Promise<FlipRow[]>;

  insertChannel(c: Channel): Promise<void>;
  getChannel(id: string): Promise<Channel | null>;
  listChannels(projectId: string): Promise<Channel[]>;
  updateChannel(c: Channel): Promise<void>;
  deleteChannel(id: string): Promise<boolean>;

  /** skips a (flip, channel) pair that already has a row */
  insertNotifications(rows: NewNotification[]): Promise<void>;
  /**
   * Leases up to `limit` due rows until `leaseUntil`, earliest due first, skipping the rows of
   * `excludeChannels` (channels already at their share of deliveries in flight).
   */
  claimNotifications(
    now: number,
    leaseUntil: number,
    limit: number,
    excludeChannels?: string[],
  ): Promise<Notification[]>;
  earliestNotificationDue(): Promise<number | null>;
  recordAttempt(a: Attempt): Promise<void>;
  listAttempts(notificationId: number): Promise<Attempt[]>;
  finishNotification(
    id: number,
    status: 'delivered' | 'failed',
    at: number,
    error: string | null,
  ): Promise<void>;
  retryNotification(id: number, nextAttemptAt: number, error: string): Promise<void>;
  /** drops every lease (a single node restarting owns all of them) */
  releaseLeases(): Promise<number>;
  listNotifications(checkId: string, limit: number): Promise<Notification[]>;

  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;

  /** deletes flips older than `flipsBefore` and finished notifications older than `notificationsBefore` */
  prune(flipsBefore: number, notificationsBefore: number, limit: number): Promise<number>;
}

export interface Store extends Tx {
  readonly engine: 'sqlite' | 'postgres';
  /** runs `fn` in one transaction; it commits when `fn` resolves, rolls back when it throws */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The transaction committed, but the disk did not confirm it: do not retry it blindly. */
export class SyncError extends Error {}
