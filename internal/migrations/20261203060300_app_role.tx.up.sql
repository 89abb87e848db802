-- The application runs as a role that owns nothing (see database.GrantApp): it may INSERT and
-- SELECT the append-only tables and nothing more there. Appending to a chain moves its head,
-- which that role may not write: the chain triggers run with their owner's rights, on this
-- schema only.
ALTER FUNCTION ticket_events_chain() SECURITY DEFINER SET search_path = public;
ALTER FUNCTION audit_log_chain() SECURITY DEFINER SET search_path = public;

-- Each day's ticket numbers come from a sequence made on the day's first ticket. The
-- application's role may create nothing, so it asks this function, which creates the day's
-- sequence with its owner's rights (default privileges let the application's role use it).
CREATE FUNCTION ticket_number_sequence(p_name text) RETURNS void LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF p_name !~ '^ticket_no_[0-9]{1,16}$' THEN
        RAISE EXCEPTION 'not a ticket number sequence: %', p_name;
    END IF;
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I', p_name);
END $$;
