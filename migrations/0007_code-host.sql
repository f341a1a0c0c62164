CREATE TABLE "github_deliveries" (
	"delivery_id" text PRIMARY KEY NOT NULL,
	"system_id" text NOT NULL,
	"event" text NOT NULL,
	"bug_id" bigint,
	"received_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "relay_jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"system_id" text NOT NULL,
	"lane" text NOT NULL,
	"payload" jsonb NOT NULL,
	"dedupe_key" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"claimed_by" text,
	"done_at" timestamp with time zone,
	"outcome" text,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "slack_mirrors" (
	"group_chat_id" bigint PRIMARY KEY NOT NULL,
	"system_id" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "bugs" ADD COLUMN "github_issue" integer;--> statement-breakpoint
ALTER TABLE "bugs" ADD COLUMN "github_pull" integer;--> statement-breakpoint
CREATE UNIQUE INDEX "relay_jobs_dedupe_uq" ON "relay_jobs" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "relay_jobs_pending_idx" ON "relay_jobs" USING btree ("done_at","next_attempt_at");--> statement-breakpoint
CREATE UNIQUE INDEX "bugs_github_issue_uq" ON "bugs" USING btree ("system_id","github_issue");