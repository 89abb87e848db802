-- What the agent records besides the matter itself (受理要素): whether the citizen asked for
-- confidentiality (保密: the departments never see their contact details) and whether they want
-- a reply (是否需回复).
ALTER TABLE tickets ADD COLUMN confidential boolean NOT NULL DEFAULT false;
ALTER TABLE tickets ADD COLUMN reply_wanted boolean NOT NULL DEFAULT true;

-- The city's own gazetteer (地名库): a place (a road, a residential compound, a landmark) and
-- the district (区) and street (街道) it lies in, which registration reads an address against
-- when the agent fills in neither.
CREATE TABLE gazetteer (
    id       bigserial PRIMARY KEY,
    place    text NOT NULL CHECK (length(place) BETWEEN 2 AND 100),
    district text NOT NULL CHECK (district <> ''),
    street   text NOT NULL DEFAULT '',
    UNIQUE (place, district, street)
);
