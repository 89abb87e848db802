DROP TABLE IF EXISTS ticket_attachments;
