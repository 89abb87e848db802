-- A department's call to the citizen of a ticket through 12345 (部门通过12345联系市民): the
-- handler's phone rings first, then the citizen's through the outbound gateway with 12345 as
-- the caller ID. One row per attempt, from the click to the hang-up; its recording is the
-- call_recordings row with the same id. feedback says the answered call recorded the ticket's
-- first contact (首次反馈).
CREATE TABLE ticket_calls (
    id            uuid PRIMARY KEY,
    ticket_id     bigint NOT NULL REFERENCES tickets (id),
    staff_id      bigint REFERENCES staff (id),
    staff_name    text NOT NULL,
    department_id bigint REFERENCES departments (id),
    extension     text NOT NULL,
    result        text NOT NULL DEFAULT 'calling' CHECK (result IN ('calling', 'answered', 'no_answer',
                      'busy', 'handler_unreachable', 'failed')),
    started_at    timestamptz NOT NULL,
    answered_at   timestamptz,
    ended_at      timestamptz,
    talk_ms       bigint NOT NULL DEFAULT 0 CHECK (talk_ms >= 0),
    feedback      boolean NOT NULL DEFAULT false
);
CREATE INDEX ticket_calls_ticket_idx ON ticket_calls (ticket_id, started_at);
