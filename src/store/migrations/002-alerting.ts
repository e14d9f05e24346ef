import { type Kysely, sql } from 'kysely';
import type { Dialect } from './dialect.ts';

// Routing rules, reminders, held alerts and maintenance windows.
export function up(dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    const ms = 'bigint';

    // A channel's rule: severities and tags it takes (events it already had).
    await db.schema
      .alterTable('channels')
      .addColumn('min_severity', 'text', (c) => c.notNull().defaultTo('low'))
      .execute();
    await db.schema
      .alterTable('channels')
      .addColumn('max_severity', 'text', (c) => c.notNull().defaultTo('critical'))
      .execute();
    await db.schema
      .alterTable('channels')
      .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
      .execute();
    // "down" used to cover failed runs and runs too long; they are events of their own now,
    // so a channel that took down alerts keeps getting all three.
    const channels = await sql<{ id: string; events: string }>`SELECT id, events FROM channels`.execute(db);
    for (const { id, events } of channels.rows) {
      const list: string[] = JSON.parse(events);
      if (!list.includes('down')) continue;
      const widened = [...new Set([...list, 'failed', 'too_long'])];
      await sql`UPDATE channels SET events = ${JSON.stringify(widened)} WHERE id = ${id}`.execute(db);
    }

    await db.schema
      .alterTable('projects')
      .addColumn('silence_period', 'integer', (c) => c.notNull().defaultTo(3600))
      .execute();

    // Channels a check names itself, and reminders while it stays down.
    await db.schema
      .alterTable('checks')
      .addColumn('channels', 'text', (c) => c.notNull().defaultTo('[]'))
      .execute();
    await db.schema.alterTable('checks').addColumn('realert_every', 'integer').execute();
    await db.schema.alterTable('checks').addColumn('remind_at', ms).execute();
    await db.schema
      .alterTable('checks')
      .addColumn('reminders_sent', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex('checks_remind_at')
      .on('checks')
      .column('remind_at')
      .where('remind_at', 'is not', null)
      .execute();

    // What became of a flip's alert: queued, held by maintenance (until release_at), ...
    await db.schema.alterTable('flips').addColumn('event', 'text').execute();
    await db.schema.alterTable('flips').addColumn('alert', 'text').execute();
    await db.schema.alterTable('flips').addColumn('alert_note', 'text').execute();
    await db.schema.alterTable('flips').addColumn('release_at', ms).execute();
    await db.schema
      .createIndex('flips_release_at')
      .on('flips')
      .column('release_at')
      .where('release_at', 'is not', null)
      .execute();

    // Reminders are further notifications for the same flip and channel: the outbox key gains
    // a sequence number. SQLite cannot drop a table constraint, so the table is rebuilt (on
    // both engines, to keep one path).
    await db.schema
      .createTable('notifications_v2')
      .addColumn('id', dialect.idType, (c) => c.primaryKey().$call(dialect.autoIncrement))
      .addColumn('flip_id', ms, (c) => c.notNull())
      .addColumn('channel_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('check_id', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', ms, (c) => c.notNull())
      .addColumn('lease_until', ms)
      .addColumn('created_at', ms, (c) => c.notNull())
      .addColumn('done_at', ms)
      .addColumn('last_error', 'text')
      .addUniqueConstraint('notifications_flip_channel_seq', ['flip_id', 'channel_id', 'seq'])
      .execute();
    await sql`INSERT INTO notifications_v2 (id, flip_id, channel_id, seq, project_id, check_id, event, payload,
                status, attempts, next_attempt_at, lease_until, created_at, done_at, last_error)
              SELECT id, flip_id, channel_id, 0, project_id, check_id, event, payload,
                status, attempts, next_attempt_at, lease_until, created_at, done_at, last_error
              FROM notifications`.execute(db);
    await db.schema.dropTable('notifications').execute();
    await db.schema.alterTable('notifications_v2').renameTo('notifications').execute();
    if (dialect.name === 'postgres') {
      // the identity keeps counting where the copied ids end
      await sql`SELECT setval(pg_get_serial_sequence('notifications', 'id'),
                  COALESCE((SELECT MAX(id) FROM notifications), 0) + 1, false)`.execute(db);
    }
    await db.schema
      .createIndex('notifications_due')
      .on('notifications')
      .columns(['status', 'next_attempt_at'])
      .execute();
    await db.schema
      .createIndex('notifications_check')
      .on('notifications')
      .columns(['check_id', 'id'])
      .execute();

    await db.schema
      .createTable('maintenance')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('starts_at', ms)
      .addColumn('ends_at', ms)
      .addColumn('cron', 'text')
      .addColumn('timezone', 'text')
      .addColumn('duration', 'integer')
      .addColumn('check_ids', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('created_at', ms, (c) => c.notNull())
      .addColumn('updated_at', ms, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('maintenance_project').on('maintenance').column('project_id').execute();
  };
}
