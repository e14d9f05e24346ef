import { earliestClaimable } from '../outbox-due.ts';
import { toAttempt, toNotification } from '../rows.ts';
import { STATUS_COUNTS_SQL, toStatusCounts } from '../status-counts.ts';
import type { Tx } from '../store.ts';
import {
  claimDeadlines,
  claimReleases,
  claimReminders,
  releaseCheckClaims,
  releaseFlipClaims,
  releaseOwner,
} from './pg-claims.ts';
import { PgSources } from './pg-tx-sources.ts';

/**
 * Outbox row `n` (pending itself) waits: an older alert of its channel and check is still
 * pending (in flight or waiting for a retry). In a claim it reads the statement's snapshot, so a
 * row another node is leasing right now still counts as pending. One probe of
 * notifications_pending_order. A scalar subquery, not NOT EXISTS: that one PostgreSQL may turn
 * into an anti-join, which without statistics read every pending row of the channel.
 */
const BEHIND_OLDER = `n.id > (SELECT MIN(o.id) FROM notifications o WHERE o.status = 'pending'
  AND o.channel_id = n.channel_id AND o.check_id = n.check_id)`;

/**
 * Every Tx method as SQL on PostgreSQL: on the pool (each statement its own transaction) or on
 * one client inside a transaction. JSON lists stay TEXT, as on SQLite; the few queries that
 * look inside them cast to json. The outbox lives here; the other areas in the parent classes.
 */
export class PgTx extends PgSources implements Tx {
  async insertNotifications(rows: Parameters<Tx['insertNotifications']>[0]) {
    if (rows.length === 0) return;
    // One statement for the whole batch: the columns travel as arrays, unnested in order.
    // A (flip, channel, seq) that already has a row is skipped; a concurrent insert of the
    // same key waits for the other transaction and then skips too, so a key has one row.
    await this.run(
      `INSERT INTO notifications (flip_id, channel_id, seq, project_id, check_id, event, payload, status,
         attempts, next_attempt_at, created_at)
       SELECT flip_id, channel_id, seq, project_id, check_id, event, payload, 'pending', 0, next_attempt_at, created_at
       FROM unnest($1::bigint[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::text[], $7::text[],
                   $8::bigint[], $9::bigint[])
         WITH ORDINALITY AS r(flip_id, channel_id, seq, project_id, check_id, event, payload, next_attempt_at,
                              created_at, ord)
       ORDER BY ord
       ON CONFLICT (flip_id, channel_id, seq) DO NOTHING`,
      rows.map((n) => n.flipId),
      rows.map((n) => n.channelId),
      rows.map((n) => n.seq),
      rows.map((n) => n.projectId),
      rows.map((n) => n.checkId),
      rows.map((n) => n.event),
      rows.map((n) => n.payload),
      rows.map((n) => n.nextAttemptAt),
      rows.map((n) => n.createdAt),
    );
  }
  async claimNotifications(
    now: number,
    leaseUntil: number,
    limit: number,
    excludeChannels: string[] = [],
    owner: string | null = null,
  ) {
    // One statement, as graphile-worker claims jobs: the selects lock the due rows they pick and
    // SKIP LOCKED passes over rows another node is claiming right now, so nodes claim disjoint
    // rows without waiting on each other. FOR UPDATE re-checks the conditions on a row changed
    // since the snapshot, so a row just leased elsewhere is not taken again. The due rows are
    // read channel by channel (a loose index scan finds the channels), each channel's oldest
    // first through notifications_channel_due: one walk of every due row in time order would
    // pass over all of a capped channel's rows. The excluded channels travel as one text[];
    // `= ANY('{}')` is false, excluding nothing.
    const rows = await this.all(
      `WITH RECURSIVE ch(id) AS (
         (SELECT channel_id FROM notifications WHERE status = 'pending' ORDER BY channel_id LIMIT 1)
         UNION ALL
         SELECT (SELECT channel_id FROM notifications WHERE status = 'pending' AND channel_id > ch.id
                 ORDER BY channel_id LIMIT 1)
         FROM ch WHERE ch.id IS NOT NULL
       ), open AS (
         SELECT id FROM ch WHERE id IS NOT NULL AND NOT (id = ANY($2::text[]))
       ), due AS (
         SELECT d.id, d.next_attempt_at FROM open CROSS JOIN LATERAL (
           SELECT n.id, n.next_attempt_at FROM notifications n
           WHERE n.status = 'pending' AND n.channel_id = open.id AND n.next_attempt_at <= $1
             AND (n.lease_until IS NULL OR n.lease_until <= $1)
             AND NOT ${BEHIND_OLDER}
           ORDER BY n.next_attempt_at
           LIMIT $3
           FOR UPDATE SKIP LOCKED
         ) d
         ORDER BY d.next_attempt_at, d.id
         LIMIT $3
       ), claimed AS (
         UPDATE notifications n SET lease_until = $4, lease_owner = $5, attempts = n.attempts + 1
         FROM due WHERE n.id = due.id
         RETURNING n.*
       )
       SELECT * FROM claimed ORDER BY next_attempt_at, id`,
      now,
      excludeChannels,
      limit,
      leaseUntil,
      owner,
    );
    return rows.map(toNotification);
  }
  async earliestNotificationDue() {
    // the page first (notifications_due), then the probe for its rows only; a round trip costs
    // more than rows do, so the first page is a large one
    const page = (at: number, id: number, size: number) =>
      this.all(
        `SELECT id, next_attempt_at, lease_until, ${BEHIND_OLDER} AS behind
         FROM (SELECT id, channel_id, check_id, next_attempt_at, lease_until FROM notifications
               WHERE status = 'pending' AND next_attempt_at >= $1 AND (next_attempt_at > $1 OR id > $2)
               ORDER BY next_attempt_at, id LIMIT $3) n
         ORDER BY next_attempt_at, id`,
        at,
        id,
        size,
      );
    return earliestClaimable(page, 256);
  }
  async recordAttempt(a: Parameters<Tx['recordAttempt']>[0]) {
    await this.run(
      'INSERT INTO notification_attempts (notification_id, at, outcome, error, duration_ms) VALUES ($1, $2, $3, $4, $5)',
      a.notificationId,
      a.at,
      a.outcome,
      a.error,
      a.durationMs,
    );
  }
  async listAttempts(notificationId: number) {
    return (
      await this.all(
        'SELECT * FROM notification_attempts WHERE notification_id = $1 ORDER BY id',
        notificationId,
      )
    ).map(toAttempt);
  }
  async finishNotification(id: number, status: 'delivered' | 'failed', at: number, error: string | null) {
    await this.run(
      'UPDATE notifications SET status = $1, done_at = $2, lease_until = NULL, lease_owner = NULL, last_error = $3 WHERE id = $4',
      status,
      at,
      error,
      id,
    );
  }
  async retryNotification(id: number, nextAttemptAt: number, error: string) {
    await this.run(
      'UPDATE notifications SET next_attempt_at = $1, lease_until = NULL, lease_owner = NULL, last_error = $2 WHERE id = $3',
      nextAttemptAt,
      error,
      id,
    );
  }
  async retryChannelNow(channelId: string, now: number) {
    return this.run(
      "UPDATE notifications SET next_attempt_at = $1 WHERE status = 'pending' AND channel_id = $2 AND next_attempt_at > $1",
      now,
      channelId,
    );
  }
  async releaseLeases(owner: string) {
    return releaseOwner(this.db, owner);
  }

  async claimDueChecks(now: number, claimUntil: number, limit: number, owner: string) {
    return claimDeadlines(this.db, now, claimUntil, limit, owner);
  }
  async claimDueReminders(now: number, claimUntil: number, limit: number, owner: string) {
    return claimReminders(this.db, now, claimUntil, limit, owner);
  }
  async releaseCheckClaims(owner: string, checkIds: string[]) {
    await releaseCheckClaims(this.db, owner, checkIds);
  }
  async claimDueReleases(now: number, claimUntil: number, limit: number, owner: string) {
    return claimReleases(this.db, now, claimUntil, limit, owner);
  }
  async releaseFlipClaims(owner: string, flipIds: number[]) {
    await releaseFlipClaims(this.db, owner, flipIds);
  }
  async listNotifications(checkId: string, limit: number) {
    return (
      await this.all(
        'SELECT * FROM notifications WHERE check_id = $1 ORDER BY id DESC LIMIT $2',
        checkId,
        limit,
      )
    ).map(toNotification);
  }

  async statusCounts() {
    return toStatusCounts(await this.all(STATUS_COUNTS_SQL));
  }
  async getMeta(key: string) {
    const r = await this.one('SELECT value FROM meta WHERE key = $1', key);
    return r ? String(r.value) : null;
  }
  async setMeta(key: string, value: string) {
    await this.run(
      'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      key,
      value,
    );
  }

  async prune(flipsBefore: number, notificationsBefore: number, limit: number) {
    const flips = await this.run(
      'DELETE FROM flips WHERE id IN (SELECT id FROM flips WHERE at < $1 LIMIT $2)',
      flipsBefore,
      limit,
    );
    // the notifications and their attempts go in one statement (data-modifying CTEs)
    const notifications = await this.run(
      `WITH old AS (
         SELECT id FROM notifications WHERE status <> 'pending' AND done_at < $1 LIMIT $2
       ), attempts AS (
         DELETE FROM notification_attempts WHERE notification_id IN (SELECT id FROM old)
       )
       DELETE FROM notifications WHERE id IN (SELECT id FROM old)`,
      notificationsBefore,
      limit,
    );
    return flips + notifications;
  }
}
