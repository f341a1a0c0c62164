CREATE TABLE "admins" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"added_by" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bug_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"bug_id" bigint NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"event" text NOT NULL,
	"actor_id" bigint,
	"actor_name" text NOT NULL,
	"note" text,
	"release_id" bigint,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bugs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"system_id" text NOT NULL,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"reporter_id" bigint NOT NULL,
	"reporter_name" text NOT NULL,
	"severity" text,
	"found_in_env" text,
	"fix_flow" text,
	"status" text DEFAULT 'submitted' NOT NULL,
	"module" text,
	"services" text[] DEFAULT '{}'::text[] NOT NULL,
	"ai_root_cause" text,
	"ai_fix_plan" text,
	"ai_fix_diff" text,
	"analysis_failed" boolean DEFAULT false NOT NULL,
	"uat_ahead" boolean,
	"held" boolean DEFAULT false NOT NULL,
	"row_version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deployments" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"system_id" text NOT NULL,
	"env" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"version" text NOT NULL,
	"previous_version" text,
	"services" text[] DEFAULT '{}'::text[] NOT NULL,
	"bug_ids" bigint[] DEFAULT '{}'::bigint[] NOT NULL,
	"rolls_back_id" bigint,
	"window_run_id" bigint,
	"actor_name" text NOT NULL,
	"reason" text,
	"output" text DEFAULT '' NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "environments" (
	"system_id" text NOT NULL,
	"env" text NOT NULL,
	"current_version" text,
	"previous_version" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "environments_system_id_env_pk" PRIMARY KEY("system_id","env")
);
--> statement-breakpoint
CREATE TABLE "freezes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"system_id" text,
	"scope" text NOT NULL,
	"module" text,
	"reason" text DEFAULT '' NOT NULL,
	"until" timestamp with time zone,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lifted_at" timestamp with time zone,
	"lifted_by" text
);
--> statement-breakpoint
CREATE TABLE "hotfix_requests" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"bug_id" bigint NOT NULL,
	"requested_by_id" bigint NOT NULL,
	"requested_by_name" text NOT NULL,
	"mode" text NOT NULL,
	"diff" text DEFAULT '' NOT NULL,
	"severity" text NOT NULL,
	"status" text NOT NULL,
	"approved_by_id" bigint,
	"approved_by_name" text,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kv" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "oncall" (
	"system_id" text NOT NULL,
	"day" text NOT NULL,
	"user_id" bigint NOT NULL,
	"name" text NOT NULL,
	"set_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "oncall_system_id_day_pk" PRIMARY KEY("system_id","day")
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"chat_id" bigint NOT NULL,
	"method" text DEFAULT 'sendMessage' NOT NULL,
	"payload" jsonb NOT NULL,
	"dedupe_key" text,
	"edits_outbox_id" bigint,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"sent_message_id" bigint,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "processed_updates" (
	"update_id" bigint PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "systems" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"group_chat_id" bigint NOT NULL,
	"timezone" text NOT NULL,
	"t1_time" text NOT NULL,
	"t2_time" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"user_id" bigint PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"username" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "window_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"system_id" text NOT NULL,
	"slot" text NOT NULL,
	"scheduled_for" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"trigger" text DEFAULT 'schedule' NOT NULL,
	"summary" text,
	"progress_message_id" bigint,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "bug_events" ADD CONSTRAINT "bug_events_bug_id_bugs_id_fk" FOREIGN KEY ("bug_id") REFERENCES "public"."bugs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bugs" ADD CONSTRAINT "bugs_system_id_systems_id_fk" FOREIGN KEY ("system_id") REFERENCES "public"."systems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_system_id_systems_id_fk" FOREIGN KEY ("system_id") REFERENCES "public"."systems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "environments" ADD CONSTRAINT "environments_system_id_systems_id_fk" FOREIGN KEY ("system_id") REFERENCES "public"."systems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "freezes" ADD CONSTRAINT "freezes_system_id_systems_id_fk" FOREIGN KEY ("system_id") REFERENCES "public"."systems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hotfix_requests" ADD CONSTRAINT "hotfix_requests_bug_id_bugs_id_fk" FOREIGN KEY ("bug_id") REFERENCES "public"."bugs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oncall" ADD CONSTRAINT "oncall_system_id_systems_id_fk" FOREIGN KEY ("system_id") REFERENCES "public"."systems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "window_runs" ADD CONSTRAINT "window_runs_system_id_systems_id_fk" FOREIGN KEY ("system_id") REFERENCES "public"."systems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bug_events_bug_idx" ON "bug_events" USING btree ("bug_id");--> statement-breakpoint
CREATE INDEX "bugs_system_status_idx" ON "bugs" USING btree ("system_id","status");--> statement-breakpoint
CREATE INDEX "deployments_system_env_idx" ON "deployments" USING btree ("system_id","env","started_at");--> statement-breakpoint
CREATE INDEX "deployments_status_idx" ON "deployments" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_dedupe_uq" ON "outbox" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("sent_at","next_attempt_at");--> statement-breakpoint
CREATE UNIQUE INDEX "window_runs_claim_uq" ON "window_runs" USING btree ("system_id","slot","scheduled_for");