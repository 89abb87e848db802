-- Two transactions appending the first entry of one chain at once — a ticket loaded without a
-- timeline (an import) on which the sweep and a handler act in the same moment — both found no
-- head, both took place 1, and the second failed on ticket_events_chain_idx. The head is now
-- made first (taking nothing when it exists), so the second waits on it like any later append.
CREATE OR REPLACE FUNCTION chain_append(p_chain text, p_key bigint, OUT seq bigint, OUT prev bytea) LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO chain_heads (chain, key, seq, hash) VALUES (p_chain, p_key, 0, ''::bytea)
    ON CONFLICT (chain, key) DO NOTHING;
    SELECT h.seq, h.hash INTO seq, prev FROM chain_heads h WHERE h.chain = p_chain AND h.key = p_key FOR UPDATE;
    seq := seq + 1;
END $$;
