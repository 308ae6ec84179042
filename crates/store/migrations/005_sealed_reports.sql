-- Reports now travel sealed through the server's drop box, photos sync as blobs, and a reporter
-- keeps receipts. None of the tables below is ever synced: they describe this device only.

-- Photos taken in on this device or received. `kind` is the kind of the record that refers to
-- the photo (NULL while nothing does yet); only patrol photos are uploaded as blobs, report
-- photos leave sealed in drops.
CREATE TABLE blobs (
    hash      TEXT PRIMARY KEY,
    kind      TEXT,
    bytes     BLOB NOT NULL,
    uploaded  INTEGER NOT NULL DEFAULT 0
);

-- What this device filed. The secret is the one-off key of the receipt: the report's actor, reply
-- id and reply key all derive from it. `doc` is the report document, kept for follow-ups.
CREATE TABLE receipts (
    report        BLOB PRIMARY KEY,
    secret        BLOB NOT NULL,
    anonymous     INTEGER NOT NULL,
    filed_at      INTEGER NOT NULL,
    category      TEXT NOT NULL,
    description   TEXT NOT NULL,
    doc           BLOB NOT NULL,
    status        TEXT,
    status_note   TEXT,
    status_at     INTEGER,
    checked_at    INTEGER
);

-- Sealed envelopes waiting for their moment to be dropped (each after its own random delay).
CREATE TABLE drop_queue (
    id          INTEGER PRIMARY KEY,
    sealed      BLOB NOT NULL,
    not_before  INTEGER NOT NULL
);

-- Statuses a coordinator chose to publish to reporters, waiting to be uploaded.
CREATE TABLE reply_queue (
    reply_id  TEXT PRIMARY KEY,
    sealed    BLOB NOT NULL
);

ALTER TABLE p_reports ADD COLUMN followups TEXT NOT NULL DEFAULT '[]';
INSERT INTO local_state (key, value) VALUES ('store.rebuild_projections', '1')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
