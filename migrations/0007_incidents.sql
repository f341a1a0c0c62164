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
ALTER TABLE "rollback_plans" ADD COLUMN "problem_kind" text;--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_rollback_idx" ON "incidents" USING btree ("rollback_id");--> statement-breakpoint
CREATE INDEX "incidents_system_idx" ON "incidents" USING btree ("system_id","created_at");