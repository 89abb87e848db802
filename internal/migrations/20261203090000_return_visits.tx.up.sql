-- Return visits (回访): every attempt to reach the citizen about a resolution, and, when
-- reached, the three answers evaluation counts (contacted? solved? satisfied?). Append-only:
-- a visit happened as recorded. resolution is the ticket's reopen count at the time, so a
-- visit belongs to one round of handling; department_id the lead department evaluated.
CREATE TABLE return_visits (
    id            bigserial PRIMARY KEY,
    ticket_id     bigint NOT NULL REFERENCES tickets (id),
    resolution    int NOT NULL,
    department_id bigint REFERENCES departments (id),
    channel       text NOT NULL CHECK (channel IN ('phone', 'sms', 'web', 'ivr')),
    outcome       text NOT NULL CHECK (outcome IN ('reached', 'no_answer', 'refused', 'wrong_number')),
    contacted     boolean,
    solved        text CHECK (solved IN ('solved', 'partly', 'unsolved')),
    satisfaction  text CHECK (satisfaction IN ('satisfied', 'basically', 'dissatisfied')),
    comment       text NOT NULL DEFAULT '',
    valid         boolean NOT NULL,
    actor_id      bigint REFERENCES staff (id),
    actor_name    text NOT NULL DEFAULT '',
    at            timestamptz NOT NULL,
    CHECK (valid = (outcome = 'reached' AND contacted IS NOT NULL AND solved IS NOT NULL AND satisfaction IS NOT NULL))
);
CREATE INDEX return_visits_ticket_idx ON return_visits (ticket_id, resolution, id);
CREATE TRIGGER return_visits_no_update BEFORE UPDATE OR DELETE ON return_visits
    FOR EACH ROW EXECUTE FUNCTION chain_anchors_append_only();
CREATE TRIGGER return_visits_no_truncate BEFORE TRUNCATE ON return_visits
    FOR EACH STATEMENT EXECUTE FUNCTION chain_anchors_append_only();
