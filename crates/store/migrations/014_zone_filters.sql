-- Lists filtered by a named zone of the group, a page at a time. Which zones a patrol's track
-- passes through, and which zone a report lies in, is worked out when the record is projected
-- (and again for every record when the group's zones change), so a filtered page is an index
-- range in time order, never a geometry test per row at query time.
-- The track kept here is simplified (within 2 m): enough to redo the zone test when zones change
-- without loading every patrol's document.
ALTER TABLE p_patrols ADD COLUMN track BLOB;
-- Pages are ordered by (time, document id): the same order on every device, whatever row
-- numbers each device's store gave the records.
CREATE TABLE p_zone_patrols (
    zone        TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    id          BLOB NOT NULL,
    rid         INTEGER NOT NULL,
    PRIMARY KEY (zone, started_at, id)
) WITHOUT ROWID;
CREATE INDEX p_zone_patrols_rid ON p_zone_patrols (rid);
-- A report's triage status is copied here and into p_reports (from p_triage), so "new reports
-- in this zone and period" is one index range too, not a join tried row by row.
CREATE TABLE p_zone_reports (
    zone         TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    id           BLOB NOT NULL,
    rid          INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'new',
    PRIMARY KEY (zone, occurred_at, id)
) WITHOUT ROWID;
CREATE INDEX p_zone_reports_rid ON p_zone_reports (rid);
-- rid included so the index answers the page on its own (without it SQLite walks the primary
-- key and checks the status row by row).
CREATE INDEX p_zone_reports_status ON p_zone_reports (zone, status, occurred_at, id, rid);
ALTER TABLE p_reports ADD COLUMN triage_status TEXT NOT NULL DEFAULT 'new';
CREATE INDEX p_reports_triage_status ON p_reports (triage_status, occurred_at, id);
CREATE INDEX p_reports_time_id ON p_reports (occurred_at, id);
CREATE INDEX p_patrols_time_id ON p_patrols (started_at, id);
-- The group's overdue times, so a page of cases does not load the group's document to mark
-- overdue ones.
ALTER TABLE p_groups ADD COLUMN due_hours TEXT;
-- Existing patrols have no simplified track yet: derive every projection again.
INSERT INTO local_state (key, value) VALUES ('store.rebuild_projections', '1')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
