import {
  CHANNEL_COLUMNS,
  CHANNEL_UPDATE_COLUMNS,
  CHECK_COLUMNS,
  CHECK_STATE_COLUMNS,
  channelUpdateValues,
  channelValues,
  checkStateValues,
  checkValues,
  decodeCursor,
  encodeCursor,
  MAINTENANCE_COLUMNS,
  maintenanceValues,
  newestPingOfEach,
  PING_COLUMNS,
  pingValues,
  toChannel,
  toFlip,
  toMaintenance,
  toPing,
} from '../rows.ts';
import type { PingOutcome, Tx } from '../store.ts';
import { EARLIEST_DEADLINE, EARLIEST_RELEASE, EARLIEST_REMINDER } from './pg-claims.ts';
import { assignments, minOf, placeholders } from './pg-sql.ts';
import { PgAccounts } from './pg-tx-accounts.ts';

const CHANNEL_INSERT = `INSERT INTO channels (${CHANNEL_COLUMNS.join(', ')}) VALUES (${placeholders(CHANNEL_COLUMNS.length)})`;
const CHANNEL_UPDATE = `UPDATE channels SET ${assignments(CHANNEL_UPDATE_COLUMNS)} WHERE id = $${CHANNEL_UPDATE_COLUMNS.length + 1}`;
const CHECK_INSERT = `INSERT INTO checks (${CHECK_COLUMNS.join(', ')}) VALUES (${placeholders(CHECK_COLUMNS.length)})`;
const CHECK_UPDATE = `UPDATE checks SET ${assignments(CHECK_COLUMNS.slice(1))}
  WHERE id = $${CHECK_COLUMNS.length} AND rev = $${CHECK_COLUMNS.length + 1}`;
const CHECK_STATE_UPDATE = `UPDATE checks SET ${assignments(CHECK_STATE_COLUMNS)}
  WHERE id = $${CHECK_STATE_COLUMNS.length + 1} AND rev = $${CHECK_STATE_COLUMNS.length + 2}`;
const MAINTENANCE_INSERT = `INSERT INTO maintenance (${MAINTENANCE_COLUMNS.join(', ')}) VALUES (${placeholders(MAINTENANCE_COLUMNS.length)})`;
const MAINTENANCE_UPDATE = `UPDATE maintenance SET ${assignments(MAINTENANCE_COLUMNS.slice(1))}
  WHERE id = $${MAINTENANCE_COLUMNS.length}`;

/** Rows per multi-row ping INSERT (x 12 values, far below PostgreSQL's 65,535 parameters). */
const PINGS_PER_INSERT = 64;

/**
 * Inserts `count` pings and, riding along (see insertPings), deletes the ones they push out
 * by equality: $1 and $2 are the pushed-out pings' check ids and numbers.
 */
function pingsInsert(count: number): string {
  const rows = Array.from(
    { length: count },
    (_, i) => `(${placeholders(PING_COLUMNS.length, 2 + i * PING_COLUMNS.length)})`,
  );
  return `WITH pruned AS (
      DELETE FROM pings p USING unnest($1::text[], $2::bigint[]) AS d(check_id, n)
      WHERE p.check_id = d.check_id AND p.n = d.n)
    INSERT INTO pings (${PING_COLUMNS.join(', ')}) VALUES ${rows.join(', ')}`;
}

/** Checks, pings, flips, channels and maintenance windows. */
export class PgChecks extends PgAccounts {
  async insertCheck(c: Parameters<Tx['insertCheck']>[0]) {
    await this.run(CHECK_INSERT, ...checkValues(c));
  }
  async getCheck(id: string) {
    return (await this.checks(`WHERE id = $1${this.forUpdate}`, id))[0] ?? null;
  }
  async getCheckBySlug(projectId: string, slug: string) {
    return (
      (await this.checks(`WHERE project_id = $1 AND slug = $2${this.forUpdate}`, projectId, slug))[0] ?? null
    );
  }
  private get forUpdate(): string {
    return this.lockReads ? ' FOR UPDATE' : '';
  }
  async getCheckByName(projectId: string, name: string) {
    const rows = await this.checks(
      'WHERE project_id = $1 AND name = $2 ORDER BY created_at, id LIMIT 1',
      projectId,
      name,
    );
    return rows[0] ?? null;
  }
  async listChecks(
    projectId: string,
    filter: Parameters<Tx['listChecks']>[1],
    page: Parameters<Tx['listChecks']>[2],
  ) {
    const values: unknown[] = [projectId];
    const where = ['project_id = $1'];
    const param = (v: unknown) => {
      values.push(v);
      return `$${values.length}`;
    };
    where.push(filter.archived ? 'archived_at IS NOT NULL' : 'archived_at IS NULL');
    if (filter.sourceId) where.push(`source_id = ${param(filter.sourceId)}`);
    if (filter.status) where.push(`status = ${param(filter.status)}`);
    if (filter.slug) where.push(`slug = ${param(filter.slug)}`);
    // strpos on lower(): a substring, no LIKE wildcards to escape
    if (filter.q) where.push(`strpos(lower(name), ${param(filter.q.toLowerCase())}) > 0`);
    if (filter.tag) {
      // one whole element, compared exactly (text = is case-sensitive, like SQLite's)
      where.push(
        `EXISTS (SELECT 1 FROM json_array_elements_text(tags::json) t WHERE t = ${param(filter.tag)})`,
      );
    }
    const cursor = typeof page.after === 'string' ? decodeCursor(page.after) : null;
    if (cursor && cursor.length === 2) {
      // Names sort in the database's collation (so checks_project_name serves the order); the
      // cursor compares in the same collation, so pages neither skip nor repeat.
      const name = param(cursor[0]);
      where.push(`(name > ${name} OR (name = ${name} AND id > ${param(cursor[1])}))`);
    }
    const rows = await this.checks(
      `WHERE ${where.join(' AND ')} ORDER BY name, id LIMIT ${param(page.limit + 1)}`,
      ...values,
    );
    const checks = rows.slice(0, page.limit);
    const last = checks.at(-1);
    return { checks, next: rows.length > page.limit && last ? encodeCursor([last.name, last.id]) : null };
  }
  async updateCheck(c: Parameters<Tx['updateCheck']>[0], expectedRev: number) {
    // Under READ COMMITTED a second writer blocks on the row lock, then re-reads the row and
    // finds the rev moved on: exactly one of two racing writers changes the row.
    return (await this.run(CHECK_UPDATE, ...checkValues(c).slice(1), c.id, expectedRev)) === 1;
  }
  async updateCheckState(c: Parameters<Tx['updateCheckState']>[0], expectedRev: number) {
    return (await this.run(CHECK_STATE_UPDATE, ...checkStateValues(c), c.id, expectedRev)) === 1;
  }
  async deleteCheck(id: string) {
    return (await this.run('DELETE FROM checks WHERE id = $1', id)) > 0;
  }
  async dueChecks(now: number, limit: number) {
    // A plain read, for tests and tools; the sweep claims its checks (claimDueChecks).
    return this.checks(
      'WHERE next_deadline IS NOT NULL AND next_deadline <= $1 ORDER BY next_deadline LIMIT $2',
      now,
      limit,
    );
  }
  async earliestDeadline() {
    return minOf(await this.one(EARLIEST_DEADLINE));
  }
  async dueReminders(now: number, limit: number) {
    return this.checks(
      "WHERE remind_at IS NOT NULL AND remind_at <= $1 AND status = 'down' ORDER BY remind_at LIMIT $2",
      now,
      limit,
    );
  }
  async earliestReminder() {
    return minOf(await this.one(EARLIEST_REMINDER));
  }
  async checksWithDeadlineBetween(from: number, to: number, limit: number, afterId: string) {
    // ids are UUIDs (ASCII): byte order and the collation's order agree on them
    return this.checks(
      'WHERE next_deadline > $1 AND next_deadline <= $2 AND id > $3 ORDER BY id LIMIT $4',
      from,
      to,
      afterId,
      limit,
    );
  }

  async insertPing(p: Parameters<Tx['insertPing']>[0], retention: number) {
    await this.insertPings([p], retention);
  }
  // The pruning rides along in the same statement (a data-modifying CTE runs whether or not
  // it is read): one round trip instead of two; round trips are most of a ping's cost on
  // PostgreSQL (docs/benchmarks.md). Each ping pushes exactly one ping out, so it deletes
  // that one by equality: a range (n <= …) walks the index entries of the pings the last
  // few transactions deleted, still there until no snapshot can see them, and cost a busy
  // check 7x more than the insert itself. A batch holding a 256th ping sweeps the range, for
  // what a lowered retention left behind.
  async insertPings(pings: Parameters<Tx['insertPings']>[0], retention: number) {
    for (let i = 0; i < pings.length; i += PINGS_PER_INSERT) {
      const rows = pings.slice(i, i + PINGS_PER_INSERT);
      await this.run(
        pingsInsert(rows.length),
        rows.map((p) => p.checkId),
        rows.map((p) => p.n - retention),
        ...rows.flatMap(pingValues),
      );
    }
    const sweep = new Set(pings.filter((p) => p.n % 256 === 0).map((p) => p.checkId));
    for (const [checkId, n] of newestPingOfEach(pings)) {
      if (sweep.has(checkId)) {
        await this.run('DELETE FROM pings WHERE check_id = $1 AND n <= $2::bigint', checkId, n - retention);
      }
    }
  }
  async listPings(checkId: string, page: Parameters<Tx['listPings']>[1]) {
    const before = typeof page.after === 'number' ? page.after : Number.MAX_SAFE_INTEGER;
    // n is an integer column: the bound is cast so MAX_SAFE_INTEGER does not overflow it
    return (
      await this.all(
        'SELECT * FROM pings WHERE check_id = $1 AND n < $2::bigint ORDER BY n DESC LIMIT $3',
        checkId,
        before,
        page.limit,
      )
    ).map(toPing);
  }
  async listPingOutcomes(checkId: string, limit: number) {
    const rows = await this.all(
      'SELECT n, at, kind, exit_status FROM pings WHERE check_id = $1 ORDER BY n DESC LIMIT $2',
      checkId,
      limit,
    );
    return rows.map((r) => ({
      n: Number(r.n),
      at: Number(r.at),
      kind: r.kind as PingOutcome['kind'],
      exitStatus: r.exit_status === null ? null : Number(r.exit_status),
    }));
  }
  async lastPing(checkId: string) {
    const r = await this.one('SELECT * FROM pings WHERE check_id = $1 ORDER BY n DESC LIMIT 1', checkId);
    return r ? toPing(r) : null;
  }

  async insertFlip(f: Parameters<Tx['insertFlip']>[0]) {
    const r = await this.one(
      `INSERT INTO flips (check_id, at, from_status, to_status, reason, event, alert, alert_note, release_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
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
    return Number(r?.id);
  }
  async getFlip(id: number) {
    const r = await this.one('SELECT * FROM flips WHERE id = $1', id);
    return r ? toFlip(r) : null;
  }
  async lastFlip(checkId: string) {
    const r = await this.one('SELECT * FROM flips WHERE check_id = $1 ORDER BY id DESC LIMIT 1', checkId);
    return r ? toFlip(r) : null;
  }
  async listFlips(checkId: string, page: Parameters<Tx['listFlips']>[1]) {
    const before = typeof page.after === 'number' ? page.after : Number.MAX_SAFE_INTEGER;
    return (
      await this.all(
        'SELECT * FROM flips WHERE check_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3',
        checkId,
        before,
        page.limit,
      )
    ).map(toFlip);
  }
  async flipsForUptime(checkId: string, from: number, to: number, limit: number) {
    const rows = await this.all(
      `(SELECT * FROM flips WHERE check_id = $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT 1)
       UNION ALL
       (SELECT * FROM flips WHERE check_id = $1 AND at >= $2 AND at < $3 ORDER BY at, id LIMIT $4)
       ORDER BY at, id`,
      checkId,
      from,
      to,
      limit,
    );
    return rows.map(toFlip);
  }
  async setFlipAlert(id: number, alert: string, note: string | null, releaseAt: number | null) {
    await this.run(
      'UPDATE flips SET alert = $1, alert_note = $2, release_at = $3 WHERE id = $4',
      alert,
      note,
      releaseAt,
      id,
    );
  }
  async dueReleases(now: number, limit: number) {
    return (
      await this.all(
        'SELECT * FROM flips WHERE release_at IS NOT NULL AND release_at <= $1 ORDER BY release_at LIMIT $2',
        now,
        limit,
      )
    ).map(toFlip);
  }
  async earliestRelease() {
    return minOf(await this.one(EARLIEST_RELEASE));
  }
  async reviewHeld(projectId: string, at: number) {
    return this.run(
      `UPDATE flips SET release_at = $1 WHERE alert = 'held' AND release_at > $1
         AND check_id IN (SELECT id FROM checks WHERE project_id = $2)`,
      at,
      projectId,
    );
  }

  async insertChannel(c: Parameters<Tx['insertChannel']>[0]) {
    await this.run(CHANNEL_INSERT, ...channelValues(c, this.secrets));
  }
  async getChannel(id: string) {
    const r = await this.one('SELECT * FROM channels WHERE id = $1', id);
    return r ? toChannel(r, this.secrets) : null;
  }
  async listChannels(projectId: string) {
    return (
      await this.all('SELECT * FROM channels WHERE project_id = $1 ORDER BY created_at, id', projectId)
    ).map((r) => toChannel(r, this.secrets));
  }
  async updateChannel(c: Parameters<Tx['updateChannel']>[0]) {
    await this.run(CHANNEL_UPDATE, ...channelUpdateValues(c, this.secrets), c.id);
  }
  async deleteChannel(id: string) {
    return (await this.run('DELETE FROM channels WHERE id = $1', id)) > 0;
  }

  async insertMaintenance(m: Parameters<Tx['insertMaintenance']>[0]) {
    await this.run(MAINTENANCE_INSERT, ...maintenanceValues(m));
  }
  async getMaintenance(id: string) {
    const r = await this.one('SELECT * FROM maintenance WHERE id = $1', id);
    return r ? toMaintenance(r) : null;
  }
  async listMaintenance(projectId: string) {
    return (
      await this.all('SELECT * FROM maintenance WHERE project_id = $1 ORDER BY created_at, id', projectId)
    ).map(toMaintenance);
  }
  async updateMaintenance(m: Parameters<Tx['updateMaintenance']>[0]) {
    await this.run(MAINTENANCE_UPDATE, ...maintenanceValues(m).slice(1), m.id);
  }
  async deleteMaintenance(id: string) {
    return (await this.run('DELETE FROM maintenance WHERE id = $1', id)) > 0;
  }
}
