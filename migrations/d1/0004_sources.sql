-- vigil migration 004-sources, made by src/store/d1/migration-files.ts from src/store/migrations/; do not edit
create table "sources" ("id" text primary key, "project_id" text not null references "projects" ("id") on delete cascade, "name" text not null, "kind" text not null, "config" text not null, "severity" text not null, "tags" text default '[]' not null, "sync_interval" integer not null, "grace" integer not null, "cursor" text, "next_sync_at" bigint not null, "last_sync_at" bigint, "last_success_at" bigint, "last_error" text, "last_error_at" bigint, "health_check_id" text, "created_at" bigint not null, "updated_at" bigint not null, constraint "sources_project_name" unique ("project_id", "name"));
create index "sources_next_sync" on "sources" ("next_sync_at");
alter table "checks" add column "source_id" text;
alter table "checks" add column "source_key" text;
alter table "checks" add column "source_details" text;
alter table "checks" add column "archived_at" bigint;
alter table "checks" add column "success_criteria" text default '' not null;
create index "checks_source" on "checks" ("source_id", "source_key") where "source_id" is not null;
alter table "checks" add column "probe" text;
alter table "checks" add column "probe_next_at" bigint;
create index "checks_probe_next_at" on "checks" ("probe_next_at") where "probe_next_at" is not null;
