ALTER TABLE tickets DROP COLUMN result_type;
