-- Escalation (催办/督办): deadline clocks, the actions taken on them, extensions (延期),
-- supervision notices (督办单) and the notification outbox.

-- Supervision notices (督办单): a numbered, formal demand on a department with its own deadline.
CREATE TABLE supervision_notices (
    id            bigserial PRIMARY KEY,
    number        text NOT NULL UNIQUE,
    ticket_id     bigint NOT NULL REFERENCES tickets (id),
    department_id bigint NOT NULL REFERENCES departments (id),
    issued_by     bigint REFERENCES staff (id),
    issued_at     timestamptz NOT NULL,
    body          text NOT NULL,
    due           timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'replied')),
    reply         text NOT NULL DEFAULT '',
    replied_by    bigint REFERENCES staff (id),
    replied_at    timestamptz
);
CREATE INDEX supervision_notices_ticket_idx ON supervision_notices (ticket_id);
CREATE INDEX supervision_notices_dept_idx ON supervision_notices (department_id, status);

-- Extension requests (延期申请): asked by the department before the resolution deadline,
-- decided by the centre. At most one pending request per ticket.
CREATE TABLE extension_requests (
    id            bigserial PRIMARY KEY,
    ticket_id     bigint NOT NULL REFERENCES tickets (id),
    requested_by  bigint REFERENCES staff (id),
    requested_at  timestamptz NOT NULL,
    reason        text NOT NULL,
    old_due       timestamptz NOT NULL,
    new_due       timestamptz NOT NULL CHECK (new_due > old_due),
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused')),
    decided_by    bigint REFERENCES staff (id),
    decided_at    timestamptz,
    decision_note text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX extension_requests_pending_idx ON extension_requests (ticket_id) WHERE status = 'pending';
CREATE INDEX extension_requests_status_idx ON extension_requests (status, requested_at);

-- Tickets whose deadlines or clock state changed since the sweep last looked at them. Written
-- by the trigger below, so that every way a ticket changes (dispatch, return, reopen, an
-- extension, a bulk import) reaches the sweep without the sweep scanning the tickets table.
CREATE TABLE escalation_dirty (
    id        bigserial PRIMARY KEY,
    ticket_id bigint NOT NULL
);

CREATE FUNCTION escalation_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO escalation_dirty (ticket_id) VALUES (NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER tickets_escalation_insert AFTER INSERT ON tickets
    FOR EACH ROW WHEN (NEW.status <> 'registered') EXECUTE FUNCTION escalation_mark_dirty();
CREATE TRIGGER tickets_escalation_update AFTER UPDATE ON tickets
    FOR EACH ROW WHEN (
        OLD.status IS DISTINCT FROM NEW.status
        OR OLD.department_id IS DISTINCT FROM NEW.department_id
        OR OLD.accept_due IS DISTINCT FROM NEW.accept_due
        OR OLD.feedback_due IS DISTINCT FROM NEW.feedback_due
        OR OLD.resolve_due IS DISTINCT FROM NEW.resolve_due
        OR OLD.callback_due IS DISTINCT FROM NEW.callback_due
        OR OLD.accepted_at IS DISTINCT FROM NEW.accepted_at
        OR OLD.feedback_at IS DISTINCT FROM NEW.feedback_at
        OR OLD.resolved_at IS DISTINCT FROM NEW.resolved_at
        OR OLD.closed_at IS DISTINCT FROM NEW.closed_at
    ) EXECUTE FUNCTION escalation_mark_dirty();

-- One row per live clock: when the sweep must look at it next. next_at is NULL once the top
-- escalation level is reached. notice_id is 0 for the ticket's own clocks.
CREATE TABLE escalation_clocks (
    ticket_id      bigint NOT NULL REFERENCES tickets (id),
    clock          text NOT NULL CHECK (clock IN ('accept', 'feedback', 'resolve', 'callback', 'notice')),
    notice_id      bigint NOT NULL DEFAULT 0,
    department_id  bigint REFERENCES departments (id),
    started_at     timestamptz NOT NULL,
    due            timestamptz NOT NULL,
    stage          int NOT NULL DEFAULT -1, -- -1 nothing done, 0 warned, n escalated to level n
    next_at        timestamptz,
    ticket_version int NOT NULL DEFAULT 0,
    PRIMARY KEY (ticket_id, clock, notice_id)
);
CREATE INDEX escalation_clocks_next_idx ON escalation_clocks (next_at) WHERE next_at IS NOT NULL;

-- Every action the sweep took. The unique key makes each (ticket, clock, deadline, level)
-- happen once, whatever the number of sweeps running; a recomputed deadline is a new key.
CREATE TABLE escalation_actions (
    id            bigserial PRIMARY KEY,
    ticket_id     bigint NOT NULL REFERENCES tickets (id),
    clock         text NOT NULL,
    notice_id     bigint NOT NULL DEFAULT 0,
    due           timestamptz NOT NULL,
    level         int NOT NULL,
    action        text NOT NULL CHECK (action IN ('warned', 'escalated')),
    department_id bigint REFERENCES departments (id),
    at            timestamptz NOT NULL,
    UNIQUE (ticket_id, clock, notice_id, due, level)
);
CREATE INDEX escalation_actions_at_idx ON escalation_actions (at);

-- The outbox: one row per message to one recipient on one channel, written in the same
-- transaction as what caused it and delivered by the worker.
CREATE TABLE notifications (
    id              bigserial PRIMARY KEY,
    channel         text NOT NULL CHECK (channel IN ('inapp', 'email', 'sms')),
    staff_id        bigint REFERENCES staff (id),
    address         text NOT NULL DEFAULT '',
    ticket_id       bigint REFERENCES tickets (id),
    action_id       bigint REFERENCES escalation_actions (id),
    kind            text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    sent_at         timestamptz,
    read_at         timestamptz,
    last_error      text NOT NULL DEFAULT ''
);
CREATE INDEX notifications_pending_idx ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_staff_idx ON notifications (staff_id, id) WHERE channel = 'inapp';
