-- Compaction (DECISIONS 30): a document's old changes folded into one Automerge save. `folded`
-- lists, per folded change in log order, its number (8 bytes, big-endian), hash (32) and author
-- signature (64), so each change can be served again as it was logged. At most one snapshot per
-- document; a later fold replaces it with one that holds both.
CREATE TABLE snapshots (
    group_id   BLOB NOT NULL,
    doc        BLOB NOT NULL,
    kind       TEXT NOT NULL,
    first_seq  INTEGER NOT NULL,
    last_seq   INTEGER NOT NULL,
    n_changes  INTEGER NOT NULL,
    saved      BLOB NOT NULL,
    folded     BLOB NOT NULL,
    PRIMARY KEY (group_id, doc)
) WITHOUT ROWID;
CREATE INDEX snapshots_by_last ON snapshots(group_id, last_seq);
