-- Back to the NOT EXISTS form of the reference checks.
CREATE OR REPLACE FUNCTION notifications_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.staff_id, n.ticket_id, n.action_id INTO bad
    FROM notifications_new AS n
    WHERE (n.staff_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM staff AS s WHERE s.id = n.staff_id))
       OR (n.ticket_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM tickets AS t WHERE t.id = n.ticket_id))
       OR (n.action_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM escalation_actions AS a WHERE a.id = n.action_id))
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
    WHERE NOT EXISTS (SELECT 1 FROM tickets AS t WHERE t.id = a.ticket_id)
       OR (a.department_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM departments AS d WHERE d.id = a.department_id))
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'escalation action refers to a missing row: ticket %, department %',
            bad.ticket_id, bad.department_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
