ALTER TABLE call_records DROP COLUMN end_reason;
