DROP TABLE IF EXISTS rectifications;
ALTER TABLE ticket_attachments DROP CONSTRAINT IF EXISTS ticket_attachments_action_check;
ALTER TABLE ticket_attachments ADD CONSTRAINT ticket_attachments_action_check CHECK (action IN ('resolve', 'feedback')) NOT VALID;
