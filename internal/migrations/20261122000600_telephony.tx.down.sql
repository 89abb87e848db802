DROP TABLE IF EXISTS callback_attempts;
DROP TABLE IF EXISTS callback_tasks;
DROP TABLE IF EXISTS call_records;
