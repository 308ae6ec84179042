-- Groups: one change log each. next_seq is the per-group counter handed out inside the insert
-- transaction (not an autoincrement: it must be gap-free and ordered per group).
CREATE TABLE groups (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    next_seq    INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE members (
    group_id      BLOB NOT NULL REFERENCES groups(id),
    device        BLOB NOT NULL,
    public_key    BLOB NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    joined_at     INTEGER NOT NULL,
    revoked_at    INTEGER,
    PRIMARY KEY (group_id, device)
) WITHOUT ROWID;

-- Only a hash of each invite secret is kept.
CREATE TABLE invites (
    id           BLOB PRIMARY KEY,
    group_id     BLOB NOT NULL REFERENCES groups(id),
    secret_hash  BLOB NOT NULL,
    role         TEXT NOT NULL,
    uses_left    INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    created_by   BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE challenges (
    nonce       BLOB PRIMARY KEY,
    time        INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX challenges_by_expiry ON challenges(expires_at);

-- Only a hash of each token is kept.
CREATE TABLE sessions (
    token_hash  BLOB PRIMARY KEY,
    group_id    BLOB NOT NULL,
    device      BLOB NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_by_device ON sessions(group_id, device);

-- A document's kind is fixed by its first push.
CREATE TABLE docs (
    group_id  BLOB NOT NULL REFERENCES groups(id),
    doc       BLOB NOT NULL,
    kind      TEXT NOT NULL,
    PRIMARY KEY (group_id, doc)
) WITHOUT ROWID;

-- The change log. kind is copied from docs so a pull filters by role without a join.
CREATE TABLE changes (
    group_id  BLOB NOT NULL,
    seq       INTEGER NOT NULL,
    doc       BLOB NOT NULL,
    hash      BLOB NOT NULL,
    kind      TEXT NOT NULL,
    bytes     BLOB NOT NULL,
    device    BLOB NOT NULL,
    PRIMARY KEY (group_id, seq)
);
CREATE UNIQUE INDEX changes_by_hash ON changes(group_id, doc, hash);
