DROP TABLE evaluation_refreshed;
