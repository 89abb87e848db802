DROP INDEX escalation_clocks_dept_escalated_idx;
DROP INDEX escalation_clocks_escalated_idx;
CREATE INDEX escalation_clocks_escalated_idx ON escalation_clocks (stage DESC, due, department_id) WHERE stage >= 1;
DROP INDEX notifications_pending_idx;
CREATE INDEX notifications_pending_idx ON notifications (next_attempt_at) WHERE status = 'pending';
