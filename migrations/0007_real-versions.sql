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
ALTER TABLE "bugs" ADD COLUMN "triage_uat_version" text;--> statement-breakpoint
ALTER TABLE "bugs" ADD COLUMN "triage_prod_version" text;--> statement-breakpoint
ALTER TABLE "bugs" ADD COLUMN "flow_override_reason" text;--> statement-breakpoint
ALTER TABLE "bugs" ADD COLUMN "version_hold" text;--> statement-breakpoint
ALTER TABLE "environment_versions" ADD CONSTRAINT "environment_versions_system_id_systems_id_fk" FOREIGN KEY ("system_id") REFERENCES "public"."systems"("id") ON DELETE no action ON UPDATE no action;