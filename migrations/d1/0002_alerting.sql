-- vigil migration 002-alerting, made by src/store/d1/migration-files.ts from src/store/migrations/; do not edit
alter table "channels" add column "min_severity" text default 'low' not null;
alter table "channels" add column "max_severity" text default 'critical' not null;
alter table "channels" add column "tags" text default '[]' not null;
alter table "projects" add column "silence_period" integer default 3600 not null;
alter table "checks" add column "channels" text default '[]' not null;
alter table "checks" add column "realert_every" integer;
alter table "checks" add column "remind_at" bigint;
alter table "checks" add column "reminders_sent" integer default 0 not null;
create index "checks_remind_at" on "checks" ("remind_at") where "remind_at" is not null;
alter table "flips" add column "event" text;
alter table "flips" add column "alert" text;
alter table "flips" add column "alert_note" text;
alter table "flips" add column "release_at" bigint;
create index "flips_release_at" on "flips" ("release_at") where "release_at" is not null;
create table "notifications_v2" ("id" integer primary key autoincrement, "flip_id" bigint not null, "channel_id" text not null, "seq" integer not null, "project_id" text not null, "check_id" text not null, "event" text not null, "payload" text not null, "status" text not null, "attempts" integer not null, "next_attempt_at" bigint not null, "lease_until" bigint, "created_at" bigint not null, "done_at" bigint, "last_error" text, constraint "notifications_flip_channel_seq" unique ("flip_id", "channel_id", "seq"));
INSERT INTO notifications_v2 (id, flip_id, channel_id, seq, project_id, check_id, event, payload,
                status, attempts, next_attempt_at, lease_until, created_at, done_at, last_error)
              SELECT id, flip_id, channel_id, 0, project_id, check_id, event, payload,
                status, attempts, next_attempt_at, lease_until, created_at, done_at, last_error
              FROM notifications;
drop table "notifications";
alter table "notifications_v2" rename to "notifications";
create index "notifications_due" on "notifications" ("status", "next_attempt_at");
create index "notifications_check" on "notifications" ("check_id", "id");
create table "maintenance" ("id" text primary key, "project_id" text not null references "projects" ("id") on delete cascade, "name" text not null, "kind" text not null, "starts_at" bigint, "ends_at" bigint, "cron" text, "timezone" text, "duration" integer, "check_ids" text not null, "tags" text not null, "created_at" bigint not null, "updated_at" bigint not null);
create index "maintenance_project" on "maintenance" ("project_id");
