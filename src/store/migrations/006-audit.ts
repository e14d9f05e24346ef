import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.ts';

// Who changed what: the audit log, one row per change people (or vigil, or a source) made to a
// project's checks, channels, maintenance windows, keys, members, sources and settings. And the
// client's own clock: the time a ping says it was sent, kept beside the time it arrived.
export function up(dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    const ms = 'bigint';

    await db.schema
      .createTable('audit_log')
      .addColumn('id', dialect.idType, (c) => c.primaryKey().$call(dialect.autoIncrement))
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('at', ms, (c) => c.notNull())
      .addColumn('actor_kind', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('actor_label', 'text', (c) => c.notNull())
      .addColumn('address', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target_kind', 'text', (c) => c.notNull())
      .addColumn('target_id', 'text', (c) => c.notNull())
      .addColumn('target_name', 'text', (c) => c.notNull())
      .addColumn('changes', 'text')
      .execute();
    // a project's log newest first, paged by (at, id); pruning by age across projects uses `at`
    await db.schema
      .createIndex('audit_log_project_at')
      .on('audit_log')
      .columns(['project_id', 'at', 'id'])
      .execute();
    await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();

    // never drives a deadline: `at` (when vigil received the ping) alone does
    await db.schema.alterTable('pings').addColumn('client_at', ms).execute();
  };
}
