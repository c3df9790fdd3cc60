-- printfarm schema. Portable between SQLite and PostgreSQL:
--  * ids are TEXT generated in Rust (time-ordered hex), never AUTOINCREMENT/SERIAL;
--  * timestamps are BIGINT unix milliseconds (UTC);
--  * JSON is TEXT holding serialised JSON; booleans are not stored;
--  * states are TEXT guarded by CHECK constraints.

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    key_sha256  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('operator', 'technician', 'shop')),
    label       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE files (
    id                TEXT PRIMARY KEY,
    sha256            TEXT NOT NULL,
    original_name     TEXT NOT NULL,
    size_bytes        BIGINT NOT NULL CHECK (size_bytes >= 0),
    path              TEXT NOT NULL,
    analysis_json     TEXT NOT NULL,
    extents_min_x     DOUBLE PRECISION,
    extents_min_y     DOUBLE PRECISION,
    extents_min_z     DOUBLE PRECISION,
    extents_max_x     DOUBLE PRECISION,
    extents_max_y     DOUBLE PRECISION,
    extents_max_z     DOUBLE PRECISION,
    tools_used_json   TEXT NOT NULL,
    max_hotend_temp   DOUBLE PRECISION,
    max_bed_temp      DOUBLE PRECISION,
    nozzle_diameter   DOUBLE PRECISION,
    estimated_time_s  DOUBLE PRECISION,
    filament_mm       DOUBLE PRECISION,
    violations_json   TEXT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX files_by_sha256 ON files (sha256);

CREATE TABLE catalogue (
    sku      TEXT PRIMARY KEY,
    file_id  TEXT NOT NULL REFERENCES files (id),
    material TEXT,
    colour   TEXT
);

CREATE TABLE orders (
    id            TEXT PRIMARY KEY,
    external_id   TEXT,
    customer_ref  TEXT,
    due_at        BIGINT,
    owner_key_id  TEXT REFERENCES api_keys (id),
    created_at    BIGINT NOT NULL
);
-- A shop cannot submit the same external order twice.
CREATE UNIQUE INDEX orders_external_per_owner ON orders (owner_key_id, external_id);

CREATE TABLE order_items (
    id                   TEXT PRIMARY KEY,
    order_id             TEXT NOT NULL REFERENCES orders (id),
    file_id              TEXT NOT NULL REFERENCES files (id),
    sku                  TEXT REFERENCES catalogue (sku),
    quantity             BIGINT NOT NULL CHECK (quantity >= 1),
    personalisation_json TEXT
);

CREATE TABLE printers (
    name        TEXT PRIMARY KEY,
    state       TEXT NOT NULL
                CHECK (state IN ('offline', 'idle', 'busy', 'awaiting_clear', 'error')),
    updated_at  BIGINT NOT NULL
);

CREATE TABLE jobs (
    id                   TEXT PRIMARY KEY,
    file_id              TEXT NOT NULL REFERENCES files (id),
    order_id             TEXT REFERENCES orders (id),
    order_item_id        TEXT REFERENCES order_items (id),
    unit_index           BIGINT NOT NULL DEFAULT 0 CHECK (unit_index >= 0),
    personalisation_json TEXT,
    state                TEXT NOT NULL CHECK (state IN
                         ('queued', 'assigned', 'printing', 'paused',
                          'completed', 'failed', 'cancelled', 'held')),
    priority             BIGINT NOT NULL DEFAULT 0,
    due_at               BIGINT,
    material             TEXT,
    colour               TEXT,
    required_tags_json   TEXT NOT NULL,
    printer              TEXT REFERENCES printers (name),
    attempts             BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    failure_reason       TEXT,
    last_acked_line      BIGINT NOT NULL DEFAULT 0 CHECK (last_acked_line >= 0),
    created_at           BIGINT NOT NULL,
    started_at           BIGINT,
    finished_at          BIGINT,
    owner_key_id         TEXT REFERENCES api_keys (id),
    -- an active job is on a printer; a waiting job is on none
    CHECK (state NOT IN ('assigned', 'printing', 'paused') OR printer IS NOT NULL),
    CHECK (state NOT IN ('queued', 'held') OR printer IS NULL)
);
-- A printer runs at most one job at a time.
CREATE UNIQUE INDEX jobs_one_active_per_printer ON jobs (printer)
    WHERE state IN ('assigned', 'printing', 'paused');
CREATE INDEX jobs_by_state ON jobs (state, priority);
CREATE INDEX jobs_by_order ON jobs (order_id);
CREATE INDEX jobs_by_finished ON jobs (finished_at);

CREATE TABLE events (
    id            TEXT PRIMARY KEY,
    at            BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    printer       TEXT,
    job           TEXT,
    payload_json  TEXT NOT NULL
);
CREATE INDEX events_by_at ON events (at);
CREATE INDEX events_by_job ON events (job);
