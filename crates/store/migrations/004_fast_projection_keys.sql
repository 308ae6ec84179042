-- Deleting a document's search row and R*Tree boxes used to scan those tables (FTS5 and R*Tree
-- only index their row ids), which made every write slower as the store grew. From now on both
-- are keyed by row ids derived from the document, and the rows are rebuilt once, on next open.
DROP TABLE p_search;
CREATE VIRTUAL TABLE p_search USING fts5 (doc UNINDEXED, kind UNINDEXED, title, body);
DELETE FROM p_alerts_rtree;
INSERT INTO local_state (key, value) VALUES ('store.rebuild_projections', '1')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
