ALTER TABLE return_visits DROP CONSTRAINT IF EXISTS return_visits_valid_reached;
ALTER TABLE return_visits ADD CONSTRAINT return_visits_check
    CHECK (valid = (outcome = 'reached' AND contacted IS NOT NULL AND solved IS NOT NULL AND satisfaction IS NOT NULL)) NOT VALID;
DROP TABLE IF EXISTS loop_settings;
