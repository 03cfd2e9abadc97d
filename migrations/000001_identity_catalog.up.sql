-- Identity (providers, users, refresh tokens, login throttling) and the
-- catalogue (product models, customer assets).

CREATE TABLE providers (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('in_house', 'partner')),
    phone       text NOT NULL DEFAULT '',
    email       text NOT NULL DEFAULT '',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT providers_name_key UNIQUE (name)
);
-- There is one in-house team; everybody else is a partner.
CREATE UNIQUE INDEX providers_one_in_house ON providers (kind) WHERE kind = 'in_house';

CREATE TABLE users (
    id              uuid PRIMARY KEY,
    role            text NOT NULL CHECK (role IN ('customer', 'technician', 'dispatcher', 'manager')),
    name            text NOT NULL,
    email           text,
    phone           text,
    password_hash   text NOT NULL,
    provider_id     uuid REFERENCES providers (id),
    active          boolean NOT NULL DEFAULT true,
    skills          text[] NOT NULL DEFAULT '{}',
    regions         text[] NOT NULL DEFAULT '{}',
    daily_capacity  integer NOT NULL DEFAULT 0 CHECK (daily_capacity BETWEEN 0 AND 100),
    on_duty         boolean NOT NULL DEFAULT false,
    last_lat        double precision CHECK (last_lat BETWEEN -90 AND 90),
    last_lng        double precision CHECK (last_lng BETWEEN -180 AND 180),
    last_located_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_login_present CHECK (email IS NOT NULL OR phone IS NOT NULL),
    -- customers belong to no provider; technicians and dispatchers always to one
    CONSTRAINT users_provider_by_role CHECK (
        (role = 'customer' AND provider_id IS NULL) OR
        (role IN ('technician', 'dispatcher') AND provider_id IS NOT NULL) OR
        role = 'manager')
);
-- e-mail is stored lower-cased by the service; the index keeps it unique anyway.
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX users_phone_key ON users (phone) WHERE phone IS NOT NULL;
CREATE INDEX users_role_created ON users (role, created_at, id);
CREATE INDEX users_provider ON users (provider_id) WHERE provider_id IS NOT NULL;

-- Opaque refresh tokens, stored as SHA-256 hashes. A family is one login;
-- presenting a spent token again revokes the whole family.
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   uuid NOT NULL,
    token_hash  bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    CONSTRAINT refresh_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Failed-login counters shared by every replica (key: "account:<login>" or "ip:<addr>").
CREATE TABLE login_throttles (
    key           text PRIMARY KEY,
    failures      integer NOT NULL DEFAULT 0,
    window_start  timestamptz NOT NULL,
    locked_until  timestamptz
);

CREATE TABLE product_models (
    id                        uuid PRIMARY KEY,
    code                      text NOT NULL,
    name                      text NOT NULL,
    category                  text NOT NULL DEFAULT '',
    warranty_months           integer NOT NULL DEFAULT 12 CHECK (warranty_months BETWEEN 0 AND 240),
    software_warranty_months  integer NOT NULL DEFAULT 3 CHECK (software_warranty_months BETWEEN 0 AND 240),
    return_window_days        integer NOT NULL DEFAULT 180 CHECK (return_window_days BETWEEN 0 AND 3650),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT product_models_code_key UNIQUE (code)
);

CREATE TABLE assets (
    id                uuid PRIMARY KEY,
    customer_id       uuid NOT NULL REFERENCES users (id),
    product_model_id  uuid NOT NULL REFERENCES product_models (id),
    serial_number     text NOT NULL,
    purchase_date     date NOT NULL,
    address_line1     text NOT NULL DEFAULT '',
    address_city      text NOT NULL DEFAULT '',
    address_region    text NOT NULL DEFAULT '',
    address_lat       double precision CHECK (address_lat BETWEEN -90 AND 90),
    address_lng       double precision CHECK (address_lng BETWEEN -180 AND 180),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT assets_model_serial_key UNIQUE (product_model_id, serial_number)
);
CREATE INDEX assets_customer_created ON assets (customer_id, created_at, id);
CREATE INDEX assets_created ON assets (created_at, id);
