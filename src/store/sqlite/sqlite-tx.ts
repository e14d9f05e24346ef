import type { SecretBox } from '../../secrets/secret-box.ts';
import { AUDIT_COLUMNS, auditPage, auditPageQuery, auditValues } from '../audit-rows.ts';
import { earliestClaimable } from '../outbox-due.ts';
import {
  CHANNEL_COLUMNS,
  CHANNEL_UPDATE_COLUMNS,
  CHECK_COLUMNS,
  CHECK_STATE_COLUMNS,
  channelUpdateValues,
  channelValues,
  checkFromValues,
  checkStateValues,
  checkValues,
  decodeCursor,
  encodeCursor,
  MAINTENANCE_COLUMNS,
  maintenanceValues,
  newestPingOfEach,
  PING_COLUMNS,
  pingValues,
  type Row,
  SOURCE_COLUMNS,
  sourceValues,
  toApiKey,
  toAttempt,
  toChannel,
  toFlip,
  toIncident,
  toMaintenance,
  toMembership,
  toNotification,
  toPing,
  toProject,
  toSession,
  toSource,
  toStatusPage,
  toUser,
} from '../rows.ts';
import { STATUS_COUNTS_SQL, toStatusCounts } from '../status-counts.ts';
import type { Check, Notification, PingOutcome, Tx } from '../store.ts';
import type { SqlPort, WriteResult } from './sql-port.ts';
import {
  claimDeadlines,
  claimReleases,
  claimReminders,
  EARLIEST_DEADLINE,
  EARLIEST_RELEASE,
  EARLIEST_REMINDER,
  releaseClaims,
  releaseOwner,
} from './sqlite-claims.ts';

const CHECK_INSERT = `INSERT INTO checks (${CHECK_COLUMNS.join(', ')}) VALUES (${CHECK_COLUMNS.map(() => '?').join(', ')})`;
const CHANNEL_INSERT = `INSERT INTO channels (${CHANNEL_COLUMNS.join(', ')}) VALUES (${CHANNEL_COLUMNS.map(() => '?').join(', ')})`;
const CHANNEL_UPDATE = `UPDATE channels SET ${CHANNEL_UPDATE_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`;
const SOURCE_INSERT = `INSERT INTO sources (${SOURCE_COLUMNS.join(', ')}) VALUES (${SOURCE_COLUMNS.map(() => '?').join(', ')})`;
const SOURCE_UPDATE = `UPDATE sources SET ${SOURCE_COLUMNS.slice(1)
  .map((c) => `${c} = ?`)
  .join(', ')} WHERE id = ?`;
/**
 * Outbox row `n` waits: an older alert of its channel and check is still pending (in flight or
 * waiting for a retry). One probe of the partial index notifications_pending_order.
 */
const BEHIND_OLDER = `EXISTS (SELECT 1 FROM notifications o WHERE o.status = 'pending'
  AND o.channel_id = n.channel_id AND o.check_id = n.check_id AND o.id < n.id)`;
/**
 * The channels with pending alerts: one probe of notifications_channel_due per channel (a loose
 * index scan; named, or SQLite sorts every pending row by channel through notifications_due),
 * and one more for each one's oldest alert; those with nothing due by `?` are left out.
 */
const PENDING_CHANNELS = `WITH RECURSIVE ch(id) AS (
    SELECT (SELECT channel_id FROM notifications INDEXED BY notifications_channel_due
            WHERE status = 'pending' AND next_attempt_at IS NOT NULL ORDER BY channel_id LIMIT 1)
    UNION ALL
    SELECT (SELECT channel_id FROM notifications INDEXED BY notifications_channel_due
            WHERE status = 'pending' AND next_attempt_at IS NOT NULL AND channel_id > ch.id
            ORDER BY channel_id LIMIT 1)
    FROM ch WHERE ch.id IS NOT NULL)
  SELECT channel_id, t FROM (
    SELECT id AS channel_id, (SELECT MIN(next_attempt_at) FROM notifications
                              WHERE status = 'pending' AND next_attempt_at IS NOT NULL
                                AND channel_id = ch.id) AS t
    FROM ch WHERE id IS NOT NULL)
  WHERE t <= ?`;
/** One channel's claimable rows, oldest due first. */
const CHANNEL_DUE = `SELECT id, next_attempt_at FROM notifications n
  WHERE status = 'pending' AND channel_id = ? AND next_attempt_at <= ?
    AND (lease_until IS NULL OR lease_until <= ?) AND NOT ${BEHIND_OLDER}
  ORDER BY next_attempt_at LIMIT ?`;
/** Pending rows in the order they fall due, after (next_attempt_at, id), with whether each waits (outbox-due.ts). */
const DUE_ORDER_PAGE = `SELECT id, next_attempt_at, lease_until, ${BEHIND_OLDER} AS behind
  FROM notifications n WHERE status = 'pending'
    AND (next_attempt_at > ? OR (next_attempt_at = ? AND id > ?))
  ORDER BY next_attempt_at, id LIMIT ?`;
/**
 * One row per statement: better-sqlite3 binds 13 values and runs a prepared statement in less
 * time than it takes to build and bind the values of a multi-row INSERT (measured both ways
 * with bench/ingest.ts), and on D1 a transaction's statements go out as one batch anyway.
 */
export const PING_INSERT = `INSERT INTO pings (${PING_COLUMNS.join(', ')}) VALUES (${PING_COLUMNS.map(() => '?').join(', ')})`;
/** A check's pings numbered up to `?`: those past the retention. */
export const PING_PRUNE = 'DELETE FROM pings WHERE check_id = ? AND n <= ?';
const CHECK_SELECT = `SELECT ${CHECK_COLUMNS.join(', ')} FROM checks`;
const AUDIT_INSERT = `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map(() => '?').join(', ')})`;
const CHECK_STATE_UPDATE = `UPDATE checks SET ${CHECK_STATE_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ? AND rev = ?`;
const CHECK_UPDATE = `UPDATE checks SET ${CHECK_COLUMNS.slice(1)
  .map((c) => `${c} = ?`)
  .join(', ')} WHERE id = ? AND rev = ?`;

/**
 * Every Tx method as SQL on SQLite, through a SqlPort: better-sqlite3 in this process, or
 * Cloudflare D1 (which shares this SQL; see ../d1/d1-store.ts).
 */
export class SqliteTx implements Tx {
  constructor(
    protected readonly port: SqlPort,
    /** seals channel and source configs; null stores them plain (see stored-secrets.ts) */
    protected readonly secrets: SecretBox | null = null,
  ) {}

  #all(sql: string, ...params: unknown[]): Promise<Row[]> {
    return this.port.all(sql, params);
  }
  async #one(sql: string, ...params: unknown[]): Promise<Row | undefined> {
    return (await this.port.all(sql, params))[0];
  }
  /** Checks by a query on `checks`; raw rows skip building an object per row (3x faster). */
  async #checks(where: string, ...params: unknown[]): Promise<Check[]> {
    return (await this.port.values(`${CHECK_SELECT} ${where}`, params)).map(checkFromValues);
  }
  #run(sql: string, ...params: unknown[]): Promise<WriteResult> {
    return this.port.run(sql, params);
  }

  async insertProject(p: Parameters<Tx['insertProject']>[0]) {
    await this.#run(
      'INSERT INTO projects (id, name, ping_key, silence_period, badge_key, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      p.id,
      p.name,
      p.pingKey,
      p.silencePeriod,
      p.badgeKey,
      p.createdAt,
    );
  }
  async updateProject(p: Parameters<Tx['updateProject']>[0]) {
    await this.#run(
      'UPDATE projects SET name = ?, ping_key = ?, silence_period = ?, badge_key = ? WHERE id = ?',
      p.name,
      p.pingKey,
      p.silencePeriod,
      p.badgeKey,
      p.id,
    );
  }
  async getProjectByBadgeKey(badgeKey: string) {
    const r = await this.#one('SELECT * FROM projects WHERE badge_key = ?', badgeKey);
    return r ? toProject(r) : null;
  }

  async insertUser(u: Parameters<Tx['insertUser']>[0]) {
    await this.#run(
      'INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)',
      u.id,
      u.email,
      u.passwordHash,
      u.createdAt,
    );
  }
  async getUser(id: string) {
    const r = await this.#one('SELECT * FROM users WHERE id = ?', id);
    return r ? toUser(r) : null;
  }
  async getUserByEmail(email: string) {
    // emails are stored lower-cased (see src/auth/users.ts), so this is an index lookup
    const r = await this.#one('SELECT * FROM users WHERE email = ?', email.toLowerCase());
    return r ? toUser(r) : null;
  }
  async listUsers() {
    return (await this.#all('SELECT * FROM users ORDER BY email')).map(toUser);
  }
  async updateUser(u: Parameters<Tx['updateUser']>[0]) {
    await this.#run(
      'UPDATE users SET email = ?, password_hash = ? WHERE id = ?',
      u.email,
      u.passwordHash,
      u.id,
    );
  }
  async putMembership(m: Parameters<Tx['putMembership']>[0]) {
    await this.#run(
      `INSERT INTO memberships (user_id, project_id, role, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, project_id) DO UPDATE SET role = excluded.role`,
      m.userId,
      m.projectId,
      m.role,
      m.createdAt,
    );
  }
  async deleteMembership(userId: string, projectId: string) {
    return (
      (await this.#run('DELETE FROM memberships WHERE user_id = ? AND project_id = ?', userId, projectId))
        .changes > 0
    );
  }
  async listMemberships(userId: string) {
    return (
      await this.#all('SELECT * FROM memberships WHERE user_id = ? ORDER BY created_at, project_id', userId)
    ).map(toMembership);
  }
  async listMembers(projectId: string) {
    return (
      await this.#all(
        'SELECT * FROM memberships WHERE project_id = ? ORDER BY created_at, user_id',
        projectId,
      )
    ).map(toMembership);
  }

  async insertSession(x: Parameters<Tx['insertSession']>[0]) {
    await this.#run(
      'INSERT INTO sessions (id, user_id, csrf_token, project_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      x.id,
      x.userId,
      x.csrfToken,
      x.projectId,
      x.createdAt,
      x.expiresAt,
    );
  }
  async getSession(id: string) {
    const r = await this.#one('SELECT * FROM sessions WHERE id = ?', id);
    return r ? toSession(r) : null;
  }
  async updateSession(x: Parameters<Tx['updateSession']>[0]) {
    await this.#run(
      'UPDATE sessions SET project_id = ?, expires_at = ? WHERE id = ?',
      x.projectId,
      x.expiresAt,
      x.id,
    );
  }
  async deleteSession(id: string) {
    return (await this.#run('DELETE FROM sessions WHERE id = ?', id)).changes > 0;
  }
  async deleteUserSessions(userId: string) {
    return (await this.#run('DELETE FROM sessions WHERE user_id = ?', userId)).changes;
  }
  async deleteExpiredSessions(now: number) {
    return (await this.#run('DELETE FROM sessions WHERE expires_at <= ?', now)).changes;
  }

  async insertIncident(i: Parameters<Tx['insertIncident']>[0]) {
    const id = await this.port.newId('incidents');
    const r = await this.#run(
      `INSERT INTO incidents (id, project_id, check_id, flip_id, event, reason, opened_at, resolved_at, acknowledged_at, acknowledged_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      i.projectId,
      i.checkId,
      i.flipId,
      i.event,
      i.reason,
      i.openedAt,
      i.resolvedAt,
      i.acknowledgedAt,
      i.acknowledgedBy,
    );
    return id ?? r.lastId;
  }
  async getIncident(id: number) {
    const r = await this.#one('SELECT * FROM incidents WHERE id = ?', id);
    return r ? toIncident(r) : null;
  }
  async openIncident(checkId: string) {
    const r = await this.#one(
      'SELECT * FROM incidents WHERE check_id = ? AND resolved_at IS NULL ORDER BY id DESC LIMIT 1',
      checkId,
    );
    return r ? toIncident(r) : null;
  }
  async resolveIncident(id: number, at: number) {
    await this.#run('UPDATE incidents SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL', at, id);
  }
  async acknowledgeIncident(id: number, at: number, by: string) {
    return (
      (
        await this.#run(
          'UPDATE incidents SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND acknowledged_at IS NULL',
          at,
          by,
          id,
        )
      ).changes > 0
    );
  }
  async listIncidents(projectIds: string[], opts: Parameters<Tx['listIncidents']>[1]) {
    const where = ['project_id IN (SELECT value FROM json_each(?))'];
    const params: unknown[] = [JSON.stringify(projectIds)];
    if (opts.open) where.push('resolved_at IS NULL');
    if (opts.checkId !== undefined) {
      where.push('check_id = ?');
      params.push(opts.checkId);
    }
    if (opts.before !== undefined) {
      where.push('id < ?');
      params.push(opts.before);
    }
    return (
      await this.#all(
        `SELECT * FROM incidents WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
        ...params,
        opts.limit,
      )
    ).map(toIncident);
  }

  async insertStatusPage(p: Parameters<Tx['insertStatusPage']>[0]) {
    await this.#run(
      'INSERT INTO status_pages (id, project_id, slug, title, check_ids, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      p.id,
      p.projectId,
      p.slug,
      p.title,
      JSON.stringify(p.checkIds),
      p.createdAt,
      p.updatedAt,
    );
  }
  async getStatusPage(id: string) {
    const r = await this.#one('SELECT * FROM status_pages WHERE id = ?', id);
    return r ? toStatusPage(r) : null;
  }
  async getStatusPageBySlug(slug: string) {
    const r = await this.#one('SELECT * FROM status_pages WHERE slug = ?', slug);
    return r ? toStatusPage(r) : null;
  }
  async listStatusPages(projectId: string) {
    return (await this.#all('SELECT * FROM status_pages WHERE project_id = ? ORDER BY slug', projectId)).map(
      toStatusPage,
    );
  }
  async updateStatusPage(p: Parameters<Tx['updateStatusPage']>[0]) {
    await this.#run(
      'UPDATE status_pages SET slug = ?, title = ?, check_ids = ?, updated_at = ? WHERE id = ?',
      p.slug,
      p.title,
      JSON.stringify(p.checkIds),
      p.updatedAt,
      p.id,
    );
  }
  async deleteStatusPage(id: string) {
    return (await this.#run('DELETE FROM status_pages WHERE id = ?', id)).changes > 0;
  }
  async getProject(id: string) {
    const r = await this.#one('SELECT * FROM projects WHERE id = ?', id);
    return r ? toProject(r) : null;
  }
  async getProjectByName(name: string) {
    const r = await this.#one('SELECT * FROM projects WHERE name = ?', name);
    return r ? toProject(r) : null;
  }
  async getProjectByPingKey(pingKey: string) {
    const r = await this.#one('SELECT * FROM projects WHERE ping_key = ?', pingKey);
    return r ? toProject(r) : null;
  }
  async listProjects() {
    return (await this.#all('SELECT * FROM projects ORDER BY created_at, id')).map(toProject);
  }

  async insertApiKey(k: Parameters<Tx['insertApiKey']>[0]) {
    await this.#run(
      'INSERT INTO api_keys (id, project_id, name, prefix, hash, read_only, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      k.id,
      k.projectId,
      k.name,
      k.prefix,
      k.hash,
      k.readOnly ? 1 : 0,
      k.createdAt,
    );
  }
  async getApiKeyByHash(hash: string) {
    const r = await this.#one('SELECT * FROM api_keys WHERE hash = ?', hash);
    return r ? toApiKey(r) : null;
  }
  async listApiKeys(projectId?: string) {
    return (
      projectId === undefined
        ? await this.#all('SELECT * FROM api_keys ORDER BY created_at, id')
        : await this.#all('SELECT * FROM api_keys WHERE project_id = ? ORDER BY created_at, id', projectId)
    ).map(toApiKey);
  }
  async deleteApiKey(idOrPrefix: string) {
    return (
      (await this.#run('DELETE FROM api_keys WHERE id = ? OR prefix = ?', idOrPrefix, idOrPrefix)).changes > 0
    );
  }

  async insertCheck(c: Parameters<Tx['insertCheck']>[0]) {
    await this.#run(CHECK_INSERT, ...checkValues(c));
  }
  async getCheck(id: string) {
    return (await this.#checks('WHERE id = ?', id))[0] ?? null;
  }
  async getCheckBySlug(projectId: string, slug: string) {
    return (await this.#checks('WHERE project_id = ? AND slug = ?', projectId, slug))[0] ?? null;
  }
  async getCheckByName(projectId: string, name: string) {
    return (
      (
        await this.#checks(
          'WHERE project_id = ? AND name = ? ORDER BY created_at, id LIMIT 1',
          projectId,
          name,
        )
      )[0] ?? null
    );
  }
  async listChecks(
    projectId: string,
    filter: Parameters<Tx['listChecks']>[1],
    page: Parameters<Tx['listChecks']>[2],
  ) {
    const where = ['project_id = ?'];
    const params: unknown[] = [projectId];
    where.push(filter.archived ? 'archived_at IS NOT NULL' : 'archived_at IS NULL');
    if (filter.sourceId) {
      where.push('source_id = ?');
      params.push(filter.sourceId);
    }
    if (filter.status) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.slug) {
      where.push('slug = ?');
      params.push(filter.slug);
    }
    if (filter.q) {
      // instr on lower(): a substring, no LIKE wildcards to escape
      where.push('instr(lower(name), ?) > 0');
      params.push(filter.q.toLowerCase());
    }
    if (filter.tag) {
      // one whole element, compared exactly: LIKE would ignore ASCII case in SQLite
      where.push('EXISTS (SELECT 1 FROM json_each(checks.tags) WHERE json_each.value = ?)');
      params.push(filter.tag);
    }
    const cursor = typeof page.after === 'string' ? decodeCursor(page.after) : null;
    if (cursor && cursor.length === 2) {
      where.push('(name > ? OR (name = ? AND id > ?))');
      params.push(cursor[0], cursor[0], cursor[1]);
    }
    const rows = await this.#checks(
      `WHERE ${where.join(' AND ')} ORDER BY name, id LIMIT ?`,
      ...params,
      page.limit + 1,
    );
    const checks = rows.slice(0, page.limit);
    const last = checks.at(-1);
    return { checks, next: rows.length > page.limit && last ? encodeCursor([last.name, last.id]) : null };
  }
  // Exactly one row or the rev moved on: on D1 the count is checked when the batch commits.
  async updateCheck(c: Parameters<Tx['updateCheck']>[0], expectedRev: number) {
    const values = [...checkValues(c).slice(1), c.id, expectedRev];
    return (await this.port.run(CHECK_UPDATE, values, 1)).changes === 1;
  }
  async updateCheckState(c: Parameters<Tx['updateCheckState']>[0], expectedRev: number) {
    const values = [...checkStateValues(c), c.id, expectedRev];
    return (await this.port.run(CHECK_STATE_UPDATE, values, 1)).changes === 1;
  }
  async deleteCheck(id: string) {
    return (await this.#run('DELETE FROM checks WHERE id = ?', id)).changes > 0;
  }
  async dueChecks(now: number, limit: number) {
    return await this.#checks(
      'WHERE next_deadline IS NOT NULL AND next_deadline <= ? ORDER BY next_deadline LIMIT ?',
      now,
      limit,
    );
  }
  async earliestDeadline() {
    const r = await this.#one(EARLIEST_DEADLINE);
    return r?.t === null || r?.t === undefined ? null : Number(r.t);
  }
  async claimDueChecks(now: number, claimUntil: number, limit: number, owner: string) {
    return claimDeadlines(this.port, now, claimUntil, limit, owner);
  }
  async claimDueReminders(now: number, claimUntil: number, limit: number, owner: string) {
    return claimReminders(this.port, now, claimUntil, limit, owner);
  }
  async releaseCheckClaims(owner: string, checkIds: string[]) {
    await releaseClaims(this.port, 'checks', owner, checkIds);
  }
  async claimDueReleases(now: number, claimUntil: number, limit: number, owner: string) {
    return claimReleases(this.port, now, claimUntil, limit, owner);
  }
  async releaseFlipClaims(owner: string, flipIds: number[]) {
    await releaseClaims(this.port, 'flips', owner, flipIds);
  }
  async dueReminders(now: number, limit: number) {
    return await this.#checks(
      "WHERE remind_at IS NOT NULL AND remind_at <= ? AND status = 'down' ORDER BY remind_at LIMIT ?",
      now,
      limit,
    );
  }
  async earliestReminder() {
    const r = await this.#one(EARLIEST_REMINDER);
    return r?.t === null || r?.t === undefined ? null : Number(r.t);
  }
  async checksWithDeadlineBetween(from: number, to: number, limit: number, afterId: string) {
    return await this.#checks(
      'WHERE next_deadline > ? AND next_deadline <= ? AND id > ? ORDER BY id LIMIT ?',
      from,
      to,
      afterId,
      limit,
    );
  }

  async insertPing(p: Parameters<Tx['insertPing']>[0], retention: number) {
    await this.insertPings([p], retention);
  }
  async insertPings(pings: Parameters<Tx['insertPings']>[0], retention: number) {
    await this.port.runEach(PING_INSERT, pings.map(pingValues));
    // an index range scan that usually finds nothing; cheaper than a separate pruning pass
    for (const [checkId, n] of newestPingOfEach(pings)) {
      await this.#run(PING_PRUNE, checkId, n - retention);
    }
  }
  async listPings(checkId: string, page: Parameters<Tx['listPings']>[1]) {
    const before = typeof page.after === 'number' ? page.after : Number.MAX_SAFE_INTEGER;
    return (
      await this.#all(
        'SELECT * FROM pings WHERE check_id = ? AND n < ? ORDER BY n DESC LIMIT ?',
        checkId,
        before,
        page.limit,
      )
    ).map(toPing);
  }
  async listPingOutcomes(checkId: string, limit: number) {
    return (
      await this.#all(
        'SELECT n, at, kind, exit_status FROM pings WHERE check_id = ? ORDER BY n DESC LIMIT ?',
        checkId,
        limit,
      )
    ).map((r) => ({
      n: Number(r.n),
      at: Number(r.at),
      kind: r.kind as PingOutcome['kind'],
      exitStatus: r.exit_status === null ? null : Number(r.exit_status),
    }));
  }
  async lastPing(checkId: string) {
    const r = await this.#one('SELECT * FROM pings WHERE check_id = ? ORDER BY n DESC LIMIT 1', checkId);
    return r ? toPing(r) : null;
  }
  async insertFlip(f: Parameters<Tx['insertFlip']>[0]) {
    const id = await this.port.newId('flips');
    const r = await this.#run(
      `INSERT INTO flips (id, check_id, at, from_status, to_status, reason, event, alert, alert_note, release_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      f.checkId,
      f.at,
      f.from,
      f.to,
      f.reason,
      f.event ?? null,
      f.alert ?? null,
      f.alertNote ?? null,
      f.releaseAt ?? null,
    );
    return id ?? r.lastId;
  }
  async getFlip(id: number) {
    const r = await this.#one('SELECT * FROM flips WHERE id = ?', id);
    return r ? toFlip(r) : null;
  }
  async lastFlip(checkId: string) {
    const r = await this.#one('SELECT * FROM flips WHERE check_id = ? ORDER BY id DESC LIMIT 1', checkId);
    return r ? toFlip(r) : null;
  }
  async flipsForUptime(checkId: string, from: number, to: number, limit: number) {
    const before = await this.#one(
      'SELECT * FROM flips WHERE check_id = ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1',
      checkId,
      from,
    );
    const inside = await this.#all(
      'SELECT * FROM flips WHERE check_id = ? AND at >= ? AND at < ? ORDER BY at, id LIMIT ?',
      checkId,
      from,
      to,
      limit,
    );
    return [...(before ? [before] : []), ...inside].map(toFlip);
  }
  async setFlipAlert(id: number, alert: string, note: string | null, releaseAt: number | null) {
    await this.#run(
      'UPDATE flips SET alert = ?, alert_note = ?, release_at = ? WHERE id = ?',
      alert,
      note,
      releaseAt,
      id,
    );
  }
  async dueReleases(now: number, limit: number) {
    return (
      await this.#all(
        'SELECT * FROM flips WHERE release_at IS NOT NULL AND release_at <= ? ORDER BY release_at LIMIT ?',
        now,
        limit,
      )
    ).map(toFlip);
  }
  async reviewHeld(projectId: string, at: number) {
    return (
      await this.#run(
        `UPDATE flips SET release_at = ? WHERE alert = 'held' AND release_at > ?
         AND check_id IN (SELECT id FROM checks WHERE project_id = ?)`,
        at,
        at,
        projectId,
      )
    ).changes;
  }
  async earliestRelease() {
    const r = await this.#one(EARLIEST_RELEASE);
    return r?.t === null || r?.t === undefined ? null : Number(r.t);
  }
  async listFlips(checkId: string, page: Parameters<Tx['listFlips']>[1]) {
    const before = typeof page.after === 'number' ? page.after : Number.MAX_SAFE_INTEGER;
    return (
      await this.#all(
        'SELECT * FROM flips WHERE check_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
        checkId,
        before,
        page.limit,
      )
    ).map(toFlip);
  }

  async insertChannel(c: Parameters<Tx['insertChannel']>[0]) {
    await this.#run(CHANNEL_INSERT, ...channelValues(c, this.secrets));
  }
  async getChannel(id: string) {
    const r = await this.#one('SELECT * FROM channels WHERE id = ?', id);
    return r ? toChannel(r, this.secrets) : null;
  }
  async listChannels(projectId: string) {
    return (
      await this.#all('SELECT * FROM channels WHERE project_id = ? ORDER BY created_at, id', projectId)
    ).map((r) => toChannel(r, this.secrets));
  }
  async updateChannel(c: Parameters<Tx['updateChannel']>[0]) {
    await this.#run(CHANNEL_UPDATE, ...channelUpdateValues(c, this.secrets), c.id);
  }
  async deleteChannel(id: string) {
    return (await this.#run('DELETE FROM channels WHERE id = ?', id)).changes > 0;
  }

  async insertMaintenance(m: Parameters<Tx['insertMaintenance']>[0]) {
    await this.#run(
      `INSERT INTO maintenance (${MAINTENANCE_COLUMNS.join(', ')}) VALUES (${MAINTENANCE_COLUMNS.map(() => '?').join(', ')})`,
      ...maintenanceValues(m),
    );
  }
  async getMaintenance(id: string) {
    const r = await this.#one('SELECT * FROM maintenance WHERE id = ?', id);
    return r ? toMaintenance(r) : null;
  }
  async listMaintenance(projectId: string) {
    return (
      await this.#all('SELECT * FROM maintenance WHERE project_id = ? ORDER BY created_at, id', projectId)
    ).map(toMaintenance);
  }
  async updateMaintenance(m: Parameters<Tx['updateMaintenance']>[0]) {
    await this.#run(
      `UPDATE maintenance SET ${MAINTENANCE_COLUMNS.slice(1)
        .map((c) => `${c} = ?`)
        .join(', ')} WHERE id = ?`,
      ...maintenanceValues(m).slice(1),
      m.id,
    );
  }
  async deleteMaintenance(id: string) {
    return (await this.#run('DELETE FROM maintenance WHERE id = ?', id)).changes > 0;
  }

  async insertNotifications(rows: Parameters<Tx['insertNotifications']>[0]) {
    for (const n of rows) {
      await this.#run(
        `INSERT INTO notifications (flip_id, channel_id, seq, project_id, check_id, event, payload, status, attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (flip_id, channel_id, seq) DO NOTHING`,
        n.flipId,
        n.channelId,
        n.seq,
        n.projectId,
        n.checkId,
        n.event,
        n.payload,
        n.nextAttemptAt,
        n.createdAt,
      );
    }
  }
  async claimNotifications(
    now: number,
    leaseUntil: number,
    limit: number,
    excludeChannels: string[] = [],
    owner: string | null = null,
  ) {
    const excluded = new Set(excludeChannels);
    const claimed: Notification[] = [];
    // a few rounds at most: each one after the first means another claim took rows meanwhile
    for (let round = 0; round < 8 && claimed.length < limit; round++) {
      const picked = await this.#claimable(now, limit - claimed.length, excluded);
      if (picked.length === 0) break;
      // One node owns the file, so the lease is only about crashes: the server's exclusive open
      // drops every lease (sqlite-store.ts). The conditions are asked again as the rows are
      // taken: a claim running meanwhile (or another writer, on D1) may have taken some, and
      // then the rest are looked for again. `+status` keeps SQLite on the ids, not on every
      // pending row.
      const rows = await this.port.claim(
        `UPDATE notifications SET lease_until = ?, lease_owner = ?, attempts = attempts + 1
         WHERE id IN (SELECT value FROM json_each(?)) AND +status = 'pending'
           AND (lease_until IS NULL OR lease_until <= ?)
         RETURNING *`,
        [leaseUntil, owner, JSON.stringify(picked), now],
      );
      claimed.push(...rows.map(toNotification));
      if (rows.length === picked.length) break;
    }
    return claimed.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
  }
  /**
   * The ids of the `limit` oldest claimable rows: the oldest due rows of each channel that has
   * any, each through its own part of notifications_channel_due, then the oldest of those. One
   * walk of every due row in time order would pass over all of a capped channel's rows first.
   */
  async #claimable(now: number, limit: number, excluded: ReadonlySet<string>): Promise<number[]> {
    const candidates: Row[] = [];
    for (const channel of await this.#all(PENDING_CHANNELS, now)) {
      if (excluded.has(String(channel.channel_id))) continue;
      candidates.push(...(await this.#all(CHANNEL_DUE, channel.channel_id, now, now, limit)));
    }
    return candidates
      .sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || Number(a.id) - Number(b.id))
      .slice(0, limit)
      .map((r) => Number(r.id));
  }
  async earliestNotificationDue() {
    return earliestClaimable((at, id, size) => this.#all(DUE_ORDER_PAGE, at, at, id, size), 16);
  }
  async recordAttempt(a: Parameters<Tx['recordAttempt']>[0]) {
    await this.#run(
      'INSERT INTO notification_attempts (notification_id, at, outcome, error, duration_ms) VALUES (?, ?, ?, ?, ?)',
      a.notificationId,
      a.at,
      a.outcome,
      a.error,
      a.durationMs,
    );
  }
  async listAttempts(notificationId: number) {
    return (
      await this.#all(
        'SELECT * FROM notification_attempts WHERE notification_id = ? ORDER BY id',
        notificationId,
      )
    ).map(toAttempt);
  }
  async finishNotification(id: number, status: 'delivered' | 'failed', at: number, error: string | null) {
    await this.#run(
      'UPDATE notifications SET status = ?, done_at = ?, lease_until = NULL, lease_owner = NULL, last_error = ? WHERE id = ?',
      status,
      at,
      error,
      id,
    );
  }
  async retryNotification(id: number, nextAttemptAt: number, error: string) {
    await this.#run(
      'UPDATE notifications SET next_attempt_at = ?, lease_until = NULL, lease_owner = NULL, last_error = ? WHERE id = ?',
      nextAttemptAt,
      error,
      id,
    );
  }
  async retryChannelNow(channelId: string, now: number) {
    const r = await this.#run(
      "UPDATE notifications SET next_attempt_at = ? WHERE status = 'pending' AND channel_id = ? AND next_attempt_at > ?",
      now,
      channelId,
      now,
    );
    return r.changes;
  }
  async releaseLeases(owner: string) {
    return releaseOwner(this.port, owner);
  }
  async listNotifications(checkId: string, limit: number) {
    return (
      await this.#all(
        'SELECT * FROM notifications WHERE check_id = ? ORDER BY id DESC LIMIT ?',
        checkId,
        limit,
      )
    ).map(toNotification);
  }

  async insertSource(s: Parameters<Tx['insertSource']>[0]) {
    await this.#run(SOURCE_INSERT, ...sourceValues(s, this.secrets));
  }
  async getSource(id: string) {
    const row = await this.#one('SELECT * FROM sources WHERE id = ?', id);
    return row ? toSource(row, this.secrets) : null;
  }
  async getSourceByName(projectId: string, name: string) {
    const row = await this.#one('SELECT * FROM sources WHERE project_id = ? AND name = ?', projectId, name);
    return row ? toSource(row, this.secrets) : null;
  }
  async listSources(projectId?: string) {
    const rows =
      projectId === undefined
        ? await this.#all('SELECT * FROM sources ORDER BY project_id, name')
        : await this.#all('SELECT * FROM sources WHERE project_id = ? ORDER BY name', projectId);
    return rows.map((r) => toSource(r, this.secrets));
  }
  async updateSource(s: Parameters<Tx['updateSource']>[0]) {
    await this.#run(SOURCE_UPDATE, ...sourceValues(s, this.secrets).slice(1), s.id);
  }
  async deleteSource(id: string) {
    return (await this.#run('DELETE FROM sources WHERE id = ?', id)).changes > 0;
  }
  async claimDueSources(now: number, leaseUntil: number, limit: number) {
    // One statement, so it is atomic on the one connection every caller shares.
    const rows = await this.port.claim(
      `UPDATE sources SET next_sync_at = ?
       WHERE id IN (SELECT id FROM sources WHERE next_sync_at <= ? ORDER BY next_sync_at LIMIT ?)
       RETURNING *`,
      [leaseUntil, now, limit],
    );
    return rows.map((r) => toSource(r, this.secrets));
  }
  async listSourceChecks(sourceId: string) {
    return await this.#checks('WHERE source_id = ? ORDER BY slug', sourceId);
  }
  async claimDueProbes(now: number, leaseUntil: number, limit: number) {
    const rows = await this.port.claimValues(
      `UPDATE checks SET probe_next_at = ?
       WHERE id IN (SELECT id FROM checks WHERE probe_next_at IS NOT NULL AND probe_next_at <= ?
                    ORDER BY probe_next_at LIMIT ?)
       RETURNING ${CHECK_COLUMNS.join(', ')}`,
      [leaseUntil, now, limit],
    );
    return rows.map(checkFromValues).sort((a, b) => (a.id < b.id ? -1 : 1));
  }
  async setProbeNextAt(checkId: string, at: number | null) {
    await this.#run('UPDATE checks SET probe_next_at = ? WHERE id = ?', at, checkId);
  }
  async earliestProbeDue() {
    const row = await this.#one('SELECT MIN(probe_next_at) AS t FROM checks WHERE probe_next_at IS NOT NULL');
    return row?.t == null ? null : Number(row.t);
  }

  async insertAudit(e: Parameters<Tx['insertAudit']>[0]) {
    await this.#run(AUDIT_INSERT, ...auditValues(e));
  }
  async listAudit(
    projectId: string,
    filter: Parameters<Tx['listAudit']>[1],
    page: Parameters<Tx['listAudit']>[2],
  ) {
    const { sql, params } = auditPageQuery(projectId, filter, page, () => '?');
    return auditPage(await this.#all(sql, ...params), page.limit);
  }
  async pruneAudit(before: number, limit: number) {
    return (
      await this.#run(
        'DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? LIMIT ?)',
        before,
        limit,
      )
    ).changes;
  }

  async statusCounts() {
    return toStatusCounts(await this.#all(STATUS_COUNTS_SQL));
  }
  async getMeta(key: string) {
    const r = await this.#one('SELECT value FROM meta WHERE key = ?', key);
    return r ? String(r.value) : null;
  }
  async setMeta(key: string, value: string) {
    await this.#run(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      key,
      value,
    );
  }

  async prune(flipsBefore: number, notificationsBefore: number, limit: number) {
    const flips = (
      await this.#run(
        'DELETE FROM flips WHERE id IN (SELECT id FROM flips WHERE at < ? LIMIT ?)',
        flipsBefore,
        limit,
      )
    ).changes;
    const old = await this.#all(
      "SELECT id FROM notifications WHERE status != 'pending' AND done_at < ? LIMIT ?",
      notificationsBefore,
      limit,
    );
    for (const r of old) {
      await this.#run('DELETE FROM notification_attempts WHERE notification_id = ?', r.id);
      await this.#run('DELETE FROM notifications WHERE id = ?', r.id);
    }
    return flips + old.length;
  }
}
