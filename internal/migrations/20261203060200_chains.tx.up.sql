-- Tamper evidence (全程留痕, 过往可溯). Each ticket's timeline and the audit log are hash
-- chains: an entry's chain_hash is SHA-256 of the previous entry's hash and of the entry's own
-- content (chain_content), its chain_seq its place in the chain. The triggers below fill both
-- on INSERT, whoever inserts; chain_heads keeps each chain's last entry, and by its row lock
-- two transactions appending to one chain take turns. Anchors (chain_anchors) copy the heads
-- that moved since the previous anchor and are chained themselves; `hotline verify` checks
-- every chain, the heads and the anchors, and names the first broken entry.

ALTER TABLE ticket_events ADD COLUMN chain_seq bigint, ADD COLUMN chain_hash bytea;
ALTER TABLE audit_log ADD COLUMN chain_seq bigint, ADD COLUMN chain_hash bytea;

-- chain is 'ticket' (key: the ticket's id) or 'audit' (key 0).
CREATE TABLE chain_heads (
    chain        text NOT NULL,
    key          bigint NOT NULL,
    seq          bigint NOT NULL,
    hash         bytea NOT NULL,
    anchored_seq bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (chain, key)
);
CREATE INDEX chain_heads_unanchored_idx ON chain_heads (chain, key) WHERE seq > anchored_seq;

CREATE TABLE chain_anchors (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    entries   int NOT NULL,
    digest    bytea NOT NULL, -- SHA-256 of the previous anchor's digest and of this anchor's entries
    prev_id   bigint REFERENCES chain_anchors (id)
);
CREATE TABLE chain_anchor_entries (
    anchor_id bigint NOT NULL REFERENCES chain_anchors (id),
    chain     text NOT NULL,
    key       bigint NOT NULL,
    seq       bigint NOT NULL,
    hash      bytea NOT NULL,
    PRIMARY KEY (anchor_id, chain, key)
);

-- What an entry's hash covers: every column but the chain's own, in a fixed order, as the
-- text of a JSON array (jsonb prints one way only).
CREATE FUNCTION chain_content(e ticket_events) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT convert_to(jsonb_build_array(e.chain_seq, e.id, e.ticket_id, e.kind, e.actor_id, e.actor_name, e.actor_role,
        e.department_id, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), e.public, e.from_status,
        e.to_status, e.body, e.data)::text, 'UTF8')
$$;
CREATE FUNCTION chain_content(e audit_log) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT convert_to(jsonb_build_array(e.chain_seq, e.id, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        e.actor_id, e.actor_name, e.action, e.object_type, e.object_key, e.detail, e.remote_addr)::text, 'UTF8')
$$;

-- chain_append moves chain's head for a new entry and returns its place and the previous hash.
CREATE FUNCTION chain_append(p_chain text, p_key bigint, OUT seq bigint, OUT prev bytea) LANGUAGE plpgsql AS $$
BEGIN
    SELECT h.seq, h.hash INTO seq, prev FROM chain_heads h WHERE h.chain = p_chain AND h.key = p_key FOR UPDATE;
    IF NOT FOUND THEN
        seq := 0;
        prev := ''::bytea;
    END IF;
    seq := seq + 1;
END $$;

CREATE FUNCTION chain_moved(p_chain text, p_key bigint, p_seq bigint, p_hash bytea) RETURNS void LANGUAGE sql AS $$
    INSERT INTO chain_heads (chain, key, seq, hash) VALUES (p_chain, p_key, p_seq, p_hash)
    ON CONFLICT (chain, key) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash
$$;

CREATE FUNCTION ticket_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    prev bytea;
BEGIN
    SELECT a.seq, a.prev INTO NEW.chain_seq, prev FROM chain_append('ticket', NEW.ticket_id) a;
    NEW.chain_hash := sha256(prev || chain_content(NEW));
    PERFORM chain_moved('ticket', NEW.ticket_id, NEW.chain_seq, NEW.chain_hash);
    RETURN NEW;
END $$;

CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    prev bytea;
BEGIN
    SELECT a.seq, a.prev INTO NEW.chain_seq, prev FROM chain_append('audit', 0) a;
    NEW.chain_hash := sha256(prev || chain_content(NEW));
    PERFORM chain_moved('audit', 0, NEW.chain_seq, NEW.chain_hash);
    RETURN NEW;
END $$;

-- The entries already written join their chains in the order they were written.
ALTER TABLE ticket_events DISABLE TRIGGER ticket_events_no_update;
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
DO $$
DECLARE
    e ticket_events;
    a audit_log;
    prev bytea;
    s bigint;
BEGIN
    FOR e IN SELECT * FROM ticket_events ORDER BY ticket_id, id LOOP
        SELECT x.seq, x.prev INTO s, prev FROM chain_append('ticket', e.ticket_id) x;
        e.chain_seq := s;
        e.chain_hash := sha256(prev || chain_content(e));
        UPDATE ticket_events SET chain_seq = e.chain_seq, chain_hash = e.chain_hash WHERE id = e.id;
        PERFORM chain_moved('ticket', e.ticket_id, e.chain_seq, e.chain_hash);
    END LOOP;
    FOR a IN SELECT * FROM audit_log ORDER BY id LOOP
        SELECT x.seq, x.prev INTO s, prev FROM chain_append('audit', 0) x;
        a.chain_seq := s;
        a.chain_hash := sha256(prev || chain_content(a));
        UPDATE audit_log SET chain_seq = a.chain_seq, chain_hash = a.chain_hash WHERE id = a.id;
        PERFORM chain_moved('audit', 0, a.chain_seq, a.chain_hash);
    END LOOP;
END $$;
ALTER TABLE ticket_events ENABLE TRIGGER ticket_events_no_update;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;

ALTER TABLE ticket_events ALTER COLUMN chain_seq SET NOT NULL, ALTER COLUMN chain_hash SET NOT NULL;
ALTER TABLE audit_log ALTER COLUMN chain_seq SET NOT NULL, ALTER COLUMN chain_hash SET NOT NULL;
CREATE UNIQUE INDEX ticket_events_chain_idx ON ticket_events (ticket_id, chain_seq);
CREATE UNIQUE INDEX audit_log_chain_idx ON audit_log (chain_seq);

CREATE TRIGGER ticket_events_chain BEFORE INSERT ON ticket_events FOR EACH ROW EXECUTE FUNCTION ticket_events_chain();
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- The audit log refuses TRUNCATE as the timeline does; heads and anchors change only forward.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE FUNCTION chain_anchors_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER chain_anchors_no_update BEFORE UPDATE OR DELETE ON chain_anchors
    FOR EACH ROW EXECUTE FUNCTION chain_anchors_append_only();
CREATE TRIGGER chain_anchors_no_truncate BEFORE TRUNCATE ON chain_anchors
    FOR EACH STATEMENT EXECUTE FUNCTION chain_anchors_append_only();
CREATE TRIGGER chain_anchor_entries_no_update BEFORE UPDATE OR DELETE ON chain_anchor_entries
    FOR EACH ROW EXECUTE FUNCTION chain_anchors_append_only();
CREATE TRIGGER chain_anchor_entries_no_truncate BEFORE TRUNCATE ON chain_anchor_entries
    FOR EACH STATEMENT EXECUTE FUNCTION chain_anchors_append_only();
CREATE TRIGGER chain_heads_no_delete BEFORE DELETE ON chain_heads
    FOR EACH ROW EXECUTE FUNCTION chain_anchors_append_only();
CREATE TRIGGER chain_heads_no_truncate BEFORE TRUNCATE ON chain_heads
    FOR EACH STATEMENT EXECUTE FUNCTION chain_anchors_append_only();
