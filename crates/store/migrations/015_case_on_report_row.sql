-- A report's case (the projection of its triage document) is copied onto the report's own row,
-- so a page of cases reads one row per case instead of joining the triage table row by row.
-- p_triage stays the record of each triage document (it can arrive before its report); these
-- columns are a copy, NULL while a report has no triage (then its priority is "normal" and it
-- has no notes). triage_status (migration 014) is the status's copy.
ALTER TABLE p_reports ADD COLUMN case_updated_at INTEGER;
ALTER TABLE p_reports ADD COLUMN case_first_at INTEGER;
ALTER TABLE p_reports ADD COLUMN case_notes TEXT; -- JSON
ALTER TABLE p_reports ADD COLUMN case_assignee BLOB;
ALTER TABLE p_reports ADD COLUMN case_priority TEXT;
ALTER TABLE p_reports ADD COLUMN case_outcome TEXT;
ALTER TABLE p_reports ADD COLUMN case_merged_into BLOB;
UPDATE p_reports
SET (case_updated_at, case_first_at, case_notes, case_assignee, case_priority, case_outcome,
     case_merged_into) =
    (SELECT updated_at, first_at, notes, assignee, priority, outcome, merged_into
     FROM p_triage t WHERE t.report = p_reports.id)
WHERE id IN (SELECT report FROM p_triage);
