DROP TRIGGER escalation_actions_references ON escalation_actions;
DROP FUNCTION escalation_actions_check_references();
ALTER TABLE escalation_actions
    ADD CONSTRAINT escalation_actions_ticket_id_fkey FOREIGN KEY (ticket_id) REFERENCES tickets (id),
    ADD CONSTRAINT escalation_actions_department_id_fkey FOREIGN KEY (department_id) REFERENCES departments (id);
