ALTER TABLE "deployments" ADD COLUMN "owner" text;--> statement-breakpoint
ALTER TABLE "window_runs" ADD COLUMN "owner" text;