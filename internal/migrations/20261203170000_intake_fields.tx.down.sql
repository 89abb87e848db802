DROP TABLE gazetteer;
ALTER TABLE tickets DROP COLUMN reply_wanted;
ALTER TABLE tickets DROP COLUMN confidential;
