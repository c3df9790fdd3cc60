-- Shop connections: webhooks in (signed, deduplicated), status callbacks out.

CREATE TABLE shops (
    name                  TEXT PRIMARY KEY,
    platform              TEXT NOT NULL,
    secret                TEXT NOT NULL,
    callback_url          TEXT,
    sku_map_json          TEXT NOT NULL DEFAULT '{}',
    property_map_json     TEXT NOT NULL DEFAULT '{}',
    accept_partially_paid BIGINT NOT NULL DEFAULT 0,
    ship_within_hours     BIGINT,
    due_property          TEXT,
    key_id                TEXT NOT NULL REFERENCES api_keys (id),
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);

-- Every verified delivery, stored raw before it is answered.
CREATE TABLE deliveries (
    id           TEXT PRIMARY KEY,
    shop         TEXT NOT NULL,
    topic        TEXT NOT NULL,
    dedup_key    TEXT NOT NULL,
    body         TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'received',
    error        TEXT,
    received_at  BIGINT NOT NULL,
    processed_at BIGINT
);
CREATE UNIQUE INDEX deliveries_once ON deliveries (shop, dedup_key);
CREATE INDEX deliveries_waiting ON deliveries (state, id);

-- A store's order as the farm sees it, one row per (shop, store order).
CREATE TABLE intake_orders (
    id              TEXT PRIMARY KEY,
    shop            TEXT NOT NULL,
    store_order_id  TEXT NOT NULL,
    state           TEXT NOT NULL,
    reason          TEXT,
    order_json      TEXT NOT NULL,
    overrides_json  TEXT NOT NULL DEFAULT '{}',
    order_id        TEXT REFERENCES orders (id),
    reported_status TEXT,
    started_units   TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX intake_once ON intake_orders (shop, store_order_id);
CREATE INDEX intake_by_state ON intake_orders (state);

-- Status callbacks to shops: an outbox, sent in order per order.
CREATE TABLE callbacks (
    id              TEXT PRIMARY KEY,
    shop            TEXT NOT NULL,
    intake_id       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_at         BIGINT NOT NULL,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);
CREATE UNIQUE INDEX callbacks_once ON callbacks (idempotency_key);
CREATE INDEX callbacks_pending ON callbacks (state, next_at);
