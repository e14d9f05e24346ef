import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.ts';

// Sources (pg_cron databases, Supabase projects) and the checks they discover; HTTP probes.
export function up(_dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    const ms = 'bigint';

    await db.schema
      .createTable('sources')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('sync_interval', 'integer', (c) => c.notNull())
      .addColumn('grace', 'integer', (c) => c.notNull())
      .addColumn('cursor', 'text')
      .addColumn('next_sync_at', ms, (c) => c.notNull())
      .addColumn('last_sync_at', ms)
      .addColumn('last_success_at', ms)
      .addColumn('last_error', 'text')
      .addColumn('last_error_at', ms)
      .addColumn('health_check_id', 'text')
      .addColumn('created_at', ms, (c) => c.notNull())
      .addColumn('updated_at', ms, (c) => c.notNull())
      .addUniqueConstraint('sources_project_name', ['project_id', 'name'])
      .execute();
    await db.schema.createIndex('sources_next_sync').on('sources').column('next_sync_at').execute();

    // A discovered check knows its source and its job there; archived ones leave the lists.
    await db.schema.alterTable('checks').addColumn('source_id', 'text').execute();
    await db.schema.alterTable('checks').addColumn('source_key', 'text').execute();
    await db.schema.alterTable('checks').addColumn('source_details', 'text').execute();
    await db.schema.alterTable('checks').addColumn('archived_at', ms).execute();
    await db.schema
      .alterTable('checks')
      .addColumn('success_criteria', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
    await db.schema
      .createIndex('checks_source')
      .on('checks')
      .columns(['source_id', 'source_key'])
      .where('source_id', 'is not', null)
      .execute();

    // HTTP probes: the request as JSON, and when the next one is due (claimed like a sync).
    await db.schema.alterTable('checks').addColumn('probe', 'text').execute();
    await db.schema.alterTable('checks').addColumn('probe_next_at', ms).execute();
    await db.schema
      .createIndex('checks_probe_next_at')
      .on('checks')
      .column('probe_next_at')
      .where('probe_next_at', 'is not', null)
      .execute();
  };
}
