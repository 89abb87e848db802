-- A list of a category's tickets by status and deadline (the category filter, with a clock
-- state) counts its total from this index alone: the deadline itself is in it beside the
-- expression the lists order by, and PostgreSQL reads an index alone only when every column a
-- query names is stored in it. Counting 10,001 overdue complaints of a category's subtree
-- among 5,000,000 tickets took 30 ms through the table, 5 ms through the index.
DROP INDEX tickets_category_idx;
CREATE INDEX tickets_category_idx ON tickets (category_id, status, (coalesce(resolve_due, 'infinity')))
    INCLUDE (type, channel, resolve_due);
