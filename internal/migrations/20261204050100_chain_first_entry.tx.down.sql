CREATE OR REPLACE FUNCTION chain_append(p_chain text, p_key bigint, OUT seq bigint, OUT prev bytea) LANGUAGE plpgsql AS $$
BEGIN
    SELECT h.seq, h.hash INTO seq, prev FROM chain_heads h WHERE h.chain = p_chain AND h.key = p_key FOR UPDATE;
    IF NOT FOUND THEN
        seq := 0;
        prev := ''::bytea;
    END IF;
    seq := seq + 1;
END $$;
