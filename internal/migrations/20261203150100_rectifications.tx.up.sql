-- Rectifications (差评整改): a named citizen's 不满意 obliges the department to put things
-- right by a deadline (loop_settings.rectify_workdays working days) and show proof (text and
-- a file); the centre accepts the proof, or sends it back. escalated_at marks the one
-- escalation of an overdue rectification by the sweep.
CREATE TABLE rectifications (
    id            bigserial PRIMARY KEY,
    ticket_id     bigint NOT NULL REFERENCES tickets (id),
    visit_id      bigint NOT NULL UNIQUE REFERENCES return_visits (id),
    department_id bigint NOT NULL REFERENCES departments (id),
    reason        text NOT NULL,
    opened_at     timestamptz NOT NULL,
    due           timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'submitted', 'accepted')),
    proof         text NOT NULL DEFAULT '',
    attachment_id bigint REFERENCES ticket_attachments (id),
    submitted_at  timestamptz,
    submitted_by  text NOT NULL DEFAULT '',
    decided_at    timestamptz,
    decided_by    text NOT NULL DEFAULT '',
    decision_note text NOT NULL DEFAULT '',
    escalated_at  timestamptz
);
CREATE INDEX rectifications_department_idx ON rectifications (department_id, status, due);
CREATE INDEX rectifications_overdue_idx ON rectifications (due) WHERE status <> 'accepted' AND escalated_at IS NULL;
-- A rectification's proof is an attachment of its own action.
ALTER TABLE ticket_attachments DROP CONSTRAINT ticket_attachments_action_check;
ALTER TABLE ticket_attachments ADD CONSTRAINT ticket_attachments_action_check CHECK (action IN ('resolve', 'feedback', 'rectify'));
