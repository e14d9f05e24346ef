-- vigil migration 003-dashboard, made by src/store/d1/migration-files.ts from src/store/migrations/; do not edit
create table "users" ("id" text primary key, "email" text not null unique, "password_hash" text not null, "created_at" bigint not null);
create table "memberships" ("user_id" text not null references "users" ("id") on delete cascade, "project_id" text not null references "projects" ("id") on delete cascade, "role" text not null, "created_at" bigint not null, constraint "memberships_pk" primary key ("user_id", "project_id"));
create index "memberships_project" on "memberships" ("project_id");
create table "sessions" ("id" text primary key, "user_id" text not null references "users" ("id") on delete cascade, "csrf_token" text not null, "project_id" text, "created_at" bigint not null, "expires_at" bigint not null);
create index "sessions_expires" on "sessions" ("expires_at");
create table "incidents" ("id" integer primary key autoincrement, "project_id" text not null, "check_id" text not null references "checks" ("id") on delete cascade, "flip_id" bigint not null, "event" text not null, "reason" text not null, "opened_at" bigint not null, "resolved_at" bigint, "acknowledged_at" bigint, "acknowledged_by" text);
create index "incidents_project_opened" on "incidents" ("project_id", "opened_at");
create index "incidents_check" on "incidents" ("check_id", "id");
create table "status_pages" ("id" text primary key, "project_id" text not null references "projects" ("id") on delete cascade, "slug" text not null unique, "title" text not null, "check_ids" text not null, "created_at" bigint not null, "updated_at" bigint not null);
create index "checks_project_name" on "checks" ("project_id", "name", "id");
alter table "projects" add column "badge_key" text;
create unique index "projects_badge_key" on "projects" ("badge_key");
