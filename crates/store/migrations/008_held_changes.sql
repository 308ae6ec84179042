-- Pulled changes whose author this device cannot vouch for yet: the author's membership
-- certificate had not reached this device when the change did. They are tried again whenever
-- the group's certificates change, and applied once the author is certified. Local only.
CREATE TABLE held_changes (
    hash       BLOB PRIMARY KEY,
    doc        BLOB NOT NULL,
    kind       TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    signature  BLOB NOT NULL,
    held_at    INTEGER NOT NULL
);
