-- Searches by category (with its subtree) had no index and read the tickets in the list's
-- order until they had a page and the capped total (a quarter of a million rows for an overdue
-- complaint in one category among 5,000,000): the category, status and deadline, with the
-- type and channel beside them, let the count read the index alone.
CREATE INDEX tickets_category_idx ON tickets (category_id, status, (coalesce(resolve_due, 'infinity')))
    INCLUDE (type, channel);

-- A department's tickets of a status in a period (a desk's most common search) were the
-- intersection of every ticket of the department and status with every ticket of the period.
DROP INDEX tickets_department_idx;
CREATE INDEX tickets_department_idx ON tickets (department_id, status, created_at);
