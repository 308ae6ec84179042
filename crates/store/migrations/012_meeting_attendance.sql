-- Who came to a past meeting (JSON: count, named members, when recorded), NULL until a
-- coordinator records it. No older document holds it, so existing rows need no rebuild.
ALTER TABLE p_alerts ADD COLUMN attendance TEXT;
