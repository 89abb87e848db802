DROP TRIGGER escalation_clocks_counts_delete ON escalation_clocks;
DROP TRIGGER escalation_clocks_counts_update ON escalation_clocks;
DROP TRIGGER escalation_clocks_counts_insert ON escalation_clocks;
DROP FUNCTION escalation_counts_compact();
DROP FUNCTION escalation_counts_change();
DROP TABLE escalation_count_deltas;
DROP TABLE escalation_counts;
