DROP INDEX notifications_unread_idx;
DROP INDEX notifications_dedup_idx;
ALTER TABLE notifications DROP COLUMN dedup_key;
DROP TRIGGER tickets_escalation_update ON tickets;
CREATE TRIGGER tickets_escalation_update AFTER UPDATE ON tickets
    FOR EACH ROW WHEN (
        OLD.status IS DISTINCT FROM NEW.status
        OR OLD.department_id IS DISTINCT FROM NEW.department_id
        OR OLD.accept_due IS DISTINCT FROM NEW.accept_due
        OR OLD.feedback_due IS DISTINCT FROM NEW.feedback_due
        OR OLD.resolve_due IS DISTINCT FROM NEW.resolve_due
        OR OLD.callback_due IS DISTINCT FROM NEW.callback_due
        OR OLD.accepted_at IS DISTINCT FROM NEW.accepted_at
        OR OLD.feedback_at IS DISTINCT FROM NEW.feedback_at
        OR OLD.resolved_at IS DISTINCT FROM NEW.resolved_at
        OR OLD.closed_at IS DISTINCT FROM NEW.closed_at
    ) EXECUTE FUNCTION escalation_mark_dirty();
ALTER TABLE tickets DROP COLUMN visited_at;
