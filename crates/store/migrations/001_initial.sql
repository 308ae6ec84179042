-- Documents: the source of truth. A snapshot (the last compaction) plus the incremental changes
-- appended since, so a write costs one small insert instead of re-saving the whole document.
CREATE TABLE documents (
    id          BLOB PRIMARY KEY,   -- 16 bytes
    kind        TEXT NOT NULL,
    snapshot    BLOB NOT NULL,      -- automerge save(); empty until the first compaction
    heads       BLOB NOT NULL,      -- concatenated 32-byte change hashes, sorted
    pending     INTEGER NOT NULL DEFAULT 0,  -- rows in doc_changes since the snapshot
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE doc_changes (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    doc    BLOB NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    hash   BLOB NOT NULL,
    bytes  BLOB NOT NULL,
    UNIQUE (doc, hash)
);

-- Local changes not yet acknowledged by a server. Deleted when a push is accepted.
CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    doc         BLOB NOT NULL,
    kind        TEXT NOT NULL,
    hash        BLOB NOT NULL UNIQUE,
    bytes       BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

-- GPS fixes recorded but not yet packed into a track chunk of their patrol's document. Each fix is
-- durable the moment it is acknowledged; a chunk is written about every 30 seconds.
CREATE TABLE track_buffer (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    patrol    BLOB NOT NULL,
    at        INTEGER NOT NULL,
    lat       REAL NOT NULL,
    lon       REAL NOT NULL,
    accuracy  REAL
);
CREATE INDEX track_buffer_patrol ON track_buffer (patrol, seq);

-- Local only, never synced: the resident's private watch areas and this device's settings.
CREATE TABLE watch_areas (
    name        TEXT PRIMARY KEY,
    area        TEXT NOT NULL,      -- JSON
    created_at  INTEGER NOT NULL
);
CREATE TABLE local_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- Projections: query tables derived from the documents; rebuild_projections() recreates them.
CREATE TABLE p_groups (
    id       BLOB PRIMARY KEY,
    name     TEXT NOT NULL,
    members  TEXT NOT NULL,         -- JSON
    zones    TEXT NOT NULL          -- JSON
);

CREATE TABLE p_alerts (
    rid         INTEGER PRIMARY KEY,
    id          BLOB NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    category    TEXT NOT NULL,
    severity    TEXT NOT NULL,
    status      TEXT NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER,
    area        TEXT NOT NULL,      -- JSON
    lat         REAL NOT NULL,      -- anchor point for lists and maps
    lon         REAL NOT NULL,
    issued_by   BLOB
);
CREATE INDEX p_alerts_issued ON p_alerts (issued_at DESC);

-- Bounding boxes of alert areas (two rows for areas across the antimeridian).
CREATE VIRTUAL TABLE p_alerts_rtree USING rtree (
    id, min_lat, max_lat, min_lon, max_lon,
    +alert INTEGER
);

CREATE TABLE p_patrols (
    rid           INTEGER PRIMARY KEY,
    id            BLOB NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    started_at    INTEGER NOT NULL,
    ended_at      INTEGER,
    fix_count     INTEGER NOT NULL,
    distance_m    REAL NOT NULL,
    observations  INTEGER NOT NULL,
    participants  TEXT NOT NULL     -- JSON
);
CREATE INDEX p_patrols_started ON p_patrols (started_at DESC);

CREATE TABLE p_observations (
    patrol    BLOB NOT NULL,
    id        TEXT NOT NULL,
    at        INTEGER NOT NULL,
    lat       REAL,
    lon       REAL,
    category  TEXT NOT NULL,
    note      TEXT NOT NULL,
    photos    TEXT NOT NULL,        -- JSON
    PRIMARY KEY (patrol, id)
) WITHOUT ROWID;

CREATE TABLE p_reports (
    rid          INTEGER PRIMARY KEY,
    id           BLOB NOT NULL UNIQUE,
    category     TEXT NOT NULL,
    description  TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    lat          REAL,
    lon          REAL,
    precision    TEXT NOT NULL,
    photos       TEXT NOT NULL,     -- JSON
    filed_by     BLOB
);
CREATE INDEX p_reports_occurred ON p_reports (occurred_at DESC);

CREATE TABLE p_triage (
    report      BLOB PRIMARY KEY,
    doc         BLOB NOT NULL UNIQUE,
    status      TEXT NOT NULL,
    updated_at  INTEGER,
    first_at    INTEGER,
    notes       TEXT NOT NULL       -- JSON
) WITHOUT ROWID;

-- Full-text search over every record's text.
CREATE VIRTUAL TABLE p_search USING fts5 (doc UNINDEXED, kind UNINDEXED, title, body);
