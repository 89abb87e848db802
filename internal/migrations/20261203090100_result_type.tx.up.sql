-- 办结's result type, what evaluation counts: solved 已解决, partly 部分解决, unsolved 未解决,
-- untrue 不属实, informed 已告知政策. Empty while the ticket was never resolved.
ALTER TABLE tickets ADD COLUMN result_type text NOT NULL DEFAULT ''
    CHECK (result_type IN ('', 'solved', 'partly', 'unsolved', 'untrue', 'informed'));
