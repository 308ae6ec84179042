-- Case handling: who a report is assigned to, its priority, how it ended, and the case it was
-- merged into as a duplicate. Columns of their own so the inbox filters on them with an index.
-- No document written before this version holds these fields, so existing rows need no rebuild:
-- the defaults are what those documents mean.
ALTER TABLE p_triage ADD COLUMN assignee BLOB;
ALTER TABLE p_triage ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';
ALTER TABLE p_triage ADD COLUMN outcome TEXT;
ALTER TABLE p_triage ADD COLUMN merged_into BLOB;
CREATE INDEX p_triage_status ON p_triage (status);
CREATE INDEX p_triage_assignee ON p_triage (assignee) WHERE assignee IS NOT NULL;
CREATE INDEX p_triage_priority ON p_triage (priority);
CREATE INDEX p_triage_merged_into ON p_triage (merged_into) WHERE merged_into IS NOT NULL;
