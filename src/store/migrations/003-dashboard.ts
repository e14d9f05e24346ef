import { type Kysely, sql } from 'kysely';
import type { Dialect } from './dialect.ts';

// People and their sessions, incidents (down periods) with acknowledgement, public status
// pages, and badge keys.
export function up(dialect: Dialect) {
  return async (db: Kysely<unknown>): Promise<void> => {
    const ms = 'bigint';

    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', ms, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('memberships')
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', ms, (c) => c.notNull())
      .addPrimaryKeyConstraint('memberships_pk', ['user_id', 'project_id'])
      .execute();
    await db.schema.createIndex('memberships_project').on('memberships').column('project_id').execute();

    // `id` is the SHA-256 of the cookie's token: a leaked table cannot be replayed as cookies
    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('project_id', 'text')
      .addColumn('created_at', ms, (c) => c.notNull())
      .addColumn('expires_at', ms, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

    await db.schema
      .createTable('incidents')
      .addColumn('id', dialect.idType, (c) => c.primaryKey().$call(dialect.autoIncrement))
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('check_id', 'text', (c) => c.notNull().references('checks.id').onDelete('cascade'))
      .addColumn('flip_id', ms, (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('opened_at', ms, (c) => c.notNull())
      .addColumn('resolved_at', ms)
      .addColumn('acknowledged_at', ms)
      .addColumn('acknowledged_by', 'text')
      .execute();
    await db.schema
      .createIndex('incidents_project_opened')
      .on('incidents')
      .columns(['project_id', 'opened_at'])
      .execute();
    await db.schema.createIndex('incidents_check').on('incidents').columns(['check_id', 'id']).execute();

    await db.schema
      .createTable('status_pages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('slug', 'text', (c) => c.notNull().unique())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('check_ids', 'text', (c) => c.notNull())
      .addColumn('created_at', ms, (c) => c.notNull())
      .addColumn('updated_at', ms, (c) => c.notNull())
      .execute();

    // the dashboard's check list: one project's checks in name order, paged by (name, id)
    await db.schema
      .createIndex('checks_project_name')
      .on('checks')
      .columns(['project_id', 'name', 'id'])
      .execute();

    await db.schema.alterTable('projects').addColumn('badge_key', 'text').execute();
    const projects = await sql<{ id: string }>`SELECT id FROM projects`.execute(db);
    for (const { id } of projects.rows) {
      await sql`UPDATE projects SET badge_key = ${newBadgeKey()} WHERE id = ${id}`.execute(db);
    }
    await db.schema.createIndex('projects_badge_key').on('projects').column('badge_key').unique().execute();
  };
}

/** 16 random bytes, URL-safe: badge URLs are public, and the key reveals nothing else. */
export function newBadgeKey(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');
}
