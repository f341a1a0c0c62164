CREATE TABLE "claims" (
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"value" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"owner" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "claims_kind_subject_pk" PRIMARY KEY("kind","subject")
);
--> statement-breakpoint
CREATE TABLE "rollback_plans" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"system_id" text NOT NULL,
	"env" text NOT NULL,
	"from_version" text NOT NULL,
	"target_version" text NOT NULL,
	"undo_ids" bigint[] NOT NULL,
	"bug_ids" bigint[] DEFAULT '{}'::bigint[] NOT NULL,
	"services" text[] DEFAULT '{}'::text[] NOT NULL,
	"actor_id" bigint NOT NULL,
	"actor_name" text NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "rollback_plans_status_idx" ON "rollback_plans" USING btree ("status");--> statement-breakpoint
-- Upgrade: the claims and rollback plans kept in kv move here, so no pending plan or claim is lost.
INSERT INTO "claims" ("kind", "subject", "value", "owner", "created_at")
SELECT split_part("key", ':', 1),
	substr("key", length(split_part("key", ':', 1)) + 2),
	CASE WHEN jsonb_typeof("value") = 'object' THEN "value" ELSE jsonb_build_object('value', "value") END,
	CASE WHEN jsonb_typeof("value") = 'object' THEN "value"->>'owner' END,
	"updated_at"
FROM "kv"
WHERE "key" LIKE 'watch:%' OR "key" LIKE 'rollback-of:%' OR "key" LIKE 'rollback-now:%' OR "key" LIKE 'env-lock:%'
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO "rollback_plans" ("id", "status", "system_id", "env", "from_version", "target_version", "undo_ids", "bug_ids", "services", "actor_id", "actor_name", "reason", "created_at", "updated_at")
SELECT substr("key", length('rollback-plan:') + 1)::bigint,
	CASE "value"->>'status' WHEN 'prepared' THEN 'pending' ELSE "value"->>'status' END,
	"value"->>'systemId',
	"value"->>'env',
	"value"->>'fromVersion',
	"value"->>'targetVersion',
	ARRAY(SELECT jsonb_array_elements_text(COALESCE("value"->'undoIds', '[]'::jsonb))::bigint),
	ARRAY(SELECT jsonb_array_elements_text(COALESCE("value"->'bugIds', '[]'::jsonb))::bigint),
	ARRAY(SELECT jsonb_array_elements_text(COALESCE("value"->'services', '[]'::jsonb))),
	("value"->>'actorId')::bigint,
	COALESCE("value"->>'actorName', ''),
	COALESCE("value"->>'reason', ''),
	"updated_at",
	"updated_at"
FROM "kv"
WHERE "key" ~ '^rollback-plan:[0-9]+$';
--> statement-breakpoint
SELECT setval(pg_get_serial_sequence('rollback_plans', 'id'), max("id")) FROM "rollback_plans" HAVING max("id") IS NOT NULL;
--> statement-breakpoint
DELETE FROM "kv"
WHERE "key" LIKE 'watch:%' OR "key" LIKE 'rollback-of:%' OR "key" LIKE 'rollback-now:%' OR "key" LIKE 'env-lock:%'
	OR "key" ~ '^rollback-plan:[0-9]+$';
