-- Fields where concurrent edits left more than one value, per document (a projection).
CREATE TABLE p_conflicts (
    doc    BLOB NOT NULL,
    kind   TEXT NOT NULL,
    field  TEXT NOT NULL,
    PRIMARY KEY (doc, field)
) WITHOUT ROWID;
