-- Community meetings carry a start time and a place.
ALTER TABLE p_alerts ADD COLUMN starts_at INTEGER;
ALTER TABLE p_alerts ADD COLUMN place TEXT;

-- Residents' acknowledgements of alerts (a projection of the ack documents).
CREATE TABLE p_acks (
    doc     BLOB PRIMARY KEY,
    alert   BLOB NOT NULL,
    device  BLOB NOT NULL,
    at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX p_acks_alert ON p_acks (alert, at);

-- Local only: which alerts this device has told its user about, so nothing is announced twice,
-- not even after a restart.
CREATE TABLE alert_notices (
    alert         BLOB PRIMARY KEY,
    notified_at   INTEGER NOT NULL,
    cancelled_at  INTEGER          -- when the cancellation was announced, if it was
) WITHOUT ROWID;
