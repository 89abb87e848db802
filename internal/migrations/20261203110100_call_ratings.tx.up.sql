-- The citizen's rating of a call by keypad after the agent hung up (post-call survey): 1 满意
-- satisfied, 2 基本满意 basically, 3 不满意 dissatisfied; against the call, its agent and, through
-- the call's record, its ticket.
CREATE TABLE call_ratings (
    call_id   uuid PRIMARY KEY,
    extension text NOT NULL DEFAULT '',
    rating    text NOT NULL CHECK (rating IN ('satisfied', 'basically', 'dissatisfied')),
    rated_at  timestamptz NOT NULL
);
