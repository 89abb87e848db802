-- Ticket search (工单查询): the Chinese-aware vector of what a ticket says (search_ngrams, see
-- the knowledge base's migration) over its description, address, title and result, with a GIN
-- index; the last four digits of the caller's number, so a suffix is found without a scan;
-- created time and id for keyset paging by registration time, both ways; who acted on a ticket
-- (the handler filter reads the timeline by actor).
ALTER TABLE tickets
    ADD COLUMN search tsvector GENERATED ALWAYS AS (
        search_ngrams(description || ' ' || address || ' ' || title || ' ' || resolution)) STORED;
CREATE INDEX tickets_search_idx ON tickets USING gin (search);
CREATE INDEX tickets_phone_last4_idx ON tickets ((right(caller_phone, 4)), id) WHERE caller_phone <> '';
CREATE INDEX tickets_created_id_idx ON tickets (created_at, id);
CREATE INDEX ticket_events_actor_idx ON ticket_events (actor_id, ticket_id) WHERE actor_id IS NOT NULL;

-- Saved filters (常用查询): a person's named searches of the ticket list, the query string as
-- the list's URL carries it. Private to their owner.
CREATE TABLE saved_filters (
    id         bigserial PRIMARY KEY,
    staff_id   bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (name <> '' AND char_length(name) <= 60),
    query      text NOT NULL CHECK (char_length(query) <= 2000),
    created_at timestamptz NOT NULL,
    UNIQUE (staff_id, name)
);
