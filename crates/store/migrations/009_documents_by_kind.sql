-- The sync path looks up the group documents on every pulled page: find them without a scan.
CREATE INDEX documents_by_kind ON documents(kind);
