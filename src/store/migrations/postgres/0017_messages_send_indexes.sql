-- Fewer index pages per message sent (issue 8 fan-out benchmark): the
-- clientMessageId uniqueness and the media listing index only hold the
-- rows they are for. Uniqueness is unchanged (NULL client ids never
-- conflicted).
DO $$
DECLARE c text;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint
             WHERE conrelid = 'messages'::regclass AND contype = 'u'
               AND pg_get_constraintdef(oid) LIKE '%client_message_id%'
    LOOP
        EXECUTE format('ALTER TABLE messages DROP CONSTRAINT %I', c);
    END LOOP;
END $$;
CREATE UNIQUE INDEX messages_client ON messages (conversation_id, sender_id, client_message_id)
    WHERE client_message_id IS NOT NULL;
DROP INDEX messages_media;
CREATE INDEX messages_media ON messages (conversation_id, seq) WHERE type = 'media';
