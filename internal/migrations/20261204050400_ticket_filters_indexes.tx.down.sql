DROP INDEX tickets_department_idx;
CREATE INDEX tickets_department_idx ON tickets (department_id, status);
DROP INDEX tickets_category_idx;
