import { type Kysely, sql } from 'kysely';
import type { Dialect } from './dialect.ts';

// Alerts about one check reach one channel in the order they were queued: a row is claimed
// only when no older row of the same channel and check is still pending (a recovery must not
// overtake the failure it ends). This index answers "is there an older pending one?" with one
// probe. Partial: only pending rows are in it (a few, unless a provider is down), so it stays
// small however long the outbox history grows; the check's full-history index would have to
// walk every alert the check ever had.
export function up(_dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    await db.schema
      .createIndex('notifications_pending_order')
      .on('notifications')
      .columns(['channel_id', 'check_id', 'id'])
      .where(sql.ref('status'), '=', sql.lit('pending'))
      .execute();
  };
}
