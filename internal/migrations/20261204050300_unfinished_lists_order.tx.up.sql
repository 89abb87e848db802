-- Lists of unfinished tickets (registered, dispatched, accepted, returned) by the nearest
-- deadline, city-wide and per department, when they are not the work queue (which has its own
-- indexes: master_id IS NULL). Among millions of closed tickets the index over every ticket by
-- deadline made such a list step over each closed ticket due earlier: 4.7 s for the first page
-- of accepted tickets beside 2,000,000 closed ones; now the cost follows the unfinished ones.
CREATE INDEX tickets_unfinished_due_idx ON tickets ((coalesce(resolve_due, 'infinity')), id)
    WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX tickets_dept_unfinished_due_idx ON tickets (department_id, (coalesce(resolve_due, 'infinity')), id)
    WHERE status NOT IN ('resolved', 'closed');

-- The console's recent categories read an agent's last registrations: without an index, an
-- agent who registered nothing lately made it read every ticket (0.5 s at 3,000,000).
CREATE INDEX tickets_registered_by_idx ON tickets (registered_by, id) WHERE registered_by IS NOT NULL;
