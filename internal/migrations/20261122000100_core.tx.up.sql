-- Departments (部门): the city's units in a tree. The centre and the city leadership are units too.
CREATE TABLE departments (
    id         bigserial PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]*$'),
    parent_id  bigint REFERENCES departments (id),
    kind       text NOT NULL DEFAULT 'bureau'
               CHECK (kind IN ('centre', 'leadership', 'bureau', 'enterprise', 'district', 'street')),
    name_zh    text NOT NULL,
    name_en    text NOT NULL DEFAULT '',
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX departments_parent_idx ON departments (parent_id);

-- Staff accounts. SIP credentials are kept only as the digest HA1, never as a password.
CREATE TABLE staff (
    id              bigserial PRIMARY KEY,
    username        text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]*$'),
    display_name    text NOT NULL,
    role            text NOT NULL
                    CHECK (role IN ('agent', 'dispatcher', 'handler', 'head', 'supervisor', 'admin', 'leader')),
    department_id   bigint NOT NULL REFERENCES departments (id),
    password_hash   text NOT NULL,
    sip_extension   text UNIQUE CHECK (sip_extension ~ '^[0-9]{3,8}$'),
    sip_ha1         text NOT NULL DEFAULT '',
    email           text NOT NULL DEFAULT '',
    phone           text NOT NULL DEFAULT '',
    active          boolean NOT NULL DEFAULT true,
    failed_logins   int NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_department_idx ON staff (department_id);

-- Deadline profiles (时限方案): clocks are data, not code.
CREATE TABLE deadline_profiles (
    code              text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9-]*$'),
    name_zh           text NOT NULL,
    accept_hours      int NOT NULL CHECK (accept_hours > 0),
    feedback_hours    int NOT NULL CHECK (feedback_hours > 0),
    resolve_workdays  int NOT NULL CHECK (resolve_workdays > 0),
    callback_workdays int NOT NULL CHECK (callback_workdays > 0)
);

-- Categories (诉求分类) in a tree modelled on GB/T 39666-2020.
CREATE TABLE categories (
    id           bigserial PRIMARY KEY,
    code         text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]*$'),
    parent_id    bigint REFERENCES categories (id),
    name_zh      text NOT NULL,
    name_en      text NOT NULL DEFAULT '',
    ticket_type  text NOT NULL
                 CHECK (ticket_type IN ('consultation', 'help', 'complaint', 'report', 'suggestion', 'praise')),
    profile_code text NOT NULL REFERENCES deadline_profiles (code),
    active       boolean NOT NULL DEFAULT true
);
CREATE INDEX categories_parent_idx ON categories (parent_id);

-- Tickets (工单).
CREATE TABLE tickets (
    id                bigserial PRIMARY KEY,
    number            text NOT NULL UNIQUE,
    type              text NOT NULL
                      CHECK (type IN ('consultation', 'help', 'complaint', 'report', 'suggestion', 'praise')),
    channel           text NOT NULL CHECK (channel IN ('phone', 'web', 'open311', 'app', 'walk-in', 'letter')),
    status            text NOT NULL
                      CHECK (status IN ('registered', 'dispatched', 'accepted', 'returned', 'resolved', 'closed')),
    version           int NOT NULL DEFAULT 1,
    category_id       bigint REFERENCES categories (id),
    title             text NOT NULL DEFAULT '',
    description       text NOT NULL,
    address           text NOT NULL DEFAULT '',
    district          text NOT NULL DEFAULT '',
    street            text NOT NULL DEFAULT '',
    lat               double precision CHECK (lat BETWEEN -90 AND 90),
    lon               double precision CHECK (lon BETWEEN -180 AND 180),
    caller_name       text NOT NULL DEFAULT '',
    caller_phone      text NOT NULL DEFAULT '',
    caller_email      text NOT NULL DEFAULT '',
    department_id     bigint REFERENCES departments (id),
    priority          text NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'urgent')),
    profile_code      text NOT NULL REFERENCES deadline_profiles (code),
    master_id         bigint REFERENCES tickets (id),
    registered_by     bigint REFERENCES staff (id),
    resolution        text NOT NULL DEFAULT '',
    reopen_count      int NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    dispatched_at     timestamptz,
    accepted_at       timestamptz,
    feedback_at       timestamptz,
    resolved_at       timestamptz,
    closed_at         timestamptz,
    accept_due        timestamptz,
    feedback_due      timestamptz,
    resolve_due       timestamptz,
    callback_due      timestamptz
);
CREATE INDEX tickets_status_idx ON tickets (status);
CREATE INDEX tickets_department_idx ON tickets (department_id, status);
CREATE INDEX tickets_phone_idx ON tickets (caller_phone, created_at) WHERE caller_phone <> '';
CREATE INDEX tickets_created_idx ON tickets (created_at);
CREATE INDEX tickets_master_idx ON tickets (master_id) WHERE master_id IS NOT NULL;

-- Co-handling departments (协办) of a ticket, with their replies.
CREATE TABLE ticket_co_departments (
    ticket_id     bigint NOT NULL REFERENCES tickets (id),
    department_id bigint NOT NULL REFERENCES departments (id),
    reply         text NOT NULL DEFAULT '',
    replied_at    timestamptz,
    PRIMARY KEY (ticket_id, department_id)
);
CREATE INDEX ticket_co_departments_dept_idx ON ticket_co_departments (department_id);

-- The timeline (全程留痕): append-only, enforced by the trigger below.
CREATE TABLE ticket_events (
    id            bigserial PRIMARY KEY,
    ticket_id     bigint NOT NULL REFERENCES tickets (id),
    kind          text NOT NULL,
    actor_id      bigint REFERENCES staff (id),
    actor_name    text NOT NULL DEFAULT '',
    actor_role    text NOT NULL DEFAULT '',
    department_id bigint REFERENCES departments (id),
    at            timestamptz NOT NULL,
    public        boolean NOT NULL DEFAULT false,
    from_status   text NOT NULL DEFAULT '',
    to_status     text NOT NULL DEFAULT '',
    body          text NOT NULL DEFAULT '',
    data          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX ticket_events_ticket_idx ON ticket_events (ticket_id, id);
CREATE INDEX ticket_events_kind_idx ON ticket_events (kind, at);

CREATE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only';
END $$;
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE OR DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only();
CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON ticket_events
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_append_only();
