-- PostgreSQL's own numbered migrations (the SQLite ones are in the directory above). This first
-- one is the schema the SQLite migrations 0001-0005 arrived at, with the same meaning per column.

-- next_seq and next_drop are per-group counters taken inside the insert transaction (row lock):
-- PostgreSQL sequences commit out of order, and a reader walking a cursor would skip a row that
-- committed after a higher number.
CREATE TABLE groups (
    id          BYTEA PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    next_seq    BIGINT NOT NULL DEFAULT 1,
    next_drop   BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE members (
    group_id      BYTEA NOT NULL REFERENCES groups(id),
    device        BYTEA NOT NULL,
    public_key    BYTEA NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    joined_at     BIGINT NOT NULL,
    revoked_at    BIGINT,
    evidence      BYTEA,
    PRIMARY KEY (group_id, device)
);

-- Invites as their coordinator signed them; the secret never reaches the server.
CREATE TABLE invites (
    id          BYTEA PRIMARY KEY,
    group_id    BYTEA NOT NULL REFERENCES groups(id),
    signed      BYTEA NOT NULL,
    role        TEXT NOT NULL,
    uses_left   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    created_by  BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE challenges (
    nonce       BYTEA PRIMARY KEY,
    time        BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX challenges_by_expiry ON challenges(expires_at);

-- Only a hash of each token is kept.
CREATE TABLE sessions (
    token_hash  BYTEA PRIMARY KEY,
    group_id    BYTEA NOT NULL,
    device      BYTEA NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_by_device ON sessions(group_id, device);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);

-- A document's kind is fixed by its first push.
CREATE TABLE docs (
    group_id  BYTEA NOT NULL REFERENCES groups(id),
    doc       BYTEA NOT NULL,
    kind      TEXT NOT NULL,
    PRIMARY KEY (group_id, doc)
);

-- The change log. kind is copied from docs so a pull filters by role without a join.
CREATE TABLE changes (
    group_id   BYTEA NOT NULL,
    seq        BIGINT NOT NULL,
    doc        BYTEA NOT NULL,
    hash       BYTEA NOT NULL,
    kind       TEXT NOT NULL,
    bytes      BYTEA NOT NULL,
    device     BYTEA NOT NULL,
    signature  BYTEA NOT NULL,
    PRIMARY KEY (group_id, seq)
);
CREATE UNIQUE INDEX changes_by_hash ON changes(group_id, doc, hash);
CREATE INDEX changes_by_kind ON changes(group_id, kind, seq);

-- Anonymous drops: nothing about the sender; `day` only so old drops can be deleted.
CREATE TABLE drops (
    group_id  BYTEA NOT NULL REFERENCES groups(id),
    seq       BIGINT NOT NULL,
    day       BIGINT NOT NULL,
    sealed    BYTEA NOT NULL,
    PRIMARY KEY (group_id, seq)
);
CREATE INDEX drops_by_day ON drops(day);

-- Photos by BLAKE3 hash, once per group; `day` is the UTC day of the last upload.
CREATE TABLE blobs (
    group_id  BYTEA NOT NULL REFERENCES groups(id),
    hash      BYTEA NOT NULL,
    kind      TEXT NOT NULL,
    bytes     BYTEA NOT NULL,
    day       BIGINT NOT NULL,
    PRIMARY KEY (group_id, hash)
);
CREATE INDEX blobs_by_day ON blobs(day);

-- Replies coordinators publish, already encrypted, per group and id.
CREATE TABLE replies (
    group_id  BYTEA NOT NULL REFERENCES groups(id),
    id        BYTEA NOT NULL,
    day       BIGINT NOT NULL,
    bytes     BYTEA NOT NULL,
    PRIMARY KEY (group_id, id)
);
CREATE INDEX replies_by_day ON replies(day);

-- Drop tokens: the issuing key, the spent messages, the daily allowances.
CREATE TABLE token_keys (
    group_id    BYTEA PRIMARY KEY REFERENCES groups(id),
    secret_der  BYTEA NOT NULL,
    public_der  BYTEA NOT NULL
);
CREATE TABLE spent_tokens (
    group_id  BYTEA NOT NULL REFERENCES groups(id),
    message   BYTEA NOT NULL,
    PRIMARY KEY (group_id, message)
);
CREATE TABLE token_issues (
    group_id  BYTEA NOT NULL REFERENCES groups(id),
    device    BYTEA NOT NULL,
    day       BIGINT NOT NULL,
    issued    BIGINT NOT NULL,
    PRIMARY KEY (group_id, device, day)
);
