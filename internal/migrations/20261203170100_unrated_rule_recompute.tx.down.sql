DROP TRIGGER loop_settings_unrated_rule ON loop_settings;
DROP FUNCTION evaluation_unrated_rule_changed();
