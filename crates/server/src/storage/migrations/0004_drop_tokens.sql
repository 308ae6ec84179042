-- Single-use anonymous drop tokens (RFC 9474 blind RSA signatures), and replies kept per group.

-- One issuing key per group, made the first time a member asks for tokens. The secret half never
-- leaves the server; the public half is served to members.
CREATE TABLE token_keys (
    group_id    BLOB PRIMARY KEY REFERENCES groups(id),
    secret_der  BLOB NOT NULL,
    public_der  BLOB NOT NULL
);

-- The messages of tokens already spent on a drop. Nothing else: not when, not on which drop.
-- Kept as long as the group's issuing key is (a token never expires, so neither may its entry).
CREATE TABLE spent_tokens (
    group_id  BLOB NOT NULL REFERENCES groups(id),
    message   BLOB NOT NULL,
    PRIMARY KEY (group_id, message)
) WITHOUT ROWID;

-- How many tokens each member had signed per UTC day, for the daily limit. Issuing is
-- authenticated, so this is tied to a device; spending is not, and nothing links the two.
CREATE TABLE token_issues (
    group_id  BLOB NOT NULL REFERENCES groups(id),
    device    BLOB NOT NULL,
    day       INTEGER NOT NULL,
    issued    INTEGER NOT NULL,
    PRIMARY KEY (group_id, device, day)
) WITHOUT ROWID;

-- Replies are keyed by (group, id): one group can no longer claim an id another group's
-- reporter will ask for.
CREATE TABLE replies_by_group (
    group_id  BLOB NOT NULL REFERENCES groups(id),
    id        BLOB NOT NULL,
    day       INTEGER NOT NULL,
    bytes     BLOB NOT NULL,
    PRIMARY KEY (group_id, id)
);
INSERT INTO replies_by_group (group_id, id, day, bytes) SELECT group_id, id, day, bytes FROM replies;
DROP TABLE replies;
ALTER TABLE replies_by_group RENAME TO replies;
CREATE INDEX replies_by_day ON replies(day);
