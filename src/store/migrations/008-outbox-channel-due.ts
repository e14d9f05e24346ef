import { type Kysely, sql } from 'kysely';
import type { Dialect } from './dialect.ts';

// Each channel's pending alerts in the order they fall due, for SQLite's claim (sqlite-tx.ts),
// which takes the oldest due alerts of the channels that have room. One walk of the due rows in
// time order had to pass over every due row of a channel at its cap first: with a provider
// hanging and 20,000 alerts queued for it, every claim read them all (5 ms a claim, with the
// event loop held). Partial, like notifications_pending_order: only pending rows are in it.
// Not on PostgreSQL, whose claim stays one statement: there this index, until the table has
// statistics, drew the planner away from notifications_pending_order for the "older pending
// row?" probe, 400 ms a page instead of 1 ms (docs/benchmarks.md).
export function up(dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    if (dialect.name === 'postgres') return;
    await db.schema
      .createIndex('notifications_channel_due')
      .on('notifications')
      .columns(['channel_id', 'next_attempt_at'])
      .where(sql.ref('status'), '=', sql.lit('pending'))
      .execute();
  };
}
