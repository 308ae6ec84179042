-- Anonymous drops, photo blobs and published replies.

-- Drop numbers come from a counter in the group's row, like change sequence numbers: they are
-- never reused after old drops are deleted, they count only this group's drops, and they stay in
-- commit order on a database whose own sequences may commit out of order.
ALTER TABLE groups ADD COLUMN next_drop INTEGER NOT NULL DEFAULT 1;

-- Deliberately nothing about the sender: no address, no user agent, no exact time. `day` (the
-- UTC day number) is only there so old drops can be deleted.
CREATE TABLE drops (
    group_id  BLOB NOT NULL REFERENCES groups(id),
    seq       INTEGER NOT NULL,
    day       INTEGER NOT NULL,
    sealed    BLOB NOT NULL,
    PRIMARY KEY (group_id, seq)
);
CREATE INDEX drops_by_day ON drops(day);

-- Photos, addressed by the BLAKE3 hash of their bytes, stored once per group. The kind of the
-- documents they belong to decides who may read them.
CREATE TABLE blobs (
    group_id  BLOB NOT NULL REFERENCES groups(id),
    hash      BLOB NOT NULL,
    kind      TEXT NOT NULL,
    bytes     BLOB NOT NULL,
    PRIMARY KEY (group_id, hash)
);

-- Replies coordinators publish for anonymous reporters, already encrypted. Read without a token,
-- by id only; `day` is the UTC day of the latest version, for deletion.
CREATE TABLE replies (
    id        BLOB PRIMARY KEY,
    group_id  BLOB NOT NULL REFERENCES groups(id),
    day       INTEGER NOT NULL,
    bytes     BLOB NOT NULL
);
CREATE INDEX replies_by_day ON replies(day);
