-- issue 15: every change to freezes (insert, update, delete, truncate) notifies channel
-- nightshift_freezes once per statement, after it commits; each process LISTENs and drops its
-- cached freeze state (src/app/freeze-cache.ts), so replicas sharing the database agree.
CREATE OR REPLACE FUNCTION "nightshift_freezes_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('nightshift_freezes', TG_OP);
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "freezes_notify" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "freezes"
  FOR EACH STATEMENT EXECUTE FUNCTION "nightshift_freezes_notify"();
