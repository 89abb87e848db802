-- The outbox takes the pending notifications in (next_attempt_at, id) order, a batch at a
-- time. A sweep that escalates thousands of tickets at once gives them all one
-- next_attempt_at: with an index on the time alone, every batch sorted every one of them (0.6 s
-- a batch for 180,000 pending). The index now holds the whole order.
DROP INDEX notifications_pending_idx;
CREATE INDEX notifications_pending_idx ON notifications (next_attempt_at, id) WHERE status = 'pending';

-- The board's list of escalated clocks, highest level first, then the longest overdue: in an
-- index order, city-wide and per department, so its first page is read from the top of the
-- index instead of joining and sorting every escalated clock (1.3 s for 100,000).
DROP INDEX escalation_clocks_escalated_idx;
CREATE INDEX escalation_clocks_escalated_idx ON escalation_clocks (stage DESC, due, ticket_id, clock, notice_id)
    WHERE stage >= 1;
CREATE INDEX escalation_clocks_dept_escalated_idx ON escalation_clocks (department_id, stage DESC, due, ticket_id, clock, notice_id)
    WHERE stage >= 1;
