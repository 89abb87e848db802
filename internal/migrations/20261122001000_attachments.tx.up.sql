-- Files a department attaches to its result (办结) or its feedback (反馈): kept in PostgreSQL
-- with the ticket, like the citizens' photos, so every process behind the load balancer serves
-- them and a backup holds them. event_id is the timeline event that brought the file; the
-- event's data names the files too.
CREATE TABLE ticket_attachments (
    id            bigserial PRIMARY KEY,
    ticket_id     bigint NOT NULL REFERENCES tickets (id),
    event_id      bigint REFERENCES ticket_events (id),
    action        text NOT NULL CHECK (action IN ('resolve', 'feedback')),
    filename      text NOT NULL,
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png', 'image/webp',
                      'application/vnd.openxmlformats-officedocument.wordprocessingml.document')),
    size          int NOT NULL CHECK (size > 0 AND size <= 10485760),
    sha256        bytea NOT NULL,
    data          bytea NOT NULL,
    uploaded_by   bigint REFERENCES staff (id),
    department_id bigint REFERENCES departments (id),
    created_at    timestamptz NOT NULL
);
CREATE INDEX ticket_attachments_ticket_idx ON ticket_attachments (ticket_id, id);
