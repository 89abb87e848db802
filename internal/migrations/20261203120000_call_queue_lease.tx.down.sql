DROP TABLE sip_registrations;
UPDATE call_records SET outcome = 'failed' WHERE outcome = 'dropped';
ALTER TABLE call_records DROP CONSTRAINT call_records_outcome_check;
ALTER TABLE call_records ADD CONSTRAINT call_records_outcome_check CHECK (outcome IN ('in_progress',
    'answered', 'abandoned_queue', 'abandoned_ringing', 'no_agent', 'max_wait', 'transferred', 'failed'));
DROP INDEX call_records_live_idx;
ALTER TABLE call_records DROP COLUMN queue_epoch;
DROP TABLE call_queue_lease;
