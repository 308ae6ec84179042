-- Blobs are kept for a number of days after their last upload, like drops: `day` is the UTC day
-- number of that upload. Blobs stored before this migration count from the day it runs.
ALTER TABLE blobs ADD COLUMN day INTEGER NOT NULL DEFAULT 0;
UPDATE blobs SET day = CAST(strftime('%s', 'now') AS INTEGER) / 86400;
CREATE INDEX blobs_by_day ON blobs(day);

-- The sync cursor and the long-poll follow only the kinds a role may read, so the newest change
-- of each kind must be found without scanning the log.
CREATE INDEX changes_by_kind ON changes(group_id, kind, seq);
