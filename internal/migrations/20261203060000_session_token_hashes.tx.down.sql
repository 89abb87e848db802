-- Nothing to restore: the sessions were ended.
SELECT 1;
