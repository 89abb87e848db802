-- Routing (派单): the dispatch rules administrators edit, every version of them, and the
-- trained department classifier.

-- Dispatch rules (派单规则): the current version of each rule. A deleted rule stays as a row
-- (deleted = true) so that its history and the dispatch events naming it keep their meaning.
CREATE TABLE routing_rules (
    id          bigserial PRIMARY KEY,
    version     int NOT NULL DEFAULT 1 CHECK (version > 0),
    name        text NOT NULL CHECK (name <> ''),
    priority    int NOT NULL DEFAULT 1000,
    enabled     boolean NOT NULL DEFAULT true,
    conditions  jsonb NOT NULL DEFAULT '{}',
    action      jsonb NOT NULL DEFAULT '{}',
    deleted     boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL,
    updated_by  text NOT NULL DEFAULT ''
);
CREATE INDEX routing_rules_live_idx ON routing_rules (priority, id) WHERE NOT deleted;

-- Every version of every rule, append-only: what the rule was, who changed it and when.
CREATE TABLE routing_rule_versions (
    rule_id     bigint NOT NULL REFERENCES routing_rules (id),
    version     int NOT NULL,
    change      text NOT NULL CHECK (change IN ('create', 'update', 'delete')),
    rule        jsonb NOT NULL,
    changed_at  timestamptz NOT NULL,
    changed_by  text NOT NULL DEFAULT '',
    staff_id    bigint REFERENCES staff (id),
    PRIMARY KEY (rule_id, version)
);

CREATE FUNCTION routing_rule_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'routing_rule_versions is append-only';
END $$;
CREATE TRIGGER routing_rule_versions_no_update BEFORE UPDATE OR DELETE ON routing_rule_versions
    FOR EACH ROW EXECUTE FUNCTION routing_rule_versions_append_only();

-- Trained department classifiers (the newest is used), with what they were trained on.
CREATE TABLE routing_models (
    id           bigserial PRIMARY KEY,
    trained_at   timestamptz NOT NULL,
    examples     int NOT NULL,
    from_history int NOT NULL,
    model        jsonb NOT NULL
);

-- Return reviews look for dispatch and return events quickly.
CREATE INDEX ticket_events_routing_review_idx ON ticket_events ((data->>'review'))
    WHERE kind = 'dispatch' AND data ? 'review';
