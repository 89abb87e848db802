-- A ticket's return visit (回访) done: set by the citizen's own rating and by a return visit
-- record, cleared when the ticket is reopened (重办). The visit clock runs only until it is set.
ALTER TABLE tickets ADD COLUMN visited_at timestamptz;

-- The sweep looks again at a ticket merged (并单) or unmerged, and at one whose return visit
-- was done: the first stops every clock of a ticket, the second its visit clock.
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
        OR OLD.master_id IS DISTINCT FROM NEW.master_id
        OR OLD.visited_at IS DISTINCT FROM NEW.visited_at
    ) EXECUTE FUNCTION escalation_mark_dirty();

-- An escalation tells each person once per ticket, round of handling and level: the key is
-- written with the row, so sweeps run again or side by side add nothing a person has already
-- been told.
ALTER TABLE notifications ADD COLUMN dedup_key text;
CREATE UNIQUE INDEX notifications_dedup_idx ON notifications (channel, coalesce(staff_id, 0), address, dedup_key)
    WHERE dedup_key IS NOT NULL;
CREATE INDEX notifications_unread_idx ON notifications (staff_id, ticket_id) WHERE channel = 'inapp' AND read_at IS NULL;
