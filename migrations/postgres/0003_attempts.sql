-- Attempts, failure causes, the bed as its own fact, and the job states of
-- personalised products (pending while an order is written in batches,
-- rendering, needs_review).

ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check CHECK (state IN
    ('pending', 'rendering', 'needs_review', 'queued', 'held', 'assigned', 'printing',
     'paused', 'completed', 'failed', 'cancelled'));
ALTER TABLE jobs DROP CONSTRAINT jobs_check1;
ALTER TABLE jobs ADD CONSTRAINT jobs_waiting_without_printer CHECK
    (state NOT IN ('pending', 'rendering', 'needs_review', 'queued', 'held')
     OR printer IS NULL);
-- The cause code of the job's last failure (`printer.thermal`, …).
ALTER TABLE jobs ADD COLUMN failure_cause TEXT;
-- A unit of a product: which, and the render that makes its file.
ALTER TABLE jobs ALTER COLUMN file_id DROP NOT NULL;
ALTER TABLE jobs ADD CONSTRAINT jobs_file_once_rendered CHECK
    (file_id IS NOT NULL OR state IN ('pending', 'rendering', 'needs_review', 'cancelled', 'failed'));
ALTER TABLE jobs ADD COLUMN product_sku TEXT;
ALTER TABLE jobs ADD COLUMN product_version BIGINT;
ALTER TABLE jobs ADD COLUMN render_key TEXT;

-- Attempts: one row per time a job was given to a printer, with how it
-- ended. Jobs keep their current state; the history lives here.
CREATE TABLE attempts (
    id               TEXT PRIMARY KEY,
    job_id           TEXT NOT NULL REFERENCES jobs (id),
    printer          TEXT NOT NULL REFERENCES printers (name),
    started_at       BIGINT NOT NULL,
    ended_at         BIGINT,
    outcome          TEXT CHECK (outcome IN ('completed', 'failed')),
    cause            TEXT,
    reason           TEXT,
    last_acked_line  BIGINT NOT NULL DEFAULT 0 CHECK (last_acked_line >= 0),
    line_count       BIGINT,
    CHECK ((ended_at IS NULL) = (outcome IS NULL)),
    CHECK (outcome IS NULL OR outcome = 'completed' OR cause IS NOT NULL)
);
CREATE INDEX attempts_by_job ON attempts (job_id, started_at);
CREATE INDEX attempts_by_ended ON attempts (ended_at);
-- At most one open attempt per printer and per job.
CREATE UNIQUE INDEX attempts_one_open_per_printer ON attempts (printer) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX attempts_one_open_per_job ON attempts (job_id) WHERE ended_at IS NULL;


-- Products: a fixed G-code file or a template rendered per unit, in
-- versions (an order keeps the version it was placed with).
CREATE TABLE products (
    sku            TEXT NOT NULL,
    version        BIGINT NOT NULL CHECK (version >= 1),
    spec_json      TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('file', 'template')),
    file_id        TEXT REFERENCES files (id),
    bundle_dir     TEXT,
    bundle_sha256  TEXT,
    profiles_json  TEXT NOT NULL,
    charset_json   TEXT,
    owner_key_id   TEXT REFERENCES api_keys (id),
    created_at     BIGINT NOT NULL,
    retired_at     BIGINT,
    PRIMARY KEY (sku, version),
    CHECK ((kind = 'file') = (file_id IS NOT NULL)),
    CHECK ((kind = 'template') = (bundle_dir IS NOT NULL))
);

-- Renders: one per distinct input (template, values, profile, tools); the
-- units that need the same input share it.
CREATE TABLE renders (
    key            TEXT PRIMARY KEY,
    sku            TEXT NOT NULL,
    version        BIGINT NOT NULL,
    profile        TEXT NOT NULL,
    values_json    TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    file_id        TEXT REFERENCES files (id),
    stl_path       TEXT,
    error          TEXT,
    tries          BIGINT NOT NULL DEFAULT 0,
    not_before     BIGINT NOT NULL DEFAULT 0,
    updated_at     BIGINT NOT NULL,
    FOREIGN KEY (sku, version) REFERENCES products (sku, version),
    CHECK ((state = 'done') = (file_id IS NOT NULL))
);
CREATE INDEX renders_by_state ON renders (state, not_before);
CREATE INDEX jobs_by_render ON jobs (render_key);

-- Order items name a product and the version ordered.
ALTER TABLE order_items DROP CONSTRAINT order_items_sku_fkey;
ALTER TABLE order_items ALTER COLUMN file_id DROP NOT NULL;
ALTER TABLE order_items ADD COLUMN product_version BIGINT;
INSERT INTO products (sku, version, spec_json, kind, file_id, profiles_json, created_at)
SELECT sku, 1, json_build_object('name', sku, 'material', material, 'colour', colour)::text,
       'file', file_id, '[]', 0 FROM catalogue;

-- A print on the bed is a fact of its own: a printer in error may hold one.
ALTER TABLE printers ADD COLUMN bed_full_since BIGINT;
UPDATE printers SET bed_full_since = updated_at WHERE state = 'awaiting_clear';

-- Lines of G-code in the file, for attempts' progress; the longest serial
-- line it makes, for routing to printers whose command buffer holds it.
ALTER TABLE files ADD COLUMN line_count BIGINT;
ALTER TABLE files ADD COLUMN longest_line_bytes BIGINT;
-- The first line that pushes filament: an attempt that ends before it
-- leaves the bed clear.
ALTER TABLE files ADD COLUMN first_extrusion_line BIGINT;

-- Who uploaded a file: a shop sees only its own. Equal contents uploaded by
-- two owners are two rows sharing one stored file.
ALTER TABLE files ADD COLUMN owner_key_id TEXT REFERENCES api_keys (id);
CREATE INDEX files_by_owner_sha256 ON files (sha256, owner_key_id);
