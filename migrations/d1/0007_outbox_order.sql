-- vigil migration 007-outbox-order, made by src/store/d1/migration-files.ts from src/store/migrations/; do not edit
create index "notifications_pending_order" on "notifications" ("channel_id", "check_id", "id") where "status" = 'pending';
