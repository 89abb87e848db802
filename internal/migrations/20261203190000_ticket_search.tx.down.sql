DROP TABLE saved_filters;
DROP INDEX ticket_events_actor_idx;
DROP INDEX tickets_created_id_idx;
DROP INDEX tickets_phone_last4_idx;
ALTER TABLE tickets DROP COLUMN search;
