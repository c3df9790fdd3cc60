-- Several hosts on one database (PostgreSQL): each `printfarm serve
-- --node NAME` holds a lease renewed by heartbeats; `epoch` grows each time
-- the node (re)joins, so a process that lost its lease cannot write as the
-- owner of its printers (fencing). Times are unix milliseconds of the
-- database's clock.
CREATE TABLE nodes (
    name TEXT PRIMARY KEY,
    epoch BIGINT NOT NULL,
    joined_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    lost_at BIGINT,
    listen TEXT
);

-- The node that drives each printer (NULL: a single-host farm).
ALTER TABLE printers ADD COLUMN node TEXT REFERENCES nodes(name);

-- Which node, under which epoch, ran an attempt.
ALTER TABLE attempts ADD COLUMN node TEXT;
ALTER TABLE attempts ADD COLUMN epoch BIGINT;

-- The node that took an order, so a node restarting after a crash removes
-- only the unaccepted orders it was taking.
ALTER TABLE orders ADD COLUMN node TEXT;

-- The node running a render, so a restart or the reaper re-queues only
-- that node's renders.
ALTER TABLE renders ADD COLUMN node TEXT;

-- Each node publishes its printers' live views (JSON, as `GET
-- /api/printers` shows them) so every node's API shows the whole farm.
ALTER TABLE printers ADD COLUMN view_json TEXT;
ALTER TABLE printers ADD COLUMN view_at BIGINT;

-- Actions for a printer of another node (pause, cancel, clear …), relayed
-- through the database: the sender inserts a row and notifies, the owner
-- carries it out once and writes the result.
CREATE TABLE node_commands (
    id TEXT PRIMARY KEY,
    node TEXT NOT NULL REFERENCES nodes(name),
    printer TEXT NOT NULL,
    command_json TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done')),
    result_json TEXT,
    done_at BIGINT
);
CREATE INDEX node_commands_pending ON node_commands (node, state);
