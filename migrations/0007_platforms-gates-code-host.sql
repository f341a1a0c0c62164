CREATE TABLE "environment_versions" (
	"system_id" text NOT NULL,
	"env" text NOT NULL,
	"version" text,
	"since" timestamp with time zone,
	"read_at" timestamp with time zone,
	"error" text,
	"error_at" timestamp with time zone,
	"previous_version" text,
	CONSTRAINT "environment_versions_system_id_env_pk" PRIMARY KEY("system_id","env")
);
--> statement-breakpoint
CREATE TABLE "github_deliveries" (
	"delivery_id" text PRIMARY KEY NOT NULL,
	"system_id" text NOT NULL,
	"event" text NOT NULL,
	"bug_id" bigint,
	"received_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"system_id" text NOT NULL,
	"env" text NOT NULL,
	"problem_kind" text NOT NULL,
	"reason" text NOT NULL,
	"actor_name" text NOT NULL,
	"deployed_id" bigint,
	"deployed_version" text NOT NULL,
	"deployed_at" timestamp with time zone,
	"target_version" text NOT NULL,
	"undo_ids" bigint[] DEFAULT '{}'::bigint[] NOT NULL,
	"bug_ids" bigint[] DEFAULT '{}'::bigint[] NOT NULL,
	"rollback_id" bigint NOT NULL,
	"rollback_status" text NOT NULL,
	"watch_result" text,
	"watch_detail" text,
	"migrate_down_status" text,
	"migrate_down_output" text,
	"follow_up_bug_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notify_preferences" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"enabled" boolean NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
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
ALTER TABLE "bugs" ADD COLUMN "triage_uat_version" text;--> statement-breakpoint
ALTER TABLE "bugs" ADD COLUMN "triage_prod_version" text;--> statement-breakpoint
ALTER TABLE "bugs" ADD COLUMN "flow_override_reason" text;--> statement-breakpoint
ALTER TABLE "bugs" ADD COLUMN "version_hold" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "provider_state" jsonb;--> statement-breakpoint
ALTER TABLE "freezes" ADD COLUMN "starts_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "hotfix_requests" ADD COLUMN "checklist_failed" jsonb;--> statement-breakpoint
ALTER TABLE "hotfix_requests" ADD COLUMN "approver_role" text;--> statement-breakpoint
ALTER TABLE "rollback_plans" ADD COLUMN "problem_kind" text;--> statement-breakpoint
ALTER TABLE "environment_versions" ADD CONSTRAINT "environment_versions_system_id_systems_id_fk" FOREIGN KEY ("system_id") REFERENCES "public"."systems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_rollback_idx" ON "incidents" USING btree ("rollback_id");--> statement-breakpoint
CREATE INDEX "incidents_system_idx" ON "incidents" USING btree ("system_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "relay_jobs_dedupe_uq" ON "relay_jobs" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "relay_jobs_pending_idx" ON "relay_jobs" USING btree ("done_at","next_attempt_at");--> statement-breakpoint
CREATE UNIQUE INDEX "bugs_github_issue_uq" ON "bugs" USING btree ("system_id","github_issue");