-- Drop tokens and rotating reply ids. Local to this device; nothing here is ever synced.

-- Unspent drop tokens this device holds (each an encoded token, opaque to the store). A drop
-- takes one; a sync with the server refills the stash when it runs low.
CREATE TABLE drop_tokens (
    id     INTEGER PRIMARY KEY,
    token  BLOB NOT NULL
);

-- The token a queued envelope spends, fixed at its first attempt, so a retry after a lost answer
-- spends the same token (and a "spent" answer then means the earlier attempt arrived).
ALTER TABLE drop_queue ADD COLUMN token BLOB;

-- The index of the next status a reporter asks for: published statuses rotate ids (see
-- porchlight_sync::seal::reply_id_at), and the reporter asks for the next one only.
ALTER TABLE receipts ADD COLUMN reply_next INTEGER NOT NULL DEFAULT 0;
