// Claims of due work on PostgreSQL, shared by every node: deadline sweeps, reminders and
// held-alert releases. Each claim is one statement, as graphile-worker's getJobs takes jobs:
// the inner SELECT picks the earliest due rows nobody holds and locks them, SKIP LOCKED passes
// over rows another node is claiming at this moment (so nobody waits), and the UPDATE marks
// them held until `claim_until` by `claimed_by`. A node that dies holding a claim only delays
// those rows until the claim ends; nothing is lost, since the work is redone from the row.
//
// Rejected: holding the row locks for the whole sweep (SELECT … FOR UPDATE SKIP LOCKED inside
// the sweep's transaction). It needs no columns, but every ping to a check in the batch would
// wait for the whole batch to commit, and a batch can take a second.
import { CHECK_COLUMNS, checkFromValues, toFlip } from '../rows.ts';
import type { Check, FlipRow } from '../store.ts';
import type { Queryable } from './pg-sql.ts';

/** a row nobody holds, or whose holder's claim ended ($1 is now) */
const FREE = '(claim_until IS NULL OR claim_until <= $1)';

function claimStatement(table: string, due: string, order: string, returning: string): string {
  return `WITH due AS (
      SELECT id FROM ${table}
      WHERE ${due} AND ${FREE}
      ORDER BY ${order}
      LIMIT $2
      FOR UPDATE SKIP LOCKED
    )
    UPDATE ${table} t SET claim_until = $3, claimed_by = $4
    FROM due WHERE t.id = due.id
    RETURNING ${returning}`;
}

const CHECK_RETURNING = CHECK_COLUMNS.map((c) => `t.${c}`).join(', ');
const CLAIM_DEADLINES = claimStatement(
  'checks',
  'next_deadline IS NOT NULL AND next_deadline <= $1',
  'next_deadline',
  CHECK_RETURNING,
);
const CLAIM_REMINDERS = claimStatement(
  'checks',
  "remind_at IS NOT NULL AND remind_at <= $1 AND status = 'down'",
  'remind_at',
  CHECK_RETURNING,
);
const CLAIM_RELEASES = claimStatement(
  'flips',
  'release_at IS NOT NULL AND release_at <= $1',
  'release_at',
  't.*',
);

/**
 * The earliest time of `column` free to claim: the first unclaimed row in the column's index,
 * and the claimed rows (a few, through their partial index) at the later of their time and
 * the end of their claim. A plain MIN would report a row another node is working on as due
 * at once, and every other node's loop would spin on it until that node is done.
 */
function earliestFree(table: string, column: string, extra = ''): string {
  return `SELECT LEAST(
      (SELECT ${column} FROM ${table} WHERE ${column} IS NOT NULL ${extra} AND claimed_by IS NULL
       ORDER BY ${column} LIMIT 1),
      (SELECT MIN(GREATEST(${column}, claim_until)) FROM ${table}
       WHERE claimed_by IS NOT NULL AND ${column} IS NOT NULL ${extra})
    ) AS t`;
}

export const EARLIEST_DEADLINE = earliestFree('checks', 'next_deadline');
export const EARLIEST_REMINDER = earliestFree('checks', 'remind_at', "AND status = 'down'");
export const EARLIEST_RELEASE = earliestFree('flips', 'release_at');

async function claimChecks(
  db: Queryable,
  text: string,
  now: number,
  until: number,
  limit: number,
  owner: string,
): Promise<Check[]> {
  const result = await db.query<unknown[]>({ text, values: [now, limit, until, owner], rowMode: 'array' });
  return result.rows.map(checkFromValues);
}

export async function claimDeadlines(
  db: Queryable,
  now: number,
  until: number,
  limit: number,
  owner: string,
) {
  // RETURNING comes in no promised order: earliest deadline first again
  const checks = await claimChecks(db, CLAIM_DEADLINES, now, until, limit, owner);
  return checks.sort((a, b) => (a.nextDeadline ?? 0) - (b.nextDeadline ?? 0));
}

export async function claimReminders(
  db: Queryable,
  now: number,
  until: number,
  limit: number,
  owner: string,
) {
  const checks = await claimChecks(db, CLAIM_REMINDERS, now, until, limit, owner);
  return checks.sort((a, b) => (a.remindAt ?? 0) - (b.remindAt ?? 0));
}

export async function claimReleases(
  db: Queryable,
  now: number,
  until: number,
  limit: number,
  owner: string,
): Promise<FlipRow[]> {
  const { rows } = await db.query(CLAIM_RELEASES, [now, limit, until, owner]);
  return rows.map(toFlip).sort((a, b) => (a.releaseAt ?? 0) - (b.releaseAt ?? 0) || a.id - b.id);
}

/** Ends `owner`'s claims on these checks (the ids travel as one text[]). */
export async function releaseCheckClaims(db: Queryable, owner: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    'UPDATE checks SET claim_until = NULL, claimed_by = NULL WHERE claimed_by = $1 AND id = ANY($2::text[])',
    [owner, ids],
  );
}

export async function releaseFlipClaims(db: Queryable, owner: string, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    'UPDATE flips SET claim_until = NULL, claimed_by = NULL WHERE claimed_by = $1 AND id = ANY($2::bigint[])',
    [owner, ids],
  );
}

/**
 * Frees every delivery lease and claim `owner` holds, in one statement (data-modifying CTEs);
 * returns the leases freed. Other nodes' leases are left to run out: they may be delivering.
 */
export async function releaseOwner(db: Queryable, owner: string): Promise<number> {
  const result = await db.query(
    `WITH checks_freed AS (
       UPDATE checks SET claim_until = NULL, claimed_by = NULL WHERE claimed_by = $1
     ), flips_freed AS (
       UPDATE flips SET claim_until = NULL, claimed_by = NULL WHERE claimed_by = $1
     )
     UPDATE notifications SET lease_until = NULL, lease_owner = NULL
     WHERE status = 'pending' AND lease_owner = $1`,
    [owner],
  );
  return result.rowCount ?? 0;
}
