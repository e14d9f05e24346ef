import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.ts';

// Many nodes on one database: work a node takes records who took it. A delivery in flight
// names its node (`lease_owner`), so a restarting node frees only its own; deadline sweeps,
// reminders and held-alert releases are claimed for a short while (`claim_until`,
// `claimed_by`), so nodes share the due rows instead of all working on each of them.
export function up(_dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    const ms = 'bigint';

    await db.schema.alterTable('notifications').addColumn('lease_owner', 'text').execute();
    for (const table of ['checks', 'flips'] as const) {
      await db.schema.alterTable(table).addColumn('claim_until', ms).execute();
      await db.schema.alterTable(table).addColumn('claimed_by', 'text').execute();
    }

    // Partial: only rows held right now are indexed (a few), so freeing a node's work and
    // finding the earliest claimed row stay cheap however large the tables grow.
    await db.schema
      .createIndex('notifications_lease_owner')
      .on('notifications')
      .column('lease_owner')
      .where('lease_owner', 'is not', null)
      .execute();
    await db.schema
      .createIndex('checks_claimed_by')
      .on('checks')
      .column('claimed_by')
      .where('claimed_by', 'is not', null)
      .execute();
    await db.schema
      .createIndex('flips_claimed_by')
      .on('flips')
      .column('claimed_by')
      .where('claimed_by', 'is not', null)
      .execute();
  };
}
