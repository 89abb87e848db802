-- The working-day calendar (工作日历): statutory holidays and adjusted working
-- days (调休) that override the normal Monday-Friday week. Days without a row
-- follow the normal week, so the table holds only the official exceptions.
CREATE TABLE workcal_days (
    day        date        PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name       text        NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL DEFAULT ''
);
