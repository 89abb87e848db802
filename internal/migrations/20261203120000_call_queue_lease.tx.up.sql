-- High availability of the call queue: one `hotline serve` process at a time runs it, the
-- holder of the lease below. Every takeover increments epoch, the fencing token: call records
-- carry the epoch of the queue that wrote them, and a write whose epoch is no longer the
-- lease's is refused, so a paused-then-resumed old holder cannot act.
CREATE TABLE call_queue_lease (
    id         int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    holder     text NOT NULL,
    epoch      bigint NOT NULL CHECK (epoch > 0),
    expires_at timestamptz NOT NULL,
    taken_at   timestamptz NOT NULL
);

ALTER TABLE call_records ADD COLUMN queue_epoch bigint NOT NULL DEFAULT 0;
CREATE INDEX call_records_live_idx ON call_records (queue_epoch) WHERE outcome = 'in_progress';

-- dropped: the call was up (queued, ringing or talking) on a process that died; the process
-- that took the queue over closed its record.
ALTER TABLE call_records DROP CONSTRAINT call_records_outcome_check;
ALTER TABLE call_records ADD CONSTRAINT call_records_outcome_check CHECK (outcome IN ('in_progress',
    'answered', 'abandoned_queue', 'abandoned_ringing', 'no_agent', 'max_wait', 'transferred', 'failed',
    'dropped'));

-- Agents' SIP registrations, shared by every process: a phone registered through one process
-- is offered calls by whichever holds the queue.
CREATE TABLE sip_registrations (
    extension  text PRIMARY KEY,
    contact    text NOT NULL,
    dest       text NOT NULL,
    transport  text NOT NULL,
    expires_at timestamptz NOT NULL,
    node       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
