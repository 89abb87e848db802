-- The reference checks of the outbox and of escalation actions look each new row's references
-- up one by one in their primary keys. Written as NOT EXISTS, the planner may turn a check into
-- an anti join that reads the whole of tickets once the batch is large, and PL/pgSQL keeps the
-- plan made for the first batch it saw for every later one, large or small; a scalar subquery
-- per reference is always an index probe, whose cost follows the number of new rows only.
CREATE OR REPLACE FUNCTION notifications_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.staff_id, n.ticket_id, n.action_id INTO bad
    FROM notifications_new AS n
    WHERE (n.staff_id IS NOT NULL AND (SELECT s.id FROM staff AS s WHERE s.id = n.staff_id) IS NULL)
       OR (n.ticket_id IS NOT NULL AND (SELECT t.id FROM tickets AS t WHERE t.id = n.ticket_id) IS NULL)
       OR (n.action_id IS NOT NULL AND (SELECT a.id FROM escalation_actions AS a WHERE a.id = n.action_id) IS NULL)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'notification refers to a missing row: staff %, ticket %, action %',
            bad.staff_id, bad.ticket_id, bad.action_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION escalation_actions_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT a.ticket_id, a.department_id INTO bad
    FROM escalation_actions_new AS a
    WHERE (SELECT t.id FROM tickets AS t WHERE t.id = a.ticket_id) IS NULL
       OR (a.department_id IS NOT NULL AND (SELECT d.id FROM departments AS d WHERE d.id = a.department_id) IS NULL)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'escalation action refers to a missing row: ticket %, department %',
            bad.ticket_id, bad.department_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
