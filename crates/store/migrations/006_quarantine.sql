-- Documents received from elsewhere that this device cannot show: their content breaks the
-- schema or the model's rules, or they came by a path their kind never takes (a report through
-- the server's change log). The rest of a sync goes on without them; a later change that makes
-- the document valid takes it out of here.
CREATE TABLE quarantine (
    doc     BLOB PRIMARY KEY,
    kind    TEXT NOT NULL,
    reason  TEXT NOT NULL,
    at      INTEGER NOT NULL
);
