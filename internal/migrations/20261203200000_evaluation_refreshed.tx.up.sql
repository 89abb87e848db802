-- When the background refresher last brought every aggregated day of evaluation_daily up to
-- date: every change committed before as_of is in the aggregate. Reads say so (computed_at).
CREATE TABLE evaluation_refreshed (
    id    int PRIMARY KEY CHECK (id = 1),
    as_of timestamptz NOT NULL
);
