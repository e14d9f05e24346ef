-- vigil migration 001-initial, made by src/store/d1/migration-files.ts from src/store/migrations/; do not edit
create table "projects" ("id" text primary key, "name" text not null unique, "ping_key" text not null unique, "created_at" bigint not null);
create table "api_keys" ("id" text primary key, "project_id" text not null references "projects" ("id") on delete cascade, "name" text not null, "prefix" text not null, "hash" text not null unique, "read_only" integer not null, "created_at" bigint not null);
create table "checks" ("id" text primary key, "project_id" text not null references "projects" ("id") on delete cascade, "name" text not null, "slug" text not null, "description" text not null, "tags" text not null, "schedule" text not null, "max_runtime" integer, "failure_threshold" integer not null, "severity" text not null, "manual_resume" integer not null, "methods" text not null, "status" text not null, "failure_count" integer not null, "last_ping_at" bigint, "open_runs" text not null, "next_deadline" bigint, "status_changed_at" bigint not null, "ping_seq" integer not null, "rev" integer not null, "created_at" bigint not null, "updated_at" bigint not null, constraint "checks_project_slug" unique ("project_id", "slug"));
create index "checks_next_deadline" on "checks" ("next_deadline") where "next_deadline" is not null;
create index "checks_project_status" on "checks" ("project_id", "status");
create table "pings" ("id" integer primary key autoincrement, "check_id" text not null references "checks" ("id") on delete cascade, "n" integer not null, "at" bigint not null, "kind" text not null, "exit_status" integer, "method" text not null, "source" text, "user_agent" text, "rid" text, "duration_ms" bigint, "body" text, "truncated" integer not null);
create index "pings_check_n" on "pings" ("check_id", "n");
create table "flips" ("id" integer primary key autoincrement, "check_id" text not null references "checks" ("id") on delete cascade, "at" bigint not null, "from_status" text not null, "to_status" text not null, "reason" text not null);
create index "flips_check" on "flips" ("check_id", "id");
create index "flips_at" on "flips" ("at");
create table "channels" ("id" text primary key, "project_id" text not null references "projects" ("id") on delete cascade, "kind" text not null, "name" text not null, "config" text not null, "events" text not null, "broken_reason" text, "broken_at" bigint, "created_at" bigint not null, "updated_at" bigint not null);
create index "channels_project" on "channels" ("project_id");
create table "notifications" ("id" integer primary key autoincrement, "flip_id" bigint not null, "channel_id" text not null, "project_id" text not null, "check_id" text not null, "event" text not null, "payload" text not null, "status" text not null, "attempts" integer not null, "next_attempt_at" bigint not null, "lease_until" bigint, "created_at" bigint not null, "done_at" bigint, "last_error" text, constraint "notifications_flip_channel" unique ("flip_id", "channel_id"));
create index "notifications_due" on "notifications" ("status", "next_attempt_at");
create index "notifications_check" on "notifications" ("check_id", "id");
create table "notification_attempts" ("id" integer primary key autoincrement, "notification_id" bigint not null, "at" bigint not null, "outcome" text not null, "error" text, "duration_ms" integer not null);
create index "notification_attempts_notification" on "notification_attempts" ("notification_id");
create table "meta" ("key" text primary key, "value" text not null);

-- D1 only (src/store/d1/d1-port.ts). A transaction's writes go as one batch; a write whose
-- row count it relied on is followed by INSERT INTO d1_guard SELECT changes() = <count>, which
-- fails this CHECK, and rolls the batch back, when another writer got there first.
CREATE TABLE d1_guard (ok integer NOT NULL CONSTRAINT d1_conflict CHECK (ok = 1));
-- Ids of flips and incidents, taken before the batch that inserts them (it uses them too).
CREATE TABLE d1_ids (name text PRIMARY KEY, next integer NOT NULL);
INSERT INTO d1_ids (name, next) VALUES ('flips', 1), ('incidents', 1);
