-- search_ngrams is the Chinese-aware search vector of a text (package internal/textsearch):
-- each Chinese character and each pair of neighbouring ones, at the position of the first, and
-- each run of ASCII letters and digits (lower-cased, at most 100 characters) as a word. Runs
-- are one position apart, so a phrase of bigrams never matches across punctuation. Immutable,
-- so a table can keep it in a generated column with a GIN index.
CREATE FUNCTION search_ngrams(doc text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    WITH runs AS (
        SELECT m.run, m.ord,
               sum(char_length(m.run) + 1) OVER (ORDER BY m.ord) - char_length(m.run) AS start
        FROM (SELECT r[1] AS run, ord
              FROM regexp_matches(lower(doc), '([\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]+|[a-z0-9]+)', 'g')
                   WITH ORDINALITY AS x(r, ord)) m
    ), grams AS (
        SELECT left(run, 100) AS tok, start AS pos FROM runs WHERE run ~ '^[a-z0-9]'
        UNION ALL
        SELECT substr(run, i, n), start + i - 1
        FROM runs, generate_series(1, char_length(run)) AS i, (VALUES (1), (2)) AS k(n)
        WHERE run !~ '^[a-z0-9]' AND i + n - 1 <= char_length(run)
    )
    SELECT coalesce(string_agg(format('''%s'':%s', tok, least(pos, 16383)), ' '), '')::tsvector FROM grams
$$;

-- The knowledge base's workflow (知识库维护): each article has an owner department, which
-- proposes new entries and updates (kb_proposals); the centre approves or refuses them with a
-- reason before anything is published. Every published text is kept (kb_article_versions).
ALTER TABLE kb_articles
    ADD COLUMN department_id bigint REFERENCES departments (id),
    ADD COLUMN status text NOT NULL DEFAULT 'published'
        CHECK (status IN ('draft', 'review', 'published', 'withdrawn')),
    ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version >= 0),
    -- search matches (all the text); search_head ranks: small, so ranking every match does not
    -- read every match's large vector.
    ADD COLUMN search tsvector GENERATED ALWAYS AS (search_ngrams(title || ' ' || keywords || ' ' || body)) STORED,
    ADD COLUMN search_head tsvector GENERATED ALWAYS AS (
        setweight(search_ngrams(title), 'A') || setweight(search_ngrams(keywords), 'B')) STORED;
UPDATE kb_articles SET status = 'withdrawn' WHERE NOT active;
CREATE INDEX kb_articles_search ON kb_articles USING gin (search);

CREATE TABLE kb_proposals (
    id            bigserial PRIMARY KEY,
    article_id    bigint NOT NULL REFERENCES kb_articles (id),
    department_id bigint NOT NULL REFERENCES departments (id),
    title         text NOT NULL CHECK (title <> ''),
    body          text NOT NULL CHECK (body <> ''),
    keywords      text NOT NULL DEFAULT '',
    category_code text NOT NULL DEFAULT '',
    source        text NOT NULL CHECK (source <> ''),
    valid_from    date NOT NULL,
    valid_until   date,
    note          text NOT NULL DEFAULT '',
    status        text NOT NULL CHECK (status IN ('draft', 'review', 'approved', 'refused')),
    proposed_by   text NOT NULL,
    proposed_at   timestamptz NOT NULL,
    reviewed_by   text NOT NULL DEFAULT '',
    reviewed_at   timestamptz,
    reason        text NOT NULL DEFAULT '',
    CHECK (valid_until IS NULL OR valid_until >= valid_from),
    CHECK (status <> 'refused' OR reason <> '')
);
-- One open proposal per article at a time.
CREATE UNIQUE INDEX kb_proposals_open ON kb_proposals (article_id) WHERE status IN ('draft', 'review');
CREATE INDEX kb_proposals_status ON kb_proposals (status, proposed_at);

-- Every text an article was published with, append-only.
CREATE TABLE kb_article_versions (
    article_id    bigint NOT NULL REFERENCES kb_articles (id),
    version       integer NOT NULL CHECK (version > 0),
    title         text NOT NULL,
    body          text NOT NULL,
    keywords      text NOT NULL,
    category_code text NOT NULL,
    source        text NOT NULL,
    valid_from    date NOT NULL,
    valid_until   date,
    department_id bigint REFERENCES departments (id),
    proposal_id   bigint REFERENCES kb_proposals (id),
    published_at  timestamptz NOT NULL,
    published_by  text NOT NULL,
    PRIMARY KEY (article_id, version)
);
