-- File contents in the database, so a file recorded on one host prints on
-- another: a blob per SHA-256, its bytes in chunks of `chunk_bytes` (the
-- last one shorter), written one chunk per transaction. `complete_at` is
-- set last, once every chunk is in: only a complete blob is read, and a
-- file row is inserted only after its blob is complete.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size_bytes BIGINT NOT NULL,
    chunk_bytes BIGINT NOT NULL,
    chunks BIGINT NOT NULL,
    complete_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE blob_chunks (
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    seq BIGINT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (sha256, seq)
);
