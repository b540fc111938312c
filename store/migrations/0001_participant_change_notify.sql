-- Every change to a participant is announced on commit, so each gateway process drops its cached
-- copy of the participant and its key at once, whoever made the change.
CREATE OR REPLACE FUNCTION sluice_notify_participant_change() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('sluice_participant_changed', COALESCE(NEW.id, OLD.id));
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER participants_notify_change
AFTER INSERT OR UPDATE OR DELETE ON participants
FOR EACH ROW EXECUTE FUNCTION sluice_notify_participant_change();
