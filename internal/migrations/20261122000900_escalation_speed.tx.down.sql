DROP TRIGGER notifications_references ON notifications;
DROP FUNCTION notifications_check_references();
ALTER TABLE notifications
    ADD CONSTRAINT notifications_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff (id),
    ADD CONSTRAINT notifications_ticket_id_fkey FOREIGN KEY (ticket_id) REFERENCES tickets (id),
    ADD CONSTRAINT notifications_action_id_fkey FOREIGN KEY (action_id) REFERENCES escalation_actions (id);
