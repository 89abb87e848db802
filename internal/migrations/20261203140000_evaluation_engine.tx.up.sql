-- The evaluation engine (考评): the profile of indicators as versioned data, its dry runs and
-- adoptions, departments' appeals (申诉) against a ticket's inclusion, and the daily aggregate
-- the scorecards are summed from.

CREATE FUNCTION evaluation_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;

-- Every version of the evaluation profile (考评方案): indicators with their numerators and
-- denominators, scoring, groups and weights, as a document the evaluation package validates.
-- Append-only: a version, once written, is what it was.
CREATE TABLE evaluation_profile_versions (
    version    int PRIMARY KEY CHECK (version > 0),
    document   jsonb NOT NULL,
    note       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    created_by text NOT NULL DEFAULT ''
);
CREATE TRIGGER evaluation_profile_versions_no_update BEFORE UPDATE OR DELETE ON evaluation_profile_versions
    FOR EACH ROW EXECUTE FUNCTION evaluation_append_only();

-- A dry run: the scores a version would have given over past months, beside the adopted
-- version's. A version is adopted only after one.
CREATE TABLE evaluation_dry_runs (
    id         bigserial PRIMARY KEY,
    version    int NOT NULL REFERENCES evaluation_profile_versions (version),
    against    int REFERENCES evaluation_profile_versions (version),
    result     jsonb NOT NULL,
    run_at     timestamptz NOT NULL,
    run_by     text NOT NULL DEFAULT ''
);
CREATE INDEX evaluation_dry_runs_version_idx ON evaluation_dry_runs (version, id);

-- Adoptions, append-only: the profile in force is the last one adopted.
CREATE TABLE evaluation_adoptions (
    id         bigserial PRIMARY KEY,
    version    int NOT NULL REFERENCES evaluation_profile_versions (version),
    dry_run_id bigint REFERENCES evaluation_dry_runs (id),
    adopted_at timestamptz NOT NULL,
    adopted_by text NOT NULL DEFAULT ''
);
CREATE TRIGGER evaluation_adoptions_no_update BEFORE UPDATE OR DELETE ON evaluation_adoptions
    FOR EACH ROW EXECUTE FUNCTION evaluation_append_only();

-- Appeals (申诉): a department asks that one of its tickets leave its figures; the centre
-- approves or refuses. An approved appeal removes the ticket from that department's figures.
CREATE TABLE evaluation_appeals (
    id              bigserial PRIMARY KEY,
    ticket_id       bigint NOT NULL REFERENCES tickets (id),
    department_id   bigint NOT NULL REFERENCES departments (id),
    reason          text NOT NULL CHECK (reason IN ('unreasonable', 'duplicate', 'not_duty', 'other')),
    text            text NOT NULL CHECK (text <> ''),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused')),
    filed_by        bigint REFERENCES staff (id),
    filed_by_name   text NOT NULL DEFAULT '',
    filed_at        timestamptz NOT NULL,
    decided_by      bigint REFERENCES staff (id),
    decided_by_name text NOT NULL DEFAULT '',
    decided_at      timestamptz,
    decision        text NOT NULL DEFAULT ''
);
-- One live appeal per ticket and department: a refused one may be followed by a new one.
CREATE UNIQUE INDEX evaluation_appeals_live_idx ON evaluation_appeals (ticket_id, department_id) WHERE status <> 'refused';
CREATE INDEX evaluation_appeals_status_idx ON evaluation_appeals (status, id);
CREATE INDEX evaluation_appeals_department_idx ON evaluation_appeals (department_id, id);

-- The daily aggregate: per day a ticket was registered (a call started), department (0: the
-- centre, or no department), category, type and channel, the count of every measure. A
-- scorecard of any window sums it; a day is recomputed when its tickets changed (see
-- evaluation_dirty) or one of its deadlines passed since (evaluation_days.next_due).
CREATE TABLE evaluation_daily (
    day                date NOT NULL,
    department_id      bigint NOT NULL,
    category_id        bigint NOT NULL,
    type               text NOT NULL,
    channel            text NOT NULL,
    registered         bigint NOT NULL DEFAULT 0,
    answered_directly  bigint NOT NULL DEFAULT 0,
    dispatched         bigint NOT NULL DEFAULT 0,
    accept_due         bigint NOT NULL DEFAULT 0,
    accepted_on_time   bigint NOT NULL DEFAULT 0,
    feedback_due       bigint NOT NULL DEFAULT 0,
    feedback_on_time   bigint NOT NULL DEFAULT 0,
    resolve_due        bigint NOT NULL DEFAULT 0,
    resolved_on_time   bigint NOT NULL DEFAULT 0,
    resolved           bigint NOT NULL DEFAULT 0,
    close_due          bigint NOT NULL DEFAULT 0,
    closed             bigint NOT NULL DEFAULT 0,
    resolutions        bigint NOT NULL DEFAULT 0,
    reopens            bigint NOT NULL DEFAULT 0,
    dispatches         bigint NOT NULL DEFAULT 0,
    returns            bigint NOT NULL DEFAULT 0,
    co_assigned        bigint NOT NULL DEFAULT 0,
    co_replied         bigint NOT NULL DEFAULT 0,
    valid_visits       bigint NOT NULL DEFAULT 0,
    contacted          bigint NOT NULL DEFAULT 0,
    solved             bigint NOT NULL DEFAULT 0,
    partly             bigint NOT NULL DEFAULT 0,
    unsolved           bigint NOT NULL DEFAULT 0,
    satisfied          bigint NOT NULL DEFAULT 0,
    basically          bigint NOT NULL DEFAULT 0,
    dissatisfied       bigint NOT NULL DEFAULT 0,
    excluded           bigint NOT NULL DEFAULT 0,
    calls_offered      bigint NOT NULL DEFAULT 0,
    calls_answered     bigint NOT NULL DEFAULT 0,
    calls_answered_15s bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, department_id, category_id, type, channel)
);

-- The days aggregated, when, and the next deadline of their tickets still to come: once it
-- passes, the day is recomputed.
CREATE TABLE evaluation_days (
    day         date PRIMARY KEY,
    computed_at timestamptz NOT NULL,
    next_due    timestamptz
);

-- Moments whose day's aggregate is out of date, written by the triggers below in the same
-- transaction as the change, once per statement.
CREATE TABLE evaluation_dirty (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL
);
-- Whether a day is dirty is a range look-up, however many marks wait for a read.
CREATE INDEX evaluation_dirty_at_idx ON evaluation_dirty (at);

CREATE FUNCTION evaluation_dirty_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO evaluation_dirty (at) SELECT DISTINCT date_trunc('minute', created_at) FROM changed;
    RETURN NULL;
END $$;
CREATE TRIGGER tickets_evaluation_insert AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION evaluation_dirty_tickets();
CREATE TRIGGER tickets_evaluation_update AFTER UPDATE ON tickets
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION evaluation_dirty_tickets();

CREATE FUNCTION evaluation_dirty_visits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO evaluation_dirty (at)
        SELECT DISTINCT date_trunc('minute', t.created_at) FROM changed JOIN tickets t ON t.id = changed.ticket_id;
    RETURN NULL;
END $$;
CREATE TRIGGER return_visits_evaluation AFTER INSERT ON return_visits
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION evaluation_dirty_visits();
CREATE TRIGGER evaluation_appeals_insert AFTER INSERT ON evaluation_appeals
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION evaluation_dirty_visits();
CREATE TRIGGER evaluation_appeals_update AFTER UPDATE ON evaluation_appeals
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION evaluation_dirty_visits();

CREATE FUNCTION evaluation_dirty_calls() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO evaluation_dirty (at) SELECT DISTINCT date_trunc('minute', started_at) FROM changed;
    RETURN NULL;
END $$;
CREATE TRIGGER call_records_evaluation_insert AFTER INSERT ON call_records
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION evaluation_dirty_calls();
CREATE TRIGGER call_records_evaluation_update AFTER UPDATE ON call_records
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION evaluation_dirty_calls();
