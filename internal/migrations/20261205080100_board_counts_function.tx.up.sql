-- The board's counts per lead department (tickets.DepartmentCounts), as a function so that
-- each connection plans the statement once: planning it took three times as long as running it
-- (the four partial-hour counts over tickets weigh every index of a table of millions), and the
-- board and its stream ask for it all day. One plan serves every call: the counters are a few
-- rows per department and hour to come, the partial-hour counts an index range each.
-- p_dept 0 counts every department.
CREATE FUNCTION board_department_counts(p_dept bigint, p_now timestamptz, p_hour_now timestamptz,
        p_soon timestamptz, p_hour_soon timestamptz, p_day_start timestamptz, p_hour_day_start timestamptz)
    RETURNS TABLE (code text, name_zh text, name_en text, open bigint, waiting_accept bigint, returned bigint,
                   overdue bigint, due_soon bigint, feedback_overdue bigint, resolved_today bigint)
    LANGUAGE plpgsql STABLE
    SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH c AS (
        SELECT department_id, kind, bucket, n FROM ticket_counts WHERE p_dept = 0 OR department_id = p_dept
        UNION ALL
        SELECT department_id, kind, bucket, n FROM ticket_count_deltas WHERE p_dept = 0 OR department_id = p_dept
    ), sums AS (
        SELECT department_id,
            coalesce(sum(n) FILTER (WHERE kind IN ('dispatched', 'accepted')), 0) AS open,
            coalesce(sum(n) FILTER (WHERE kind = 'dispatched'), 0) AS waiting_accept,
            coalesce(sum(n) FILTER (WHERE kind IN ('dispatched', 'accepted') AND bucket < p_hour_now), 0) AS due_before_now,
            coalesce(sum(n) FILTER (WHERE kind IN ('dispatched', 'accepted') AND bucket < p_hour_soon), 0) AS due_before_soon,
            coalesce(sum(n) FILTER (WHERE kind = 'feedback' AND bucket < p_hour_now), 0) AS feedback_before_now,
            coalesce(sum(n) FILTER (WHERE kind = 'returned'), 0) AS returned,
            coalesce(sum(n) FILTER (WHERE kind = 'resolved'), 0) AS resolved,
            coalesce(sum(n) FILTER (WHERE kind = 'resolved' AND bucket < p_hour_day_start), 0) AS resolved_before_day,
            bool_or(n <> 0) AS any
        FROM c GROUP BY department_id
    ), due_now AS (
        SELECT department_id, count(*) AS n FROM tickets
        WHERE master_id IS NULL AND status IN ('dispatched', 'accepted') AND coalesce(resolve_due, 'infinity') >= p_hour_now AND coalesce(resolve_due, 'infinity') < p_now
          AND (p_dept = 0 OR department_id = p_dept)
        GROUP BY department_id
    ), due_soon AS (
        SELECT department_id, count(*) AS n FROM tickets
        WHERE master_id IS NULL AND status IN ('dispatched', 'accepted') AND coalesce(resolve_due, 'infinity') >= p_hour_soon AND coalesce(resolve_due, 'infinity') < p_soon
          AND (p_dept = 0 OR department_id = p_dept)
        GROUP BY department_id
    ), feedback_now AS (
        SELECT department_id, count(*) AS n FROM tickets
        WHERE master_id IS NULL AND feedback_at IS NULL AND status IN ('dispatched', 'accepted')
          AND feedback_due >= p_hour_now AND feedback_due < p_now AND (p_dept = 0 OR department_id = p_dept)
        GROUP BY department_id
    ), resolved_day AS (
        SELECT department_id, count(*) AS n FROM tickets
        WHERE master_id IS NULL AND status IN ('resolved', 'closed') AND resolved_at >= p_hour_day_start AND resolved_at < p_day_start
          AND (p_dept = 0 OR department_id = p_dept)
        GROUP BY department_id
    )
    SELECT d.code, d.name_zh, d.name_en, s.open::bigint, s.waiting_accept::bigint, s.returned::bigint,
        (s.due_before_now + coalesce(dn.n, 0))::bigint AS overdue,
        (s.due_before_soon + coalesce(ds.n, 0) - s.due_before_now - coalesce(dn.n, 0))::bigint AS due_soon,
        (s.feedback_before_now + coalesce(fn.n, 0))::bigint AS feedback_overdue,
        (s.resolved - s.resolved_before_day - coalesce(rd.n, 0))::bigint AS resolved_today
    FROM sums AS s
    JOIN departments AS d ON d.id = s.department_id
    LEFT JOIN due_now AS dn ON dn.department_id = s.department_id
    LEFT JOIN due_soon AS ds ON ds.department_id = s.department_id
    LEFT JOIN feedback_now AS fn ON fn.department_id = s.department_id
    LEFT JOIN resolved_day AS rd ON rd.department_id = s.department_id
    WHERE s.any;
END
$$;
