-- The supervisor board's counts, kept up to date by the tickets' own writes instead of counted
-- over every open ticket on each look. A ticket handled on its own (not merged, 并单) and with a
-- lead department counts under one or two keys (ticket_count_keys): its status while open or
-- returned, by the hour its resolution falls due; its pending first feedback, by the hour that
-- falls due; its resolution, by the hour it was resolved. Time-based counts (overdue, due soon,
-- resolved today) are sums of whole hours plus an indexed count of the one hour not yet whole,
-- so they stay exact without any write when a deadline passes.
CREATE FUNCTION ticket_count_hour(ts timestamptz) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00');

CREATE FUNCTION ticket_count_keys(status text, department_id bigint, master_id bigint,
        resolve_due timestamptz, feedback_due timestamptz, feedback_at timestamptz, resolved_at timestamptz)
    RETURNS TABLE (department_id bigint, kind text, bucket timestamptz)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ticket_count_keys.department_id, k.kind, k.bucket
    FROM (VALUES
        (CASE WHEN master_id IS NULL AND status IN ('dispatched', 'accepted', 'returned') THEN status END,
         CASE WHEN status = 'returned' THEN timestamptz 'infinity'
              ELSE coalesce(ticket_count_hour(resolve_due), timestamptz 'infinity') END),
        (CASE WHEN master_id IS NULL AND status IN ('dispatched', 'accepted') AND feedback_at IS NULL
                   AND feedback_due IS NOT NULL THEN 'feedback' END,
         ticket_count_hour(feedback_due)),
        (CASE WHEN master_id IS NULL AND status IN ('resolved', 'closed') AND resolved_at IS NOT NULL THEN 'resolved' END,
         ticket_count_hour(resolved_at)),
        -- Tickets merged into another (并单) are on no board, but a list that shows them counts them.
        (CASE WHEN master_id IS NOT NULL AND status IN ('dispatched', 'accepted', 'returned')
              THEN 'merged-' || status END, timestamptz 'infinity')
    ) AS k (kind, bucket)
    WHERE ticket_count_keys.department_id IS NOT NULL AND k.kind IS NOT NULL
$$;

-- ticket_counts holds the compacted sums; ticket_count_deltas what writes added since. Writers
-- only ever insert deltas, so concurrent changes of tickets never wait on, or deadlock over, a
-- shared counter row. Readers add both in one statement; ticket_counts_compact folds the deltas in.
CREATE TABLE ticket_counts (
    department_id bigint NOT NULL,
    kind          text NOT NULL,
    bucket        timestamptz NOT NULL,
    n             bigint NOT NULL,
    PRIMARY KEY (department_id, kind, bucket)
);
CREATE TABLE ticket_count_deltas (
    department_id bigint NOT NULL,
    kind          text NOT NULL,
    bucket        timestamptz NOT NULL,
    n             bigint NOT NULL
);

-- ticket_counts_change records what one statement on tickets changed in the counts, the rows
-- grouped: a bulk load adds one delta per key, an update that moves no count adds nothing.
CREATE FUNCTION ticket_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO ticket_count_deltas (department_id, kind, bucket, n)
        SELECT k.department_id, k.kind, k.bucket, count(*)
        FROM new_rows AS r, ticket_count_keys(r.status, r.department_id, r.master_id, r.resolve_due,
                                               r.feedback_due, r.feedback_at, r.resolved_at) AS k
        GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO ticket_count_deltas (department_id, kind, bucket, n)
        SELECT k.department_id, k.kind, k.bucket, -count(*)
        FROM old_rows AS r, ticket_count_keys(r.status, r.department_id, r.master_id, r.resolve_due,
                                               r.feedback_due, r.feedback_at, r.resolved_at) AS k
        GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO ticket_count_deltas (department_id, kind, bucket, n)
        SELECT department_id, kind, bucket, sum(n)
        FROM (SELECT k.*, 1 AS n
              FROM new_rows AS r, ticket_count_keys(r.status, r.department_id, r.master_id, r.resolve_due,
                                                     r.feedback_due, r.feedback_at, r.resolved_at) AS k
              UNION ALL
              SELECT k.*, -1
              FROM old_rows AS r, ticket_count_keys(r.status, r.department_id, r.master_id, r.resolve_due,
                                                     r.feedback_due, r.feedback_at, r.resolved_at) AS k) AS c
        GROUP BY 1, 2, 3
        HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tickets_counts_insert AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_counts_change();
CREATE TRIGGER tickets_counts_update AFTER UPDATE ON tickets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_counts_change();
CREATE TRIGGER tickets_counts_delete AFTER DELETE ON tickets
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ticket_counts_change();

-- ticket_counts_compact folds the deltas into ticket_counts, one compaction at a time (a second
-- one at the same moment returns at once), and returns how many keys it touched. A delta
-- committed while it runs stays for the next one: readers count it either way.
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

INSERT INTO ticket_counts (department_id, kind, bucket, n)
SELECT k.department_id, k.kind, k.bucket, count(*)
FROM tickets AS r, ticket_count_keys(r.status, r.department_id, r.master_id, r.resolve_due,
                                      r.feedback_due, r.feedback_at, r.resolved_at) AS k
GROUP BY 1, 2, 3;

-- The hour not yet whole of each time-based count, and the work queues' order: nearest
-- deadline first (none last), then the ticket's id, for keyset paging.
CREATE INDEX tickets_open_due_idx ON tickets (department_id, (coalesce(resolve_due, 'infinity')), id)
    WHERE master_id IS NULL AND status IN ('dispatched', 'accepted');
CREATE INDEX tickets_open_due_all_idx ON tickets ((coalesce(resolve_due, 'infinity')), id)
    WHERE master_id IS NULL AND status IN ('dispatched', 'accepted');
CREATE INDEX tickets_due_idx ON tickets ((coalesce(resolve_due, 'infinity')), id);
CREATE INDEX tickets_dept_due_idx ON tickets (department_id, (coalesce(resolve_due, 'infinity')), id);
CREATE INDEX tickets_feedback_pending_idx ON tickets (feedback_due)
    WHERE master_id IS NULL AND feedback_at IS NULL AND status IN ('dispatched', 'accepted');
CREATE INDEX tickets_resolved_at_idx ON tickets (resolved_at)
    WHERE master_id IS NULL AND status IN ('resolved', 'closed');
CREATE INDEX tickets_visit_due_idx ON tickets ((coalesce(callback_due, 'infinity')), id)
    WHERE status = 'resolved' AND visited_at IS NULL AND department_id IS NOT NULL AND master_id IS NULL;
