-- A missed call finds the open callback task of its number by this index, to be counted
-- there rather than open another.
CREATE INDEX callback_tasks_phone_open_idx ON callback_tasks (phone, created_at) WHERE status IN ('open', 'calling');
