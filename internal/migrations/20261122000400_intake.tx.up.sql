-- Online intake: Open311 API keys, the Open311 view of categories, what each online submission
-- carried beyond the ticket (idempotency key, API key, photos), and citizens' ratings.

-- Organisations that integrate through Open311 (another city's app, a digital city-management
-- platform); each holds one or more API keys.
CREATE TABLE intake_organisations (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    contact    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);

-- API keys are stored only as their SHA-256: keys are long random strings, so a fast hash is
-- enough and keeps a POST from paying for a password hash. rate_per_minute NULL: no limit.
CREATE TABLE intake_api_keys (
    id              bigserial PRIMARY KEY,
    organisation_id bigint NOT NULL REFERENCES intake_organisations (id),
    key_hash        bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    label           text NOT NULL DEFAULT '',
    rate_per_minute int CHECK (rate_per_minute IS NULL OR rate_per_minute > 0),
    burst           int CHECK (burst IS NULL OR burst > 0),
    created_at      timestamptz NOT NULL,
    revoked_at      timestamptz
);
CREATE INDEX intake_api_keys_org_idx ON intake_api_keys (organisation_id);

-- How a leaf category shows as an Open311 service. A category without a row needs a location.
CREATE TABLE intake_services (
    category_id       bigint PRIMARY KEY REFERENCES categories (id),
    location_required boolean NOT NULL DEFAULT true,
    keywords          text NOT NULL DEFAULT '',
    notice            text NOT NULL DEFAULT ''
);

-- Extra questions of a service (Open311 service definition attributes).
CREATE TABLE intake_service_attributes (
    category_id          bigint NOT NULL REFERENCES categories (id),
    code                 text NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_-]*$'),
    datatype             text NOT NULL
                         CHECK (datatype IN ('string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist')),
    variable             boolean NOT NULL DEFAULT true,
    required             boolean NOT NULL DEFAULT false,
    description          text NOT NULL,
    datatype_description text NOT NULL DEFAULT '',
    ord                  int NOT NULL CHECK (ord > 0),
    "values"             jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (category_id, code),
    UNIQUE (category_id, ord)
);

-- What an online submission carried beyond the ticket row. The idempotency key makes a double
-- submit (a second click, a retried POST) find the first ticket instead of creating another.
CREATE TABLE intake_submissions (
    ticket_id       bigint PRIMARY KEY REFERENCES tickets (id),
    channel         text NOT NULL CHECK (channel IN ('web', 'open311')),
    idempotency_key text UNIQUE,
    api_key_id      bigint REFERENCES intake_api_keys (id),
    organisation_id bigint REFERENCES intake_organisations (id),
    address_id      text NOT NULL DEFAULT '',
    device_id       text NOT NULL DEFAULT '',
    account_id      text NOT NULL DEFAULT '',
    media_url       text NOT NULL DEFAULT '',
    attributes      jsonb NOT NULL DEFAULT '{}',
    client_addr     text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL
);
CREATE INDEX intake_submissions_channel_idx ON intake_submissions (channel, created_at);

-- Photos a citizen attached, kept with the ticket and shown only to staff.
CREATE TABLE intake_photos (
    id           bigserial PRIMARY KEY,
    ticket_id    bigint NOT NULL REFERENCES tickets (id),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    size         int NOT NULL CHECK (size > 0 AND size <= 5242880),
    sha256       bytea NOT NULL,
    data         bytea NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX intake_photos_ticket_idx ON intake_photos (ticket_id);

-- Citizens' ratings (评价), one per resolution: resolution is the ticket's reopen_count when it
-- was rated, so a ticket reopened (重办) and resolved again can be rated again.
CREATE TABLE intake_ratings (
    id         bigserial PRIMARY KEY,
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    resolution int NOT NULL,
    rating     text NOT NULL CHECK (rating IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    comment    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    UNIQUE (ticket_id, resolution)
);

-- Secrets of the intake area shared by every process (the form-token signing key).
CREATE TABLE intake_secrets (
    name  text PRIMARY KEY,
    value bytea NOT NULL
);
