-- vigil migration 005-nodes, made by src/store/d1/migration-files.ts from src/store/migrations/; do not edit
alter table "notifications" add column "lease_owner" text;
alter table "checks" add column "claim_until" bigint;
alter table "checks" add column "claimed_by" text;
alter table "flips" add column "claim_until" bigint;
alter table "flips" add column "claimed_by" text;
create index "notifications_lease_owner" on "notifications" ("lease_owner") where "lease_owner" is not null;
create index "checks_claimed_by" on "checks" ("claimed_by") where "claimed_by" is not null;
create index "flips_claimed_by" on "flips" ("claimed_by") where "claimed_by" is not null;
