DROP FUNCTION ticket_number_sequence(text);
ALTER FUNCTION ticket_events_chain() SECURITY INVOKER RESET search_path;
ALTER FUNCTION audit_log_chain() SECURITY INVOKER RESET search_path;
