-- The board's escalation matrix and list read the escalated clocks only (stage >= 1): without
-- an index they read every clock, one per open ticket and deadline.
CREATE INDEX escalation_clocks_escalated_idx ON escalation_clocks (stage DESC, due, department_id) WHERE stage >= 1;
