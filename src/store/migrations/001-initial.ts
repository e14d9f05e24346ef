import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.ts';

// Times are epoch milliseconds (bigint), booleans 0/1, lists JSON text: both engines agree.
export function up(dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    const ms = 'bigint';
    await db.schema
      .createTable('projects')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('ping_key', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', ms, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('read_only', 'integer', (c) => c.notNull())
      .addColumn('created_at', ms, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('checks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('slug', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('schedule', 'text', (c) => c.notNull())
      .addColumn('max_runtime', 'integer')
      .addColumn('failure_threshold', 'integer', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('manual_resume', 'integer', (c) => c.notNull())
      .addColumn('methods', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('failure_count', 'integer', (c) => c.notNull())
      .addColumn('last_ping_at', ms)
      .addColumn('open_runs', 'text', (c) => c.notNull())
      .addColumn('next_deadline', ms)
      .addColumn('status_changed_at', ms, (c) => c.notNull())
      .addColumn('ping_seq', 'integer', (c) => c.notNull())
      .addColumn('rev', 'integer', (c) => c.notNull())
      .addColumn('created_at', ms, (c) => c.notNull())
      .addColumn('updated_at', ms, (c) => c.notNull())
      .addUniqueConstraint('checks_project_slug', ['project_id', 'slug'])
      .execute();
    await db.schema
      .createIndex('checks_next_deadline')
      .on('checks')
      .column('next_deadline')
      .where('next_deadline', 'is not', null)
      .execute();
    await db.schema
      .createIndex('checks_project_status')
      .on('checks')
      .columns(['project_id', 'status'])
      .execute();

    await db.schema
      .createTable('pings')
      .addColumn('id', dialect.idType, (c) => c.primaryKey().$call(dialect.autoIncrement))
      .addColumn('check_id', 'text', (c) => c.notNull().references('checks.id').onDelete('cascade'))
      .addColumn('n', 'integer', (c) => c.notNull())
      .addColumn('at', ms, (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('exit_status', 'integer')
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('source', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('rid', 'text')
      .addColumn('duration_ms', ms)
      .addColumn('body', 'text')
      .addColumn('truncated', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('pings_check_n').on('pings').columns(['check_id', 'n']).execute();

    await db.schema
      .createTable('flips')
      .addColumn('id', dialect.idType, (c) => c.primaryKey().$call(dialect.autoIncrement))
      .addColumn('check_id', 'text', (c) => c.notNull().references('checks.id').onDelete('cascade'))
      .addColumn('at', ms, (c) => c.notNull())
      .addColumn('from_status', 'text', (c) => c.notNull())
      .addColumn('to_status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('flips_check').on('flips').columns(['check_id', 'id']).execute();
    await db.schema.createIndex('flips_at').on('flips').column('at').execute();

    await db.schema
      .createTable('channels')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('broken_reason', 'text')
      .addColumn('broken_at', ms)
      .addColumn('created_at', ms, (c) => c.notNull())
      .addColumn('updated_at', ms, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('channels_project').on('channels').column('project_id').execute();

    // The outbox. No foreign keys to checks/channels: a notification outlives a deleted check
    // (the alert about it is still owed) and is pruned by age instead.
    await db.schema
      .createTable('notifications')
      .addColumn('id', dialect.idType, (c) => c.primaryKey().$call(dialect.autoIncrement))
      .addColumn('flip_id', ms, (c) => c.notNull())
      .addColumn('channel_id', 'text', (c) => c.notNull())
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
      .addUniqueConstraint('notifications_flip_channel', ['flip_id', 'channel_id'])
      .execute();
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
      .createTable('notification_attempts')
      .addColumn('id', dialect.idType, (c) => c.primaryKey().$call(dialect.autoIncrement))
      .addColumn('notification_id', ms, (c) => c.notNull())
      .addColumn('at', ms, (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('notification_attempts_notification')
      .on('notification_attempts')
      .column('notification_id')
      .execute();

    await db.schema
      .createTable('meta')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  };
}
