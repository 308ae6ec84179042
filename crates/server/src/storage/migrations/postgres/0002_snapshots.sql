-- Compaction (DECISIONS 30): as SQLite's migration 0006. A document's old changes folded into one
-- Automerge save; `folded` lists, per folded change in log order, its number (8 bytes,
-- big-endian), hash (32) and author signature (64). At most one snapshot per document.
CREATE TABLE snapshots (
    group_id   BYTEA NOT NULL,
    doc        BYTEA NOT NULL,
    kind       TEXT NOT NULL,
    first_seq  BIGINT NOT NULL,
    last_seq   BIGINT NOT NULL,
    n_changes  BIGINT NOT NULL,
    saved      BYTEA NOT NULL,
    folded     BYTEA NOT NULL,
    PRIMARY KEY (group_id, doc)
);
CREATE INDEX snapshots_by_last ON snapshots(group_id, last_seq);
