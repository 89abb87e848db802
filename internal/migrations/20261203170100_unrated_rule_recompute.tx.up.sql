-- The unrated rule (默认满意) changes what every past day's figures are: a change of it has the
-- evaluation's daily aggregate recomputed, day by day as scorecards are next read.
CREATE FUNCTION evaluation_unrated_rule_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.unrated_rule IS DISTINCT FROM OLD.unrated_rule OR NEW.unrated_days IS DISTINCT FROM OLD.unrated_days THEN
        DELETE FROM evaluation_days;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER loop_settings_unrated_rule AFTER UPDATE ON loop_settings
    FOR EACH ROW EXECUTE FUNCTION evaluation_unrated_rule_changed();
