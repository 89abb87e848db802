DROP INDEX ticket_events_routing_review_idx;
DROP TABLE routing_models;
DROP TRIGGER routing_rule_versions_no_update ON routing_rule_versions;
DROP FUNCTION routing_rule_versions_append_only();
DROP TABLE routing_rule_versions;
DROP TABLE routing_rules;
