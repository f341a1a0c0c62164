ALTER TABLE "hotfix_requests" ADD COLUMN "checklist_failed" jsonb;--> statement-breakpoint
ALTER TABLE "hotfix_requests" ADD COLUMN "approver_role" text;