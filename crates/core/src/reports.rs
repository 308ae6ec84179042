//! Filing reports (sealed for coordinators, anonymous by choice), the reporter's receipts and
//! follow-ups, and triage with the status published back to the reporter.

use porchlight_crdt::{
    Doc, ReplyKeys, add_followup, create_report, new_triage, read_triage, report_actor,
    report_reply, set_triage, triage_id,
};
use porchlight_model::{
    DocId, DocKind, NewReport, Role, Timestamp, Triage, TriageStatus, ValidationError, random_bytes,
};
use porchlight_store::{Receipt, ReportEntry, attach_blobs_in, insert_receipt_in, queue_drop_in};
use porchlight_sync::AnonymousClient;
use porchlight_sync::seal::{open_reply, seal_reply};
use porchlight_sync::wire;
use serde::{Deserialize, Serialize};

use crate::drops::DropItem;
use crate::sync::sync_error;
use crate::{Core, Result};

/// What a coordinator publishes back to a reporter, sealed under the report's reply key.
#[derive(Debug, Serialize, Deserialize)]
struct PublishedStatus {
    status: TriageStatus,
    note: Option<String>,
    at: i64,
}

impl Core {
    /// Files a report. It is sealed for the group's coordinators and queued for the drop box;
    /// an anonymous one carries nothing that identifies this device and leaves after a random
    /// delay. The photos must have been taken in with [`Core::add_photo`] first.
    pub fn file_report(&self, report: &NewReport, anonymous: bool) -> Result<Receipt> {
        let role = self.require(|r| r.can_write(DocKind::Report), "file reports")?;
        let report = report.clone().validate()?;
        let photos = self.photo_bytes(&report.photos)?;
        let secret = random_bytes::<32>();
        let id = DocId::random();
        let filed_by = (!anonymous).then(|| self.device());
        let reply = ReplyKeys::from_secret(&secret);
        let (mut doc, written) =
            create_report(id, &report_actor(&secret), filed_by, &report, &reply)?;

        // Each photo is its own envelope, so every envelope stays within one size class.
        let mut items: Vec<DropItem> = photos
            .into_iter()
            .map(|jpeg| DropItem::Photo { jpeg: jpeg.into() })
            .collect();
        items.push(self.report_item(id, vec![written.bytes], !anonymous));
        let sealed = items
            .iter()
            .map(|item| self.seal_item(item))
            .collect::<Result<Vec<_>>>()?;

        let receipt = Receipt {
            report: id,
            anonymous,
            filed_at: report.occurred_at,
            category: report.category,
            description: report.description.clone(),
            status: None,
            status_note: None,
            status_at: None,
            checked_at: None,
            secret,
            doc: doc.save(),
        };
        let times: Vec<Timestamp> = sealed.iter().map(|_| self.drop_time(anonymous)).collect();
        self.store().with_transaction(|tx| {
            insert_receipt_in(tx, &receipt)?;
            attach_blobs_in(tx, &report.photos, DocKind::Report)?;
            for (envelope, at) in sealed.iter().zip(&times) {
                queue_drop_in(tx, envelope, *at)?;
            }
            Ok(())
        })?;
        if role == Role::Coordinator {
            // A coordinator reads its own report at once, as the others will when it arrives.
            for envelope in &sealed {
                self.receive_drop(envelope)?;
            }
        }
        self.drop_queued.notify_one();
        Ok(receipt)
    }

    /// Adds a note to a report this device filed, as the same (possibly anonymous) author.
    pub fn follow_up(&self, report: DocId, text: &str) -> Result<Receipt> {
        let receipt = self.store().receipt(report)?;
        let actor = report_actor(&receipt.secret);
        let mut doc = Doc::load(report, DocKind::Report, &actor, &receipt.doc, &[])?;
        let written = add_followup(&mut doc, text, Timestamp::now(), receipt.anonymous)?;
        let item = self.report_item(report, vec![written.bytes], !receipt.anonymous);
        let sealed = self.seal_item(&item)?;
        let at = self.drop_time(receipt.anonymous);
        self.store().follow_up(report, &doc.save(), &sealed, at)?;
        if self.role()? == Role::Coordinator {
            self.receive_drop(&sealed)?;
        }
        self.drop_queued.notify_one();
        Ok(self.store().receipt(report)?)
    }

    /// The reports this device filed, with the last status seen.
    pub fn receipts(&self) -> Result<Vec<Receipt>> {
        Ok(self.store().receipts()?)
    }

    /// Asks the server, anonymously and one receipt at a time, for statuses coordinators
    /// published. Returns how many receipts have a status.
    pub async fn refresh_receipts(&self) -> Result<usize> {
        let receipts = self.store().receipts()?;
        if receipts.is_empty() {
            return Ok(0);
        }
        let (server, _) = self.server_and_group()?;
        let pin = self.server_pin()?;
        let mut with_status = 0;
        for receipt in receipts {
            let reply = ReplyKeys::from_secret(&receipt.secret);
            let found = AnonymousClient::reply_pinned(&server, pin.as_ref(), &reply.id_hex())
                .await
                .map_err(sync_error)?;
            let published = found
                .and_then(|sealed| open_reply(&reply.key, &sealed).ok())
                .and_then(|plain| wire::decode::<PublishedStatus>(&plain).ok());
            let now = Timestamp::now();
            let mut store = self.store();
            match &published {
                Some(p) => {
                    with_status += 1;
                    store.set_receipt_status(
                        receipt.report,
                        Some((
                            p.status.as_str(),
                            p.note.as_deref(),
                            Timestamp::from_millis(p.at),
                        )),
                        now,
                    )?;
                }
                None => store.set_receipt_status(receipt.report, None, now)?,
            }
        }
        Ok(with_status)
    }

    pub fn reports(&self, status: Option<TriageStatus>) -> Result<Vec<ReportEntry>> {
        self.require(|r| r.can_read(DocKind::Report), "read reports")?;
        Ok(self.store().reports(status)?)
    }

    /// One report with its triage (coordinators).
    pub fn report(&self, id: DocId) -> Result<ReportEntry> {
        self.require(|r| r.can_read(DocKind::Report), "read reports")?;
        Ok(self.store().report(id)?)
    }

    /// Sets a report's triage status, optionally with a note. With `publish`, the status (and
    /// the note) is also posted for the reporter to see through their receipt, on next sync.
    pub fn triage(
        &self,
        report: DocId,
        status: TriageStatus,
        note: Option<&str>,
        publish: bool,
    ) -> Result<Triage> {
        self.require(|r| r == Role::Coordinator, "triage reports")?;
        let device = self.device();
        let mut store = self.store();
        let report_doc = store.load_kind(report, DocKind::Report)?;
        let mut doc = match store.load(triage_id(report))? {
            Some(doc) => doc,
            None => new_triage(report, device)?,
        };
        let now = Timestamp::now();
        store.write(
            &mut doc,
            |doc| set_triage(doc, device, status, note, now),
            |_, _| Ok(()),
        )?;
        if publish {
            let reply = report_reply(&report_doc).ok_or_else(|| ValidationError::Invalid {
                field: "publish",
                reason: "this report has no way back to its reporter (filed by an old version)"
                    .into(),
            })?;
            let message = wire::encode(&PublishedStatus {
                status,
                note: note.map(str::to_owned),
                at: now.millis(),
            })
            .map_err(sync_error)?;
            store.queue_reply(&reply.id_hex(), &seal_reply(&reply.key, &message)?)?;
        }
        drop(store);
        self.changed_locally();
        Ok(read_triage(&doc)?)
    }
}
