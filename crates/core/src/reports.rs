//! Filing reports and triaging them.

use porchlight_crdt::{create_report, new_triage, read_report, read_triage, set_triage, triage_id};
use porchlight_model::{DocId, DocKind, NewReport, Report, Role, Timestamp, Triage, TriageStatus};
use porchlight_store::ReportEntry;

use crate::{Core, Result};

impl Core {
    /// Files a report under this device's name. (Anonymous reports, sealed and sent through the
    /// drop box, come with the anonymity work.)
    pub fn file_report(&self, report: &NewReport) -> Result<Report> {
        self.require(|r| r.can_write(DocKind::Report), "file reports")?;
        let device = self.device();
        let doc = self.store().create(
            |actor| create_report(DocId::random(), actor, Some(device), report),
            |_, _| Ok(()),
        )?;
        self.changed_locally();
        Ok(read_report(&doc)?)
    }

    pub fn reports(&self, status: Option<TriageStatus>) -> Result<Vec<ReportEntry>> {
        self.require(|r| r.can_read(DocKind::Report), "read reports")?;
        Ok(self.store().reports(status)?)
    }

    /// Sets a report's triage status, optionally with a note.
    pub fn triage(
        &self,
        report: DocId,
        status: TriageStatus,
        note: Option<&str>,
    ) -> Result<Triage> {
        self.require(|r| r == Role::Coordinator, "triage reports")?;
        let device = self.device();
        let mut store = self.store();
        store.load_kind(report, DocKind::Report)?;
        let mut doc = match store.load(triage_id(report))? {
            Some(doc) => doc,
            None => new_triage(report, device)?,
        };
        store.write(
            &mut doc,
            |doc| set_triage(doc, device, status, note, Timestamp::now()),
            |_, _| Ok(()),
        )?;
        drop(store);
        self.changed_locally();
        Ok(read_triage(&doc)?)
    }
}
