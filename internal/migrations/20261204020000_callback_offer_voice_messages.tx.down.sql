DROP TABLE IF EXISTS voice_messages;
UPDATE call_records SET outcome = 'abandoned_queue' WHERE outcome = 'callback_requested';
ALTER TABLE call_records DROP CONSTRAINT call_records_outcome_check;
ALTER TABLE call_records ADD CONSTRAINT call_records_outcome_check CHECK (outcome IN ('in_progress',
    'answered', 'abandoned_queue', 'abandoned_ringing', 'no_agent', 'max_wait', 'transferred', 'failed',
    'dropped'));
