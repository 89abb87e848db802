DROP TABLE notifications;
DROP TABLE escalation_actions;
DROP TABLE escalation_clocks;
DROP TRIGGER tickets_escalation_update ON tickets;
DROP TRIGGER tickets_escalation_insert ON tickets;
DROP FUNCTION escalation_mark_dirty();
DROP TABLE escalation_dirty;
DROP TABLE extension_requests;
DROP TABLE supervision_notices;
