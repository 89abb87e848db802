-- The board's escalation matrix (department × level), kept by the writes of escalation_clocks
-- instead of counted over every escalated clock on each look, as ticket_counts is for tickets:
-- writers insert the change of each statement into escalation_count_deltas, grouped;
-- escalation_counts_compact folds them into escalation_counts. A clock at level n (stage n ≥ 1)
-- counts under (its department, 0 for none, n). The sweep raises a stage in the transaction
-- that records the action which took it there, so the counts are those of the escalated list.
CREATE TABLE escalation_counts (
    department_id bigint NOT NULL,
    stage         int NOT NULL,
    n             bigint NOT NULL,
    PRIMARY KEY (department_id, stage)
);
CREATE TABLE escalation_count_deltas (
    department_id bigint NOT NULL,
    stage         int NOT NULL,
    n             bigint NOT NULL
);

CREATE FUNCTION escalation_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO escalation_count_deltas (department_id, stage, n)
        SELECT coalesce(r.department_id, 0), r.stage, count(*) FROM new_rows AS r WHERE r.stage >= 1 GROUP BY 1, 2;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO escalation_count_deltas (department_id, stage, n)
        SELECT coalesce(r.department_id, 0), r.stage, -count(*) FROM old_rows AS r WHERE r.stage >= 1 GROUP BY 1, 2;
    ELSE
        INSERT INTO escalation_count_deltas (department_id, stage, n)
        SELECT department_id, stage, sum(n)
        FROM (SELECT coalesce(r.department_id, 0) AS department_id, r.stage, 1 AS n FROM new_rows AS r WHERE r.stage >= 1
              UNION ALL
              SELECT coalesce(r.department_id, 0), r.stage, -1 FROM old_rows AS r WHERE r.stage >= 1) AS c
        GROUP BY 1, 2
        HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER escalation_clocks_counts_insert AFTER INSERT ON escalation_clocks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION escalation_counts_change();
CREATE TRIGGER escalation_clocks_counts_update AFTER UPDATE ON escalation_clocks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION escalation_counts_change();
CREATE TRIGGER escalation_clocks_counts_delete AFTER DELETE ON escalation_clocks
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION escalation_counts_change();

-- escalation_counts_compact folds the deltas in, one compaction at a time; a delta committed
-- while it runs stays for the next one, and readers count it either way.
CREATE FUNCTION escalation_counts_compact() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('hotline.escalation_counts_compact')) THEN
        RETURN 0;
    END IF;
    WITH gone AS (DELETE FROM escalation_count_deltas RETURNING department_id, stage, n)
    INSERT INTO escalation_counts AS c (department_id, stage, n)
    SELECT department_id, stage, sum(n) FROM gone GROUP BY 1, 2
    ON CONFLICT (department_id, stage) DO UPDATE SET n = c.n + excluded.n;
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF moved > 0 THEN
        DELETE FROM escalation_counts WHERE n = 0;
    END IF;
    RETURN moved;
END
$$;

INSERT INTO escalation_counts (department_id, stage, n)
SELECT coalesce(department_id, 0), stage, count(*) FROM escalation_clocks WHERE stage >= 1 GROUP BY 1, 2;
