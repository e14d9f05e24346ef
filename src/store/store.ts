import type { MaintenanceWindow } from '../core/maintenance.ts';
import type {
  AlertState,
  CheckState,
  EventKind,
  PingKind,
  Probe,
  Schedule,
  Severity,
  Status,
} from '../core/types.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { RotatedSecrets } from './stored-secrets.ts';

export type { AlertState, Probe };

export interface Project {
  id: string;
  name: string;
  pingKey: string;
  /** seconds: reminders about one check never come closer together than this */
  silencePeriod: number;
  /** the key in public badge URLs; reveals nothing else */
  badgeKey: string;
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
  /** channel ids the check names itself: they get its alerts whatever their severity and tag limits */
  channels: string[];
  /** seconds between reminders while the check stays down; null: no reminders */
  realertEvery: number | null;
  /** what a good run looks like, in the team's words (shown with the check and in its alerts) */
  successCriteria: string;
  /** an HTTP probe vigil runs itself (an `http` check); null for checks that are pinged */
  probe: Probe | null;
}

/** Where a discovered check came from: its source and the job's key there (pg_cron's jobid). */
export interface CheckOrigin {
  sourceId: string;
  sourceKey: string;
  /** what the source says about the job as last read (pg_cron: its command, database, user) */
  details: Record<string, string | number | boolean | null>;
}

export interface Check extends CheckConfig, CheckState {
  /** CheckConfig's probe (CheckState has it optional, for the state machine) */
  probe: Probe | null;
  id: string;
  projectId: string;
  statusChangedAt: number;
  /** pings received so far; pings numbered <= pingSeq - retention are pruned */
  pingSeq: number;
  /** when the next reminder is due while the check stays down; null when none is */
  remindAt: number | null;
  /** reminders sent for the current down period */
  remindersSent: number;
  /** bumped by every write; conditional updates compare it */
  rev: number;
  /** set for checks a source discovered; the source owns their name and schedule */
  origin: CheckOrigin | null;
  /** when its job disappeared from its source; archived checks keep their history but leave lists */
  archivedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export type SourceKind = 'pg_cron' | 'supabase';

/**
 * Somewhere vigil goes and looks, because the work there cannot ping: a PostgreSQL database's
 * pg_cron jobs, a Supabase project's edge functions. Each job it finds becomes a check.
 */
export interface Source {
  id: string;
  projectId: string;
  /** unique in the project; the first part of its checks' slugs (`<name>/<job>`) */
  name: string;
  kind: SourceKind;
  /** connection settings; holds secrets (a connection string, a token): never returned or logged */
  config: Record<string, unknown>;
  /** given to the checks it discovers; the team may change them per check afterwards */
  severity: Severity;
  tags: string[];
  /** seconds between syncs */
  syncInterval: number;
  /** seconds of grace given to discovered checks' schedules (a run is seen up to one sync late) */
  grace: number;
  /** where reading stopped, kind-specific JSON (pg_cron: the last run id seen, runs still open) */
  cursor: string | null;
  /** the next sync is due; a claimed sync moves it forward, so one node syncs at a time */
  nextSyncAt: number;
  lastSyncAt: number | null;
  lastSuccessAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  /** the check standing for the source's own health: one alert when it cannot be read */
  healthCheckId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface Ping {
  id: number;
  checkId: string;
  n: number;
  /** when vigil received it: the only time deadlines follow */
  at: number;
  /** when the client says it sent it (its own clock; shown beside `at`, never trusted); null if it did not say */
  clientAt: number | null;
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

export type PingOutcome = Pick<Ping, 'n' | 'at' | 'kind' | 'exitStatus'>;

export interface FlipRow {
  id: number;
  checkId: string;
  at: number;
  from: Status;
  to: Status;
  reason: string;
  /** what the flip means for alerts; null for flips that are not news (first ping, pause) */
  event: EventKind | null;
  alert: AlertState | null;
  /** why it was held, dropped or suppressed, in words */
  alertNote: string | null;
  /** for held and grace: when to look at it again */
  releaseAt: number | null;
}

/** A flip to insert; what is left out of its alert fields is null. */
export type NewFlip = Omit<FlipRow, 'id' | 'event' | 'alert' | 'alertNote' | 'releaseAt'> &
  Partial<Pick<FlipRow, 'event' | 'alert' | 'alertNote' | 'releaseAt'>>;

export interface Channel {
  id: string;
  projectId: string;
  kind: string;
  name: string;
  config: Record<string, unknown>;
  /** which events it takes */
  events: EventKind[];
  /** the lowest and highest check severity it takes */
  minSeverity: Severity;
  maxSeverity: Severity;
  /** when not empty, only checks with at least one of these tags */
  tags: string[];
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
  /** 0 for the flip's alert, n for its n-th reminder */
  seq: number;
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
  seq: number;
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

export type Role = 'owner' | 'member' | 'read-only';

export interface User {
  id: string;
  email: string;
  /** scrypt, as `scrypt$N$r$p$salt$hash` (see src/auth/passwords.ts) */
  passwordHash: string;
  createdAt: number;
}

export interface Membership {
  userId: string;
  projectId: string;
  role: Role;
  createdAt: number;
}

export interface Session {
  /** SHA-256 of the cookie's token */
  id: string;
  userId: string;
  csrfToken: string;
  /** the project the dashboard shows */
  projectId: string | null;
  createdAt: number;
  expiresAt: number;
}

/** A down period of a check: opened by its flip to down, resolved when it leaves down. */
export interface Incident {
  id: number;
  projectId: string;
  checkId: string;
  flipId: number;
  event: EventKind;
  reason: string;
  openedAt: number;
  resolvedAt: number | null;
  acknowledgedAt: number | null;
  /** the email of who acknowledged it */
  acknowledgedBy: string | null;
}

export interface StatusPage {
  id: string;
  projectId: string;
  /** the public URL: /status/<slug> */
  slug: string;
  title: string;
  /** the checks it shows, in this order */
  checkIds: string[];
  createdAt: number;
  updatedAt: number;
}

/** A maintenance window as stored: the core's window plus its owner and times. */
export type Maintenance = MaintenanceWindow & { projectId: string; createdAt: number; updatedAt: number };

/** Who made a change, as the audit log keeps it (src/audit/actor.ts makes the actors). */
export const ACTOR_KINDS = ['api_key', 'user', 'cli', 'system', 'source', 'ping'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** One field of a change: its old and new value, or only that it changed (secrets, long values). */
export interface FieldChange {
  from?: unknown;
  to?: unknown;
  hidden?: 'secret' | 'too_long';
}

/** One entry of a project's audit log: who changed what, when, and from where. */
export interface AuditEntry {
  id: number;
  projectId: string;
  at: number;
  actorKind: ActorKind;
  /** the key's, user's or source's id; null for the CLI, vigil itself and pings */
  actorId: string | null;
  /** a key's name and prefix, a user's email, the CLI's OS user: never a secret */
  actorLabel: string;
  /** the client's address, for changes made over HTTP */
  address: string | null;
  /** `<target kind>.<what happened>`, e.g. `check.updated` */
  action: string;
  targetKind: string;
  targetId: string;
  targetName: string;
  /** the fields an update changed, by name; null when the action says it all (created, deleted) */
  changes: Record<string, FieldChange> | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AuditFilter {
  targetKind?: string;
  targetId?: string;
  action?: string;
  /** at or after (epoch ms) */
  since?: number;
  /** before (epoch ms) */
  until?: number;
}

export interface CheckFilter {
  tag?: string;
  status?: Status;
  slug?: string;
  /** name contains this, ignoring case */
  q?: string;
  /** archived checks are left out unless this is true (then only they are listed) */
  archived?: boolean;
  /** only the checks this source discovered (archived or not) */
  sourceId?: string;
}

/** What /metrics reads from the store at each scrape. */
export interface StatusCounts {
  /** every check, archived ones too (they are paused); statuses with none are absent */
  checks: Partial<Record<Status, number>>;
  /** notifications still to be delivered (pending, leased or waiting for a retry) */
  pendingNotifications: number;
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
  updateProject(p: Project): Promise<void>;
  getProjectByBadgeKey(badgeKey: string): Promise<Project | null>;

  insertUser(u: User): Promise<void>;
  getUser(id: string): Promise<User | null>;
  /** compared without regard to case */
  getUserByEmail(email: string): Promise<User | null>;
  listUsers(): Promise<User[]>;
  updateUser(u: User): Promise<void>;
  /** adds or changes a user's role in a project */
  putMembership(m: Membership): Promise<void>;
  deleteMembership(userId: string, projectId: string): Promise<boolean>;
  /** a user's projects */
  listMemberships(userId: string): Promise<Membership[]>;
  /** a project's members */
  listMembers(projectId: string): Promise<Membership[]>;

  insertSession(s: Session): Promise<void>;
  getSession(id: string): Promise<Session | null>;
  updateSession(s: Session): Promise<void>;
  deleteSession(id: string): Promise<boolean>;
  deleteExpiredSessions(now: number): Promise<number>;
  /** signs a user out everywhere */
  deleteUserSessions(userId: string): Promise<number>;

  insertIncident(i: Omit<Incident, 'id'>): Promise<number>;
  getIncident(id: number): Promise<Incident | null>;
  /** the check's open incident, if it has one */
  openIncident(checkId: string): Promise<Incident | null>;
  resolveIncident(id: number, at: number): Promise<void>;
  acknowledgeIncident(id: number, at: number, by: string): Promise<boolean>;
  /** newest first; `open` only unresolved ones; `after` an incident id cursor (exclusive) */
  listIncidents(
    projectIds: string[],
    opts: { open?: boolean; checkId?: string; limit: number; before?: number },
  ): Promise<Incident[]>;

  insertStatusPage(p: StatusPage): Promise<void>;
  getStatusPage(id: string): Promise<StatusPage | null>;
  getStatusPageBySlug(slug: string): Promise<StatusPage | null>;
  listStatusPages(projectId: string): Promise<StatusPage[]>;
  updateStatusPage(p: StatusPage): Promise<void>;
  deleteStatusPage(id: string): Promise<boolean>;

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
  /** checks whose deadline passed, earliest first (a plain read; the sweep claims them) */
  dueChecks(now: number, limit: number): Promise<Check[]>;
  /** the next deadline anyone can claim: a claimed check's counts from when its claim ends */
  earliestDeadline(): Promise<number | null>;
  /** down checks whose reminder is due, earliest first (a plain read) */
  dueReminders(now: number, limit: number): Promise<Check[]>;
  /** the next reminder anyone can claim, counted as earliestDeadline counts */
  earliestReminder(): Promise<number | null>;
  /**
   * Claims up to `limit` checks whose deadline passed and that nobody holds (or whose claim
   * ended), earliest deadline first, for `owner` until `claimUntil`. Concurrent callers get
   * disjoint checks. The claim only keeps other nodes away; writes still compare the rev.
   */
  claimDueChecks(now: number, claimUntil: number, limit: number, owner: string): Promise<Check[]>;
  /** Claims down checks whose reminder is due, as claimDueChecks does. */
  claimDueReminders(now: number, claimUntil: number, limit: number, owner: string): Promise<Check[]>;
  /** Ends `owner`'s claims on these checks (the work is done, or given up). */
  releaseCheckClaims(owner: string, checkIds: string[]): Promise<void>;
  /** checks with a deadline in (from, to]: the ones vigil's own outage may have starved */
  checksWithDeadlineBetween(from: number, to: number, limit: number, afterId: string): Promise<Check[]>;

  /**
   * Inserts the ping as number c.pingSeq and prunes pings older than the retention. (On
   * PostgreSQL each ping prunes the one it pushes out; what a lowered retention left behind
   * goes at the next 256th ping.)
   */
  insertPing(p: Omit<Ping, 'id'>, retention: number): Promise<void>;
  /**
   * insertPing for many pings at once (a group commit's batch), in as few statements as the
   * engine allows; each check keeps its newest `retention` pings.
   */
  insertPings(pings: readonly Omit<Ping, 'id'>[], retention: number): Promise<void>;
  listPings(checkId: string, page: Page): Promise<Ping[]>;
  /** like listPings without the bodies: what a strip of recent results needs */
  listPingOutcomes(checkId: string, limit: number): Promise<PingOutcome[]>;
  lastPing(checkId: string): Promise<Ping | null>;
  insertFlip(f: NewFlip): Promise<number>;
  getFlip(id: number): Promise<FlipRow | null>;
  /** newest first */
  listFlips(checkId: string, page: Page): Promise<FlipRow[]>;
  /** the check's newest flip */
  lastFlip(checkId: string): Promise<FlipRow | null>;
  /** the check's flips in [from, to), oldest first, plus the last one before `from` (for the
   * status at `from`), at most `limit` */
  flipsForUptime(checkId: string, from: number, to: number, limit: number): Promise<FlipRow[]>;
  setFlipAlert(id: number, alert: AlertState, note: string | null, releaseAt: number | null): Promise<void>;
  /** held and grace flips whose release time has come, earliest first */
  dueReleases(now: number, limit: number): Promise<FlipRow[]>;
  /** the next release anyone can claim, counted as earliestDeadline counts */
  earliestRelease(): Promise<number | null>;
  /** Claims held and grace flips whose release time has come, as claimDueChecks does. */
  claimDueReleases(now: number, claimUntil: number, limit: number, owner: string): Promise<FlipRow[]>;
  /** Ends `owner`'s claims on these flips. */
  releaseFlipClaims(owner: string, flipIds: number[]): Promise<void>;
  /** brings the release of the project's held alerts forward to `at`, to look at them again
   * after its maintenance windows changed; returns how many */
  reviewHeld(projectId: string, at: number): Promise<number>;

  insertChannel(c: Channel): Promise<void>;
  getChannel(id: string): Promise<Channel | null>;
  listChannels(projectId: string): Promise<Channel[]>;
  updateChannel(c: Channel): Promise<void>;
  deleteChannel(id: string): Promise<boolean>;

  insertMaintenance(m: Maintenance): Promise<void>;
  getMaintenance(id: string): Promise<Maintenance | null>;
  listMaintenance(projectId: string): Promise<Maintenance[]>;
  updateMaintenance(m: Maintenance): Promise<void>;
  deleteMaintenance(id: string): Promise<boolean>;

  /** skips a (flip, channel, seq) that already has a row */
  insertNotifications(rows: NewNotification[]): Promise<void>;
  /**
   * Leases up to `limit` due rows until `leaseUntil`, earliest due first, skipping the rows of
   * `excludeChannels` (channels already at their share of deliveries in flight). The lease
   * records `owner` (a node id), so that node can free it early after a restart. A row waits
   * while an older row of its channel and check is pending (in flight or waiting for a retry):
   * one channel gets one check's alerts in the order they were queued, one at a time.
   */
  claimNotifications(
    now: number,
    leaseUntil: number,
    limit: number,
    excludeChannels?: string[],
    owner?: string | null,
  ): Promise<Notification[]>;
  /**
   * When the next row anyone can claim falls due, a leased row counting as the time its lease
   * ends. Rows waiting behind an older one do not count: that one finishing wakes the dispatcher.
   */
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
  /**
   * Makes the channel's pending rows that wait for a later attempt due at `now`: its provider
   * just took an alert again after failing. Returns how many were brought forward.
   */
  retryChannelNow(channelId: string, now: number): Promise<number>;
  /**
   * Frees every delivery lease and sweep claim `owner` holds: a node starting again under the
   * same id takes back its work at once instead of when the leases end. Returns the leases freed.
   */
  releaseLeases(owner: string): Promise<number>;
  listNotifications(checkId: string, limit: number): Promise<Notification[]>;

  insertSource(s: Source): Promise<void>;
  getSource(id: string): Promise<Source | null>;
  getSourceByName(projectId: string, name: string): Promise<Source | null>;
  /** a project's sources by name; every source when no project is given */
  listSources(projectId?: string): Promise<Source[]>;
  updateSource(s: Source): Promise<void>;
  deleteSource(id: string): Promise<boolean>;
  /**
   * Moves the next sync of up to `limit` due sources to `leaseUntil` and returns them: a node
   * that claims a source syncs it, and if it dies the source is due again at `leaseUntil`.
   */
  claimDueSources(now: number, leaseUntil: number, limit: number): Promise<Source[]>;
  /** every check a source discovered, archived ones included */
  listSourceChecks(sourceId: string): Promise<Check[]>;

  /**
   * Moves the next probe of up to `limit` due http checks to `leaseUntil` and returns them, as
   * claimDueSources does for syncs.
   */
  claimDueProbes(now: number, leaseUntil: number, limit: number): Promise<Check[]>;
  /** when the check's next probe is due; null stops probing it */
  setProbeNextAt(checkId: string, at: number | null): Promise<void>;
  earliestProbeDue(): Promise<number | null>;

  insertAudit(e: NewAuditEntry): Promise<void>;
  /** a project's entries newest first; `after` is an opaque cursor from a previous page */
  listAudit(
    projectId: string,
    filter: AuditFilter,
    page: Page,
  ): Promise<{ entries: AuditEntry[]; next: string | null }>;
  /** deletes up to `limit` entries older than `before`; returns how many */
  pruneAudit(before: number, limit: number): Promise<number>;

  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;

  /** checks per status and the outbox depth, for /metrics (one statement) */
  statusCounts(): Promise<StatusCounts>;

  /** deletes flips older than `flipsBefore` and finished notifications older than `notificationsBefore` */
  prune(flipsBefore: number, notificationsBefore: number, limit: number): Promise<number>;
}

export interface Store extends Tx {
  readonly engine: 'sqlite' | 'postgres' | 'd1';
  /**
   * Runs `fn` in one transaction; it commits when `fn` resolves, rolls back when it throws.
   * On D1, where a transaction's writes are one batch sent at the end, `fn` runs again (up to a
   * few times) when the batch finds that a row it relied on changed meanwhile: keep what `fn`
   * does outside the transaction idempotent, or start it afresh in `fn`.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Run once at start, in one transaction: proves the store's secret key is the one the
   * stored channel and source secrets were sealed with (a SecretKeyError naming the fix if
   * not), and seals the ones still stored plain. Returns how many it sealed. See
   * stored-secrets.ts.
   */
  sealSecrets(): Promise<number>;
  /**
   * `vigil secrets rotate`, in one transaction: opens every stored channel and source secret
   * with the store's key and seals it with `to`, records `to`'s id, and runs `record` (the
   * audit entries; its tx is for writing them, not for reading secrets) in the same
   * transaction. Afterwards only `to` opens them, not this store's own key: close it. See
   * rotateStoredSecrets in stored-secrets.ts.
   */
  rotateSecrets(
    to: SecretBox,
    record?: (tx: Tx, rotated: RotatedSecrets) => Promise<void>,
  ): Promise<RotatedSecrets>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A row changed under a conditional write (a check's rev moved on): the caller re-reads and
 * tries again. On D1 a transaction finds this out at commit, and the store runs it again.
 */
export class ConflictError extends Error {}

/** The transaction committed, but the disk did not confirm it: do not retry it blindly. */
export class SyncError extends Error {}

/**
 * Whether a write failed on a unique key (SQLite's SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY,
 * PostgreSQL's 23505): two requests created the same thing at once, and the later one lost.
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
