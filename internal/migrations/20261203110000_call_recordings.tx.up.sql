-- A call's recording (全程录音): a stereo WAV under the recordings directory, citizen left and
-- agent right, with its size and SHA-256 so that a missing or altered file is noticed before
-- it is played. error says why no file was kept (a full disk, an unwritable directory); a
-- recording past its retention has its file deleted and deleted_at set. No foreign key: the
-- call's record is written in batches and may land after its recording.
CREATE TABLE call_recordings (
    call_id     uuid PRIMARY KEY,
    path        text NOT NULL DEFAULT '',
    bytes       bigint NOT NULL DEFAULT 0,
    sha256      text NOT NULL DEFAULT '',
    duration_ms bigint NOT NULL DEFAULT 0,
    error       text NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz NOT NULL,
    deleted_at  timestamptz
);

CREATE INDEX call_recordings_ended_idx ON call_recordings (ended_at) WHERE deleted_at IS NULL;
