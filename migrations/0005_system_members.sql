CREATE TABLE "system_members" (
	"system_id" text NOT NULL,
	"user_id" bigint NOT NULL,
	"seen_at" timestamp with time zone NOT NULL,
	CONSTRAINT "system_members_system_id_user_id_pk" PRIMARY KEY("system_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "system_members" ADD CONSTRAINT "system_members_system_id_systems_id_fk" FOREIGN KEY ("system_id") REFERENCES "public"."systems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "system_members_user_idx" ON "system_members" USING btree ("user_id");