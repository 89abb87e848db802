-- callback_requested: the caller pressed 1 at the callback offer while waiting and left the
-- queue for a callback task; the call was neither answered nor abandoned.
ALTER TABLE call_records DROP CONSTRAINT call_records_outcome_check;
ALTER TABLE call_records ADD CONSTRAINT call_records_outcome_check CHECK (outcome IN ('in_progress',
    'answered', 'abandoned_queue', 'abandoned_ringing', 'no_agent', 'max_wait', 'transferred', 'failed',
    'dropped', 'callback_requested'));

-- A voice message (留言) a caller left when nobody could answer: a mono WAV under the
-- recordings directory with its size and checksum, like the recordings. The callback task of
-- the caller's number lists it. No foreign key to call_records: the call's record is written
-- in batches and may land after the message.
CREATE TABLE voice_messages (
    call_id     uuid PRIMARY KEY,
    phone       text NOT NULL,
    path        text NOT NULL,
    bytes       bigint NOT NULL CHECK (bytes > 0),
    sha256      text NOT NULL,
    duration_ms bigint NOT NULL CHECK (duration_ms >= 0),
    created_at  timestamptz NOT NULL
);
CREATE INDEX voice_messages_phone_idx ON voice_messages (phone, created_at);
