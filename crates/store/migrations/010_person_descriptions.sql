-- Reports and alerts may describe a person (behaviour first); person alerts carry the devices
-- that approved exactly their content. Both JSON, NULL when absent. Older documents have neither,
-- so existing rows need no rebuild.
ALTER TABLE p_alerts ADD COLUMN person TEXT;
ALTER TABLE p_alerts ADD COLUMN approved_by TEXT;
ALTER TABLE p_reports ADD COLUMN person TEXT;
-- How a closed alert ended (all_clear, resolved, false_alarm).
ALTER TABLE p_alerts ADD COLUMN outcome TEXT;
