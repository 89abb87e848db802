-- Staff sessions, kept in PostgreSQL so any process behind the load balancer can serve any
-- staff member. data is the session manager's encoding; staff_id is copied out of it when a
-- session is saved, so "log out everywhere" is one DELETE.
CREATE TABLE staff_sessions (
    token    text PRIMARY KEY,
    data     bytea NOT NULL,
    expiry   timestamptz NOT NULL,
    staff_id bigint REFERENCES staff (id) ON DELETE CASCADE
);
CREATE INDEX staff_sessions_expiry_idx ON staff_sessions (expiry);
CREATE INDEX staff_sessions_staff_idx ON staff_sessions (staff_id) WHERE staff_id IS NOT NULL;

-- API tokens for scripts (Authorization: Bearer). Only a SHA-256 of the token is kept.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    staff_id     bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    name         text NOT NULL DEFAULT '',
    token_hash   text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_staff_idx ON api_tokens (staff_id);

-- The audit trail of the staff web: logins, tokens, and every change an administrator makes.
-- Append-only, like the ticket timeline.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor_id    bigint REFERENCES staff (id),
    actor_name  text NOT NULL DEFAULT '',
    action      text NOT NULL,
    object_type text NOT NULL DEFAULT '',
    object_key  text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}',
    remote_addr text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_key);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Knowledge base articles (知识库) agents answer consultations from. An article is valid from
-- valid_from until valid_until (inclusive; NULL: no end) and names its source (a policy
-- document, a department's notice).
CREATE TABLE kb_articles (
    id            bigserial PRIMARY KEY,
    code          text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]*$'),
    title         text NOT NULL CHECK (title <> ''),
    body          text NOT NULL CHECK (body <> ''),
    keywords      text NOT NULL DEFAULT '',
    category_code text NOT NULL DEFAULT '',
    source        text NOT NULL CHECK (source <> ''),
    valid_from    date NOT NULL,
    valid_until   date,
    active        boolean NOT NULL DEFAULT true,
    updated_at    timestamptz NOT NULL,
    updated_by    text NOT NULL DEFAULT '',
    CHECK (valid_until IS NULL OR valid_until >= valid_from)
);
