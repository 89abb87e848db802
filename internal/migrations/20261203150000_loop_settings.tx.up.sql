-- The closed loop's settings (闭环), one row the centre edits: which answers make a reached
-- return visit valid (有效回访) and through which channels, how many attempts before a
-- citizen counts as unreachable, the rectification deadline of a named bad rating (差评整改)
-- in working days, and how citizens who never answer count in the satisfaction figures.
CREATE TABLE loop_settings (
    id                       int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    valid_needs_contacted    boolean NOT NULL DEFAULT true,
    valid_needs_solved       boolean NOT NULL DEFAULT true,
    valid_needs_satisfaction boolean NOT NULL DEFAULT true,
    valid_channels           text[] NOT NULL DEFAULT '{phone,sms,web,ivr}',
    max_attempts             int NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 10),
    rectify_workdays         int NOT NULL DEFAULT 5 CHECK (rectify_workdays BETWEEN 1 AND 60),
    unrated_rule             text NOT NULL DEFAULT 'not_rated' CHECK (unrated_rule IN ('not_rated', 'satisfied')),
    unrated_days             int NOT NULL DEFAULT 7 CHECK (unrated_days BETWEEN 1 AND 90),
    updated_at               timestamptz
);
INSERT INTO loop_settings DEFAULT VALUES;
-- Validity is now the settings' decision, taken when the visit is recorded: a valid visit
-- still reached the citizen, but a reached one may lack an answer the rules do not ask for.
ALTER TABLE return_visits DROP CONSTRAINT return_visits_check;
ALTER TABLE return_visits ADD CONSTRAINT return_visits_valid_reached CHECK (NOT valid OR outcome = 'reached');
