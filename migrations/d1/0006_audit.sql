-- vigil migration 006-audit, made by src/store/d1/migration-files.ts from src/store/migrations/; do not edit
create table "audit_log" ("id" integer primary key autoincrement, "project_id" text not null references "projects" ("id") on delete cascade, "at" bigint not null, "actor_kind" text not null, "actor_id" text, "actor_label" text not null, "address" text, "action" text not null, "target_kind" text not null, "target_id" text not null, "target_name" text not null, "changes" text);
create index "audit_log_project_at" on "audit_log" ("project_id", "at", "id");
create index "audit_log_at" on "audit_log" ("at");
alter table "pings" add column "client_at" bigint;
