DROP FUNCTION board_department_counts(bigint, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz);
