import { type Kysely, sql } from 'kysely';
import type { Dialect } from './dialect.ts';

// Each channel's pending alerts in the order they fall due. A claim takes the oldest due alerts
// of the channels that have room: one walk of the due rows in time order had to pass over every
// due row of a channel at its cap first — with a provider hanging and 20,000 alerts queued for
// it, every claim read them all (3-5 ms a claim). Partial, like notifications_pending_order:
// only pending rows are in it. `next_attempt_at IS NOT NULL` (always true) keeps it out of
// queries that do not ask for a time, such as the "older pending alert?" probe, which needs
// notifications_pending_order: PostgreSQL, before the table had statistics, took this one for
// it, at 400-500 ms a call.
export function up(_dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    await db.schema
      .createIndex('notifications_channel_due')
      .on('notifications')
      .columns(['channel_id', 'next_attempt_at'])
      .where(sql<boolean>`status = 'pending' AND next_attempt_at IS NOT NULL`)
      .execute();
  };
}
