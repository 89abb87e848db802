DROP FUNCTION ticket_counts_compact(timestamptz);

CREATE FUNCTION ticket_counts_compact() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('hotline.ticket_counts_compact')) THEN
        RETURN 0;
    END IF;
    WITH gone AS (DELETE FROM ticket_count_deltas RETURNING department_id, kind, bucket, n)
    INSERT INTO ticket_counts AS c (department_id, kind, bucket, n)
    SELECT department_id, kind, bucket, sum(n) FROM gone GROUP BY 1, 2, 3
    ON CONFLICT (department_id, kind, bucket) DO UPDATE SET n = c.n + excluded.n;
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF moved > 0 THEN
        DELETE FROM ticket_counts WHERE n = 0;
    END IF;
    RETURN moved;
END
$$;
