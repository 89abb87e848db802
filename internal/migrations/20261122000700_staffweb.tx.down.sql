DROP TABLE IF EXISTS kb_articles;
DROP TABLE IF EXISTS audit_log;
DROP FUNCTION IF EXISTS audit_log_append_only();
DROP TABLE IF EXISTS api_tokens;
DROP TABLE IF EXISTS staff_sessions;
