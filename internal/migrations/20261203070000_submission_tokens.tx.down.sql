ALTER TABLE intake_submissions DROP COLUMN request_hash;
ALTER TABLE intake_submissions DROP COLUMN token;
