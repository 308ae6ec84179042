//! Filing reports (sealed for coordinators, anonymous by choice), the reporter's receipts and
//! follow-ups, and triage with the status published back to the reporter.

use porchlight_crdt::{
    Doc, ReplyKeys, add_followup, create_report, new_triage, read_report, read_triage,
    report_actor, report_reply, set_case_status, triage_id,
};
use porchlight_model::{
    CaseOutcome, DocId, DocKind, NewReport, Role, Timestamp, Triage, TriageStatus, ValidationError,
    ends_case, random_bytes,
};
use porchlight_store::{
    Forgotten, Receipt, ReportEntry, ReportQuery, attach_blobs_in, insert_receipt_in,
    queue_drop_in, queue_reply_in, set_state_in,
};
use porchlight_sync::AnonymousClient;
use porchlight_sync::seal::{open_reply, reply_id_at, seal, seal_reply};
use porchlight_sync::wire::{self, DropRequest, GroupId, TokenCode};
use serde::{Deserialize, Serialize};

use crate::drop_tokens::random_u64;
use crate::drops::DropItem;
use crate::sync::{STATE_SERVER_GROUP, sync_error};
use crate::{Core, CoreError, Result};

/// Local state key prefix: how many statuses this device published for a report.
const REPLY_COUNTER: &str = "reply.published.";

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

    /// "Delete my reports from this device": removes every receipt (the words, the status, the
    /// key that links this device to each report) and the photos they name, so someone who later
    /// holds this phone finds no trace of what was reported. Envelopes that have not left yet
    /// are refused unless `include_unsent` (then they never leave). A coordinator keeps the photos:
    /// its own reports are also the group's records. Reports already sent stay with the
    /// coordinators; this is about this device only.
    pub fn forget_my_reports(&self, include_unsent: bool) -> Result<Forgotten> {
        // Asked before the store is locked: `role` reads the store too.
        let keeps_photos = self.role().is_ok_and(|r| r == Role::Coordinator);
        let mut store = self.store();
        let unsent = store.queued_drops()?;
        if unsent > 0 && !include_unsent {
            return Err(CoreError::UnsentReports { count: unsent });
        }
        let mut photos = Vec::new();
        if !keeps_photos {
            for receipt in store.receipts()? {
                let actor = report_actor(&receipt.secret);
                // A receipt whose document cannot be read still goes; only its photos are unknown.
                if let Ok(doc) =
                    Doc::load(receipt.report, DocKind::Report, &actor, &receipt.doc, &[])
                    && let Ok(report) = read_report(&doc)
                {
                    photos.extend(report.photos);
                }
            }
        }
        Ok(store.forget_my_reports(&photos, include_unsent)?)
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
        Ok(self.reader().receipts()?)
    }

    /// Asks the server, anonymously, for the next published status of one receipt picked at
    /// random (and, when one was there, for the one after it, a few times). Returns how many
    /// receipts have a status. Each question names one rotating reply id only (see
    /// [`porchlight_sync::seal::reply_id_at`]), so the server cannot tie two questions, or two
    /// statuses, to one reporter.
    pub async fn refresh_receipts(&self) -> Result<usize> {
        self.check_one_receipt().await?;
        Ok(self
            .store()
            .receipts()?
            .iter()
            .filter(|r| r.status.is_some())
            .count())
    }

    /// One receipt check (see [`Core::refresh_receipts`]); the background loop calls it at
    /// random times. Returns whether a new status arrived.
    pub async fn check_one_receipt(&self) -> Result<bool> {
        let receipts = self.store().receipts()?;
        if receipts.is_empty() {
            return Ok(false);
        }
        let (_, group) = self.server_and_group()?;
        let remote = self.home_remote()?;
        let pick = (random_u64() % receipts.len() as u64) as usize;
        let receipt = &receipts[pick];
        let reply = ReplyKeys::from_secret(&receipt.secret);
        let mut next = self.store().reply_next(receipt.report)?;
        let mut found_any = false;
        // A few statuses may have been published since the last check; each is asked for in turn.
        for _ in 0..4 {
            let id = reply_id_at(&reply.key, group.as_bytes(), next);
            // Anonymous: over HTTP, a fresh connection with no session.
            let found = remote.get_reply(group, &id).await.map_err(sync_error)?;
            let now = Timestamp::now();
            let published = found
                .and_then(|sealed| open_reply(&reply.key, &sealed).ok())
                .and_then(|plain| wire::decode::<PublishedStatus>(&plain).ok());
            let mut store = self.store();
            let Some(p) = published else {
                store.set_receipt_status(receipt.report, None, now)?;
                break;
            };
            found_any = true;
            next += 1;
            store.set_receipt_status(
                receipt.report,
                Some((
                    p.status.as_str(),
                    p.note.as_deref(),
                    Timestamp::from_millis(p.at),
                )),
                now,
            )?;
            store.set_reply_next(receipt.report, next)?;
        }
        Ok(found_any)
    }

    /// Files an anonymous report as someone who is not a member, with a token code from a
    /// coordinator's printed sheet: sealed for the coordinators the code names and dropped at
    /// once, paid for by the code's token. Nothing is kept on this device (no receipt: without
    /// membership there is no way to ask for the status later). Returns the report's id.
    pub async fn file_with_token_code(code: &str, report: &NewReport) -> Result<DocId> {
        let code = TokenCode::parse(code).map_err(sync_error)?;
        let pin = code.fingerprint().map_err(sync_error)?;
        let report = report.clone().validate()?;
        if !report.photos.is_empty() {
            return Err(ValidationError::Invalid {
                field: "photos",
                reason: "a report filed with a token code carries no photos".into(),
            }
            .into());
        }
        let secret = random_bytes::<32>();
        let id = DocId::random();
        let reply = ReplyKeys::from_secret(&secret);
        let (_, written) = create_report(id, &report_actor(&secret), None, &report, &reply)?;
        let item = DropItem::Report {
            doc: id,
            changes: vec![written.bytes.into()],
            author: None,
        };
        let keys: Vec<[u8; 32]> = code
            .seal_keys
            .iter()
            .filter_map(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
            .collect();
        let sealed = seal(&wire::encode(&item).map_err(sync_error)?, &keys)?;
        let request = DropRequest {
            group: code.group,
            sealed,
            token: Some(code.token),
        };
        AnonymousClient::drop_pinned(&code.server, pin.as_ref(), &request)
            .await
            .map_err(sync_error)?;
        Ok(id)
    }

    /// Every report (merged duplicates included), newest first, optionally with one status.
    pub fn reports(&self, status: Option<TriageStatus>) -> Result<Vec<ReportEntry>> {
        self.require(|r| r.can_read(DocKind::Report), "read reports")?;
        let reader = self.reader();
        let q = ReportQuery {
            status,
            now: Some(Timestamp::now()),
            due: crate::cases::due_hours_of(&reader)?,
            ..ReportQuery::default()
        };
        Ok(reader.reports(&q)?)
    }

    /// One report with its triage (coordinators).
    pub fn report(&self, id: DocId) -> Result<ReportEntry> {
        self.require(|r| r.can_read(DocKind::Report), "read reports")?;
        let reader = self.reader();
        let due = crate::cases::due_hours_of(&reader)?;
        Ok(reader.report(id, Timestamp::now(), due)?)
    }

    /// Sets a report's triage status, optionally with a note. With `publish`, the status (and
    /// the note) is also posted for the reporter to see through their receipt, on next sync.
    /// Closing or dismissing needs an outcome: use [`Core::triage_with_outcome`].
    pub fn triage(
        &self,
        report: DocId,
        status: TriageStatus,
        note: Option<&str>,
        publish: bool,
    ) -> Result<Triage> {
        self.triage_with_outcome(report, status, None, note, publish)
    }

    /// Like [`Core::triage`], with the outcome a closed or dismissed case requires (refused
    /// with [`CoreError::OutcomeRequired`] without one, and refused on any other status).
    pub fn triage_with_outcome(
        &self,
        report: DocId,
        status: TriageStatus,
        outcome: Option<CaseOutcome>,
        note: Option<&str>,
        publish: bool,
    ) -> Result<Triage> {
        self.require(|r| r == Role::Coordinator, "triage reports")?;
        if ends_case(status) && outcome.is_none() {
            return Err(CoreError::OutcomeRequired { status });
        }
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
            |doc| set_case_status(doc, device, status, outcome, note, now),
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
            // Each status goes under the next rotating id, which only the reporter can compute.
            let group = store
                .state(STATE_SERVER_GROUP)?
                .and_then(|g| g.parse::<GroupId>().ok())
                .map_or([0; 16], |g| *g.as_bytes());
            let counter = format!("{REPLY_COUNTER}{report}");
            let n: u64 = store
                .state(&counter)?
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let id = reply_id_at(&reply.key, &group, n);
            let sealed = seal_reply(&reply.key, &message)?;
            store.with_transaction(|tx| {
                set_state_in(tx, &counter, Some(&(n + 1).to_string()))?;
                queue_reply_in(tx, &id, &sealed)
            })?;
        }
        drop(store);
        self.changed_locally();
        Ok(read_triage(&doc)?)
    }
}
