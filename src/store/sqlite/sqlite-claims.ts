// Claims of due work on SQLite: deadline sweeps, reminders and held-alert releases. One
// process owns the file (see process-lock.ts), so a claim never competes with another node;
// it is kept anyway so both engines answer the Store contract the same way, and each claim is
// one UPDATE … RETURNING, atomic on the one connection every caller shares.
import { CHECK_COLUMNS, checkFromValues, toFlip } from '../rows.ts';
import type { Check, FlipRow } from '../store.ts';
import type { SqlPort } from './sql-port.ts';

const RETURNING_CHECK = `RETURNING ${CHECK_COLUMNS.join(', ')}`;
/** a row nobody holds, or whose holder's claim ended */
const FREE = '(claim_until IS NULL OR claim_until <= ?)';

const CLAIM_DEADLINES = `UPDATE checks SET claim_until = ?, claimed_by = ?
  WHERE id IN (SELECT id FROM checks WHERE next_deadline IS NOT NULL AND next_deadline <= ? AND ${FREE}
               ORDER BY next_deadline LIMIT ?)
  ${RETURNING_CHECK}`;

const CLAIM_REMINDERS = `UPDATE checks SET claim_until = ?, claimed_by = ?
  WHERE id IN (SELECT id FROM checks WHERE remind_at IS NOT NULL AND remind_at <= ? AND status = 'down'
               AND ${FREE} ORDER BY remind_at LIMIT ?)
  ${RETURNING_CHECK}`;

const CLAIM_RELEASES = `UPDATE flips SET claim_until = ?, claimed_by = ?
  WHERE id IN (SELECT id FROM flips WHERE release_at IS NOT NULL AND release_at <= ? AND ${FREE}
               ORDER BY release_at LIMIT ?)
  RETURNING *`;

/**
 * The earliest time of `column` that is free to claim: the unclaimed rows through the
 * column's index (first in order), and the claimed ones (a few, through their partial index)
 * at the later of their time and the end of their claim. A plain MIN over both would report a
 * claimed row as due at once, and every other node's loop would spin on it until it is done.
 */
function earliestFree(table: string, column: string, extra = ''): string {
  return `SELECT MIN(t) AS t FROM (
    SELECT * FROM (SELECT ${column} AS t FROM ${table}
                   WHERE ${column} IS NOT NULL ${extra} AND claimed_by IS NULL ORDER BY ${column} LIMIT 1)
    UNION ALL
    SELECT MIN(MAX(${column}, claim_until)) FROM ${table}
    WHERE claimed_by IS NOT NULL AND ${column} IS NOT NULL ${extra})`;
}

export const EARLIEST_DEADLINE = earliestFree('checks', 'next_deadline');
export const EARLIEST_REMINDER = earliestFree('checks', 'remind_at', "AND status = 'down'");
export const EARLIEST_RELEASE = earliestFree('flips', 'release_at');

async function claimChecks(
  port: SqlPort,
  sql: string,
  now: number,
  until: number,
  limit: number,
  owner: string,
): Promise<Check[]> {
  return (await port.claimValues(sql, [until, owner, now, now, limit])).map(checkFromValues);
}

export async function claimDeadlines(
  port: SqlPort,
  now: number,
  until: number,
  limit: number,
  owner: string,
) {
  // RETURNING comes in no promised order: earliest deadline first again
  return (await claimChecks(port, CLAIM_DEADLINES, now, until, limit, owner)).sort(
    (a, b) => (a.nextDeadline ?? 0) - (b.nextDeadline ?? 0),
  );
}

export async function claimReminders(
  port: SqlPort,
  now: number,
  until: number,
  limit: number,
  owner: string,
) {
  return (await claimChecks(port, CLAIM_REMINDERS, now, until, limit, owner)).sort(
    (a, b) => (a.remindAt ?? 0) - (b.remindAt ?? 0),
  );
}

export async function claimReleases(
  port: SqlPort,
  now: number,
  until: number,
  limit: number,
  owner: string,
): Promise<FlipRow[]> {
  const rows = await port.claim(CLAIM_RELEASES, [until, owner, now, now, limit]);
  return rows.map(toFlip).sort((a, b) => (a.releaseAt ?? 0) - (b.releaseAt ?? 0) || a.id - b.id);
}

/** Ends `owner`'s claims on the rows with these ids; the ids travel as one JSON array. */
export async function releaseClaims(
  port: SqlPort,
  table: 'checks' | 'flips',
  owner: string,
  ids: readonly (string | number)[],
): Promise<void> {
  if (ids.length === 0) return;
  await port.run(
    `UPDATE ${table} SET claim_until = NULL, claimed_by = NULL
     WHERE claimed_by = ? AND id IN (SELECT value FROM json_each(?))`,
    [owner, JSON.stringify(ids)],
  );
}

/** Frees `owner`'s delivery leases and claims; returns the leases freed. */
export async function releaseOwner(port: SqlPort, owner: string): Promise<number> {
  await port.run('UPDATE checks SET claim_until = NULL, claimed_by = NULL WHERE claimed_by = ?', [owner]);
  await port.run('UPDATE flips SET claim_until = NULL, claimed_by = NULL WHERE claimed_by = ?', [owner]);
  const freed = await port.run(
    "UPDATE notifications SET lease_until = NULL, lease_owner = NULL WHERE status = 'pending' AND lease_owner = ?",
    [owner],
  );
  return freed.changes;
}

/**
 * Frees every lease and claim, whoever took it. Only for the process that holds the file's
 * lock: nobody else can be working, so whatever is held was held by a process that died.
 */
export async function releaseEverything(port: SqlPort): Promise<void> {
  await port.run('UPDATE checks SET claim_until = NULL, claimed_by = NULL WHERE claimed_by IS NOT NULL', []);
  await port.run('UPDATE flips SET claim_until = NULL, claimed_by = NULL WHERE claimed_by IS NOT NULL', []);
  await port.run(
    "UPDATE notifications SET lease_until = NULL, lease_owner = NULL WHERE status = 'pending' AND lease_until IS NOT NULL",
    [],
  );
}
