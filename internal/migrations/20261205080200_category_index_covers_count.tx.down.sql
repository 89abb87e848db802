DROP INDEX tickets_category_idx;
CREATE INDEX tickets_category_idx ON tickets (category_id, status, (coalesce(resolve_due, 'infinity')))
    INCLUDE (type, channel);
