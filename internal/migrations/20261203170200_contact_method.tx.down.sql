ALTER TABLE tickets DROP COLUMN contact_method;
