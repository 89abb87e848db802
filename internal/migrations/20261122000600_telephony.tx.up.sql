-- Telephony: one row per call to the hotline (every call has one, answered or not), the
-- callback tasks (漏接回拨) made from calls that never reached an agent, and each attempt to
-- call a citizen back.

-- A call record is written when the call arrives (outcome in_progress) and completed when it
-- ends; the SIP layer batches these writes, so a row may lag the call by a few milliseconds.
CREATE TABLE call_records (
    id              uuid PRIMARY KEY,
    caller          text NOT NULL,
    dialled         text NOT NULL,
    extension       text NOT NULL DEFAULT '',
    outcome         text NOT NULL CHECK (outcome IN ('in_progress', 'answered', 'abandoned_queue',
                        'abandoned_ringing', 'no_agent', 'max_wait', 'transferred', 'failed')),
    started_at      timestamptz NOT NULL,
    answered_at     timestamptz,
    ended_at        timestamptz,
    queue_wait_ms   bigint NOT NULL DEFAULT 0 CHECK (queue_wait_ms >= 0),
    ring_ms         bigint NOT NULL DEFAULT 0 CHECK (ring_ms >= 0),
    talk_ms         bigint NOT NULL DEFAULT 0 CHECK (talk_ms >= 0),
    caller_call_id  text NOT NULL,
    agent_call_id   text NOT NULL DEFAULT '',
    transfer_target text NOT NULL DEFAULT '',
    ticket_id       bigint REFERENCES tickets (id),
    offers          jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX call_records_started_idx ON call_records (started_at DESC, id);
CREATE INDEX call_records_caller_idx ON call_records (caller, started_at DESC);
CREATE INDEX call_records_ticket_idx ON call_records (ticket_id) WHERE ticket_id IS NOT NULL;

-- A callback task is the centre's promise to phone back a citizen whose call was missed.
CREATE TABLE callback_tasks (
    id              bigserial PRIMARY KEY,
    call_id         uuid NOT NULL UNIQUE REFERENCES call_records (id),
    phone           text NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'calling', 'done', 'failed')),
    attempts        int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_result     text NOT NULL DEFAULT '',
    last_attempt_at timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX callback_tasks_open_idx ON callback_tasks (created_at) WHERE status IN ('open', 'calling');

-- Every attempt to call a citizen back: which agent, when, and how it ended.
CREATE TABLE callback_attempts (
    id          bigserial PRIMARY KEY,
    task_id     bigint NOT NULL REFERENCES callback_tasks (id),
    extension   text NOT NULL,
    staff_id    bigint REFERENCES staff (id),
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    result      text NOT NULL DEFAULT 'calling' CHECK (result IN ('calling', 'answered', 'no_answer',
                    'busy', 'agent_unreachable', 'failed'))
);
CREATE INDEX callback_attempts_task_idx ON callback_attempts (task_id);
