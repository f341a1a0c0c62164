CREATE TABLE "chat_migrations" (
	"old_chat_id" bigint PRIMARY KEY NOT NULL,
	"new_chat_id" bigint NOT NULL,
	"migrated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "bad_requests" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "priority" integer DEFAULT 0 NOT NULL;