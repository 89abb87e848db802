-- The board counters' time buckets that have passed for good are folded into one bucket per
-- department and kind, at '-infinity', so reading them costs what the open tickets and the
-- last day hold, not the years of resolutions behind them. A count that compares a bucket with
-- a moment no earlier than fold_before (the board's: the current hour, the start of today)
-- sums the same with the folded bucket as with the hours it replaced. A delta that arrives
-- later for a folded hour (a resolved ticket reopened) is kept in its own hour until the next
-- fold.
DROP FUNCTION ticket_counts_compact();

CREATE FUNCTION ticket_counts_compact(fold_before timestamptz DEFAULT NULL) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
    folded bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('hotline.ticket_counts_compact')) THEN
        RETURN 0;
    END IF;
    WITH gone AS (DELETE FROM ticket_count_deltas RETURNING department_id, kind, bucket, n)
    INSERT INTO ticket_counts AS c (department_id, kind, bucket, n)
    SELECT department_id, kind, bucket, sum(n) FROM gone GROUP BY 1, 2, 3
    ON CONFLICT (department_id, kind, bucket) DO UPDATE SET n = c.n + excluded.n;
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF fold_before IS NOT NULL THEN
        WITH old AS (
            DELETE FROM ticket_counts
            WHERE kind IN ('dispatched', 'accepted', 'feedback', 'resolved')
              AND bucket > timestamptz '-infinity' AND bucket < fold_before
            RETURNING department_id, kind, n)
        INSERT INTO ticket_counts AS c (department_id, kind, bucket, n)
        SELECT department_id, kind, timestamptz '-infinity', sum(n) FROM old GROUP BY 1, 2
        ON CONFLICT (department_id, kind, bucket) DO UPDATE SET n = c.n + excluded.n;
        GET DIAGNOSTICS folded = ROW_COUNT;
        moved := moved + folded;
    END IF;
    IF moved > 0 THEN
        DELETE FROM ticket_counts WHERE n = 0;
    END IF;
    RETURN moved;
END
$$;
