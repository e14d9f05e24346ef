-- vigil migration 008-outbox-channel-due, made by src/store/d1/migration-files.ts from src/store/migrations/; do not edit
create index "notifications_channel_due" on "notifications" ("channel_id", "next_attempt_at") where status = 'pending' AND next_attempt_at IS NOT NULL;
