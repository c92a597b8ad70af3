-- A conversation's membership generation (issue 8): bumped by triggers on
-- every change that can make somebody a member or stop being one, so a
-- send can tell from the row it already updates (RETURNING members_gen)
-- whether the member list the process cached is still the list. Read and
-- delivery positions live in the same rows but do not bump it.
ALTER TABLE conversations ADD COLUMN members_gen BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION members_gen_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE conversations SET members_gen = members_gen + 1 WHERE id = OLD.conversation_id;
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.conversation_id <> OLD.conversation_id) THEN
        UPDATE conversations SET members_gen = members_gen + 1 WHERE id = NEW.conversation_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER members_gen_member
    AFTER INSERT OR DELETE OR UPDATE OF conversation_id, user_id, left_at ON conversation_members
    FOR EACH ROW EXECUTE FUNCTION members_gen_member();

CREATE FUNCTION members_gen_buddy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE conversations SET members_gen = members_gen + 1 WHERE trip_id = OLD.trip_id;
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.trip_id <> OLD.trip_id) THEN
        UPDATE conversations SET members_gen = members_gen + 1 WHERE trip_id = NEW.trip_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER members_gen_buddy
    AFTER INSERT OR DELETE OR UPDATE OF trip_id, user_id, state, deleted_at ON trip_buddies
    FOR EACH ROW EXECUTE FUNCTION members_gen_buddy();

CREATE FUNCTION members_gen_trip() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE conversations SET members_gen = members_gen + 1 WHERE trip_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER members_gen_trip AFTER UPDATE OF deleted_at ON trips
    FOR EACH ROW EXECUTE FUNCTION members_gen_trip();

-- The conversation list is per user: its plan starts from the user's
-- memberships and sorts those few rows. The global activity index never
-- served it, and every send moved the conversation's entry in it.
DROP INDEX IF EXISTS conversations_activity;
