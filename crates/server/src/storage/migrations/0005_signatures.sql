-- Membership is authenticated end to end (docs/SECURITY.md): coordinators' devices make and sign
-- invites, and the server keeps the signed invite, whose public invite key checks each join. The
-- invite secret never reaches the server any more, so the old rows (a hash of a secret the server
-- once saw) cannot be used: they go.
DROP TABLE invites;
CREATE TABLE invites (
    id          BLOB PRIMARY KEY,
    group_id    BLOB NOT NULL REFERENCES groups(id),
    signed      BLOB NOT NULL,
    role        TEXT NOT NULL,
    uses_left   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_by  BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

-- How each member joined: the signed invite and the joining device's proof (CBOR), handed to
-- coordinators, whose devices certify the member only if it verifies. NULL for founders.
ALTER TABLE members ADD COLUMN evidence BLOB;

-- Every change keeps its author's signature and is served with it.
ALTER TABLE changes ADD COLUMN signature BLOB NOT NULL DEFAULT x'';
