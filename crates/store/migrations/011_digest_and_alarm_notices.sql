-- Local only, never synced. Alert news held for the daily digest: one row per alert and kind
-- ('new' when it arrived, 'ended' when it was cancelled or closed), with its category, the only
-- thing the digest tells. Rows leave when the digest that counts them is taken.
CREATE TABLE digest_held (
    alert BLOB NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (alert, kind)
) WITHOUT ROWID;

-- Patrol alarms (SOS calls, missed check-ins) this device has raised a notification for, keyed
-- by patrol, kind, caller and time, so each alarm notifies once, not again after a restart.
CREATE TABLE alarm_notices (
    key TEXT PRIMARY KEY NOT NULL,
    notified_at INTEGER NOT NULL
) WITHOUT ROWID;
