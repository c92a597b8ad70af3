-- A conversation's membership generation (issue 8): bumped by triggers on
-- every change that can make somebody a member or stop being one, so a
-- send can tell from the row it already updates (RETURNING members_gen)
-- whether the member list the process cached is still the list. Read and
-- delivery positions live in the same rows but do not bump it.
ALTER TABLE conversations ADD COLUMN members_gen BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER members_gen_member_in AFTER INSERT ON conversation_members BEGIN
    UPDATE conversations SET members_gen = members_gen + 1 WHERE id = NEW.conversation_id;
END;
CREATE TRIGGER members_gen_member_up
    AFTER UPDATE OF conversation_id, user_id, left_at ON conversation_members BEGIN
    UPDATE conversations SET members_gen = members_gen + 1
     WHERE id IN (OLD.conversation_id, NEW.conversation_id);
END;
CREATE TRIGGER members_gen_member_out AFTER DELETE ON conversation_members BEGIN
    UPDATE conversations SET members_gen = members_gen + 1 WHERE id = OLD.conversation_id;
END;
CREATE TRIGGER members_gen_buddy_in AFTER INSERT ON trip_buddies BEGIN
    UPDATE conversations SET members_gen = members_gen + 1 WHERE trip_id = NEW.trip_id;
END;
CREATE TRIGGER members_gen_buddy_up
    AFTER UPDATE OF trip_id, user_id, state, deleted_at ON trip_buddies BEGIN
    UPDATE conversations SET members_gen = members_gen + 1
     WHERE trip_id IN (OLD.trip_id, NEW.trip_id);
END;
CREATE TRIGGER members_gen_buddy_out AFTER DELETE ON trip_buddies BEGIN
    UPDATE conversations SET members_gen = members_gen + 1 WHERE trip_id = OLD.trip_id;
END;
CREATE TRIGGER members_gen_trip AFTER UPDATE OF deleted_at ON trips BEGIN
    UPDATE conversations SET members_gen = members_gen + 1 WHERE trip_id = NEW.id;
END;

-- The conversation list is per user: its plan starts from the user's
-- memberships and sorts those few rows. The global activity index never
-- served it, and every send moved the conversation's entry in it.
DROP INDEX IF EXISTS conversations_activity;
