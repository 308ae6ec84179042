//! The drop box: how reports leave a reporter's device and reach the coordinators.
//!
//! Every report, anonymous or named, travels as sealed envelopes through the server's
//! `/v1/drop`: one for the report document's changes and one per photo. Envelopes are sealed when
//! the report is filed and wait in a local queue until their moment (see [`crate::departures`]:
//! random delays, gaps between drops and after authenticated requests, fresh delays after being
//! offline), then each leaves through its own fresh HTTP connection carrying no session, spending
//! one anonymous drop token (see [`crate::drop_tokens`]). Coordinators page through their
//! group's drops, open what was sealed for them, and import the report documents into their own
//! store as received changes (so they are never pushed back through the attributed change log).

use porchlight_crdt::{ChangeProblem, Doc, MAX_CHANGE_BYTES, check_change, read_report};
use porchlight_model::{DeviceId, DocId, DocKind, Timestamp, random_bytes};
use porchlight_sync::Remote;
use porchlight_sync::seal::{SealError, open, seal, sealing_secret};
use porchlight_sync::wire::{self, DropRequest, DropToken, GroupId, MAX_BLOB, blob_hash};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::departures::{DeparturePolicy, Step, next_step, replan};
use crate::drop_tokens::{STATE_LAST_AUTH, STATE_LAST_DROP, random_u64};
use crate::sync::{STATE_SERVER_GROUP, sync_error};
use crate::{Core, CoreError, Result};

pub(crate) const STATE_DROP_CURSOR: &str = "drops.cursor";
const DROP_PAGE: u32 = 200;

/// What one envelope holds, once opened.
#[derive(Debug, Serialize, Deserialize)]
// Externally tagged: an internally tagged enum is buffered by serde in a way that forgets CBOR
// is a binary format, and ids then fail to read back.
#[serde(rename_all = "snake_case")]
pub(crate) enum DropItem {
    /// Changes of one report document: the report itself, or a follow-up to it.
    Report {
        doc: DocId,
        changes: Vec<ByteBuf>,
        /// Present on named reports: the reporter's key and signature over the changes.
        author: Option<Author>,
    },
    /// A photo a report refers to by the BLAKE3 hash of these bytes.
    Photo { jpeg: ByteBuf },
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Author {
    public_key: ByteBuf,
    signature: ByteBuf,
}

/// What became of one envelope a coordinator pulled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Opened {
    Report(DocId),
    Photo,
    /// Sealed for other coordinators only (say, before this one joined).
    NotForMe,
}

/// The bytes a named reporter signs: the document and its changes, length-prefixed.
fn author_message(doc: DocId, changes: &[ByteBuf]) -> Vec<u8> {
    let mut m = b"porchlight/v1 named report".to_vec();
    m.extend_from_slice(doc.as_bytes());
    for c in changes {
        m.extend_from_slice(&u32::try_from(c.len()).unwrap_or(u32::MAX).to_be_bytes());
        m.extend_from_slice(c);
    }
    m
}

impl Core {
    /// A report document's changes as an envelope item, signed when the report is named.
    pub(crate) fn report_item(&self, doc: DocId, changes: Vec<Vec<u8>>, named: bool) -> DropItem {
        let changes: Vec<ByteBuf> = changes.into_iter().map(ByteBuf::from).collect();
        let author = named.then(|| {
            let key = self.identity.signing_key();
            let signature = porchlight_sync::crypto::sign(key, &author_message(doc, &changes));
            Author {
                public_key: ByteBuf::from(key.verifying_key().to_bytes().to_vec()),
                signature: ByteBuf::from(signature.to_vec()),
            }
        });
        DropItem::Report {
            doc,
            changes,
            author,
        }
    }

    /// Seals an item to the group's coordinators as the group document lists them.
    pub(crate) fn seal_item(&self, item: &DropItem) -> Result<Vec<u8>> {
        let recipients = self.seal_recipients()?;
        let message = wire::encode(item).map_err(sync_error)?;
        Ok(seal(&message, &recipients)?)
    }

    /// The coordinators a report may be sealed to: only those the group's root vouches for,
    /// never a key the server or anyone else merely listed.
    pub(crate) fn seal_recipients(&self) -> Result<Vec<[u8; 32]>> {
        match self.roster()? {
            Some(roster) => Ok(roster.seal_keys()),
            // Not on a server: this device coordinates its own data, so it is the only reader.
            None => Ok(self.own_seal_key().into_iter().collect()),
        }
    }

    /// When a newly queued envelope may leave: at once for named reports, after a random delay
    /// of up to `drop_delay_max_secs` for anonymous ones.
    pub(crate) fn drop_time(&self, anonymous: bool) -> Timestamp {
        let max_ms = self.config.drop_delay_max_secs.saturating_mul(1000);
        if !anonymous || max_ms == 0 {
            return Timestamp::now();
        }
        let r = u64::from_le_bytes(random_bytes::<8>());
        Timestamp::now().plus_millis(i64::try_from(r % (max_ms + 1)).unwrap_or(0))
    }

    /// Envelopes still waiting to leave this device.
    pub fn queued_drops(&self) -> Result<u64> {
        Ok(self.store().queued_drops()?)
    }

    /// When the next queued envelope may leave.
    pub fn next_drop_at(&self) -> Result<Option<Timestamp>> {
        Ok(self.store().next_drop_at()?)
    }

    pub(crate) fn departure_policy(&self) -> DeparturePolicy {
        DeparturePolicy::new(self.config.drop_delay_max_secs)
    }

    /// Gives every envelope whose time came while this device could not send a fresh,
    /// independent delay from now (see [`crate::departures::replan`]). Called when the
    /// connection is back, and when the app starts.
    pub fn replan_overdue_drops(&self) -> Result<usize> {
        let now = Timestamp::now().millis();
        let queued: Vec<(i64, i64)> = self
            .store()
            .drop_schedule()?
            .into_iter()
            .map(|(id, at)| (id, at.millis()))
            .collect();
        let planned = replan(now, &queued, self.departure_policy(), random_u64);
        let times: Vec<(i64, Timestamp)> = planned
            .iter()
            .map(|(id, at)| (*id, Timestamp::from_millis(*at)))
            .collect();
        self.store().reschedule_drops(&times)?;
        Ok(times.len())
    }

    /// Sends at most one queued envelope, if its time has come and the timing rules allow (see
    /// [`crate::departures`]), over its own connection with no session, spending one drop token.
    /// Returns how many left (0 or 1). An envelope the rules hold back is moved to when they
    /// allow, so [`Core::next_drop_at`] tells when to call again. [`CoreError::NoDropTokens`]
    /// when an envelope is due but this device has no token left (the next sync fetches more).
    pub async fn send_due_drops(&self) -> Result<usize> {
        let now = Timestamp::now();
        let schedule: Vec<(i64, i64)> = self
            .store()
            .drop_schedule()?
            .into_iter()
            .map(|(id, at)| (id, at.millis()))
            .collect();
        if schedule.is_empty() {
            return Ok(0);
        }
        let (_, group) = self.server_and_group()?;
        let remote = self.home_remote()?;
        let step = next_step(
            now.millis(),
            &schedule,
            self.state_millis(STATE_LAST_AUTH)?,
            self.state_millis(STATE_LAST_DROP)?,
            self.departure_policy(),
            [random_u64(), random_u64()],
        );
        let id = match step {
            Step::Idle => return Ok(0),
            Step::Wait(id, at) => {
                self.store()
                    .reschedule_drops(&[(id, Timestamp::from_millis(at))])?;
                return Ok(0);
            }
            Step::Send(id) => id,
        };
        let Some((first, sealed, _)) = self.store().first_due_drop(now)? else {
            return Ok(0);
        };
        debug_assert_eq!(
            first, id,
            "the store orders due envelopes as next_step does"
        );
        let Some(token) = self.store().drop_token_for(first)? else {
            return Err(CoreError::NoDropTokens);
        };
        let token: DropToken = wire::decode(&token).map_err(sync_error)?;
        let request = DropRequest {
            group,
            sealed,
            token: Some(token),
        };
        // The remote sends it anonymously: over HTTP, a fresh connection with no session.
        match remote.post_drop(&request).await {
            Ok(_) => {}
            // Tokens are never shared, so "already spent" means an earlier attempt with this
            // envelope's token arrived and only its answer was lost.
            Err(porchlight_sync::Error::Http { kind, .. }) if kind == "drop_token_spent" => {}
            Err(e) => return Err(sync_error(e)),
        }
        self.store().remove_drop(first)?;
        self.set_state_millis(STATE_LAST_DROP, now.millis())?;
        Ok(1)
    }

    /// The community server (never a hub: drops go where the tokens are valid) and the group.
    pub(crate) fn server_and_group(&self) -> Result<(String, GroupId)> {
        let group = self
            .store()
            .state(STATE_SERVER_GROUP)?
            .ok_or(CoreError::NotJoined)?;
        Ok((self.home_server()?.url, group.parse()?))
    }

    /// Pulls the group's drops newer than the last seen and opens them (coordinators). Returns
    /// the reports that arrived or changed.
    pub(crate) async fn pull_drops(&self, remote: &dyn Remote) -> Result<Vec<DocId>> {
        let mut cursor: u64 = self
            .store()
            .state(STATE_DROP_CURSOR)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let mut reports = Vec::new();
        loop {
            let page = remote.drops(cursor, DROP_PAGE).await.map_err(sync_error)?;
            for stored in &page.drops {
                // One bad envelope must not hold up the others: it is skipped, never retried.
                if let Ok(Opened::Report(id)) = self.receive_drop(&stored.sealed) {
                    reports.push(id);
                }
            }
            cursor = page.cursor;
            self.store()
                .set_state(STATE_DROP_CURSOR, Some(&cursor.to_string()))?;
            if !page.more {
                break;
            }
        }
        reports.sort();
        reports.dedup();
        Ok(reports)
    }

    /// Opens one envelope with this device's sealing key and keeps what it holds.
    pub(crate) fn receive_drop(&self, sealed: &[u8]) -> Result<Opened> {
        let secret = sealing_secret(self.identity.signing_key());
        let message = match open(sealed, &secret) {
            Ok(m) => m,
            Err(SealError::NotForMe) => return Ok(Opened::NotForMe),
            Err(e) => return Err(e.into()),
        };
        let item: DropItem = wire::decode(&message).map_err(sync_error)?;
        match item {
            DropItem::Photo { jpeg } => {
                if jpeg.len() > MAX_BLOB || !jpeg.starts_with(&[0xFF, 0xD8, 0xFF]) {
                    return Err(bad_drop("a photo in a drop is not a JPEG of allowed size"));
                }
                self.store()
                    .put_blob(&blob_hash(&jpeg), &jpeg, Some(DocKind::Report))?;
                Ok(Opened::Photo)
            }
            DropItem::Report {
                doc,
                changes,
                author,
            } => {
                self.import_report(doc, &changes, author.as_ref())?;
                Ok(Opened::Report(doc))
            }
        }
    }

    /// Checks a report's changes (one author throughout, attribution proven) and stores them as
    /// received changes.
    fn import_report(&self, id: DocId, changes: &[ByteBuf], author: Option<&Author>) -> Result<()> {
        for c in changes {
            check_change(c, None, MAX_CHANGE_BYTES).map_err(|p: ChangeProblem| {
                CoreError::BadDrop(format!("a report change was refused: {p}"))
            })?;
        }
        let raw: Vec<Vec<u8>> = changes.iter().map(|c| c.to_vec()).collect();
        self.store()
            .apply_remote_checked(id, DocKind::Report, &raw, |doc| {
                // The report and every follow-up come from its one reporter.
                if single_writer(doc).is_none() {
                    return Err(bad_drop(
                        "a report's changes come from more than one writer",
                    ));
                }
                if doc.is_readable() {
                    check_author(id, read_report(doc)?.filed_by, changes, author)?;
                }
                Ok(())
            })?;
        Ok(())
    }
}

/// The one actor that wrote every change of `doc`, or `None` if there are several.
fn single_writer(doc: &mut Doc) -> Option<Vec<u8>> {
    let mut actors = doc
        .all_changes()
        .into_iter()
        .map(|c| check_change(&c, None, MAX_CHANGE_BYTES).map(|c| c.actor));
    let first = actors.next()?.ok()?;
    actors
        .all(|a| a.as_ref().is_ok_and(|a| *a == first))
        .then_some(first)
}

/// A report naming its author must carry that author's signature; an anonymous one must not
/// carry any.
fn check_author(
    id: DocId,
    filed_by: Option<DeviceId>,
    changes: &[ByteBuf],
    author: Option<&Author>,
) -> Result<()> {
    let Some(claimed) = filed_by else {
        return Ok(());
    };
    let Some(author) = author else {
        return Err(bad_drop("a report names its author but is not signed"));
    };
    let (Ok(public_key), Ok(signature)) = (
        <[u8; 32]>::try_from(author.public_key.as_slice()),
        <[u8; 64]>::try_from(author.signature.as_slice()),
    ) else {
        return Err(bad_drop("a report's signature is malformed"));
    };
    let signed =
        porchlight_sync::crypto::verify(&public_key, &author_message(id, changes), &signature);
    if !signed || porchlight_sync::device_id_from_public_key(&public_key) != claimed {
        return Err(bad_drop(
            "a report's signature does not match the author it names",
        ));
    }
    Ok(())
}

fn bad_drop(reason: &str) -> CoreError {
    CoreError::BadDrop(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use porchlight_crdt::{ReplyKeys, add_followup, create_report, report_actor};
    use porchlight_model::{Category, LocationPrecision, NewReport};

    use super::*;

    /// A device with no group: it coordinates its own data, so it seals reports for itself.
    fn core() -> (tempfile::TempDir, Core) {
        let dir = tempfile::tempdir().unwrap();
        let core = Core::open(dir.path()).unwrap();
        (dir, core)
    }

    fn new_report() -> NewReport {
        NewReport {
            category: Category::Theft,
            description: "Bike taken".into(),
            occurred_at: Timestamp::now(),
            location: None,
            precision: LocationPrecision::Exact,
            photos: vec![],
            person: None,
        }
    }

    fn report_changes(filed_by: Option<DeviceId>) -> (DocId, [u8; 32], Doc, Vec<u8>) {
        let secret = random_bytes::<32>();
        let id = DocId::random();
        let (doc, written) = create_report(
            id,
            &report_actor(&secret),
            filed_by,
            &new_report(),
            &ReplyKeys::from_secret(&secret),
        )
        .unwrap();
        (id, secret, doc, written.bytes)
    }

    #[test]
    fn a_report_naming_an_author_without_their_signature_is_refused() {
        let (_dir, core) = core();
        let someone = DeviceId::from_bytes([7; 16]);
        let (id, _, _, change) = report_changes(Some(someone));
        // Unsigned, and signed by this device while naming another: both refused.
        for named in [false, true] {
            let item = core.report_item(id, vec![change.clone()], named);
            let sealed = core.seal_item(&item).unwrap();
            assert!(matches!(
                core.receive_drop(&sealed),
                Err(CoreError::BadDrop(_))
            ));
        }
        assert!(core.reports(None).unwrap().is_empty(), "nothing was stored");
    }

    #[test]
    fn a_follow_up_by_another_writer_is_refused() {
        let (_dir, core) = core();
        let (id, _, _, change) = report_changes(None);
        let item = core.report_item(id, vec![change.clone()], false);
        assert_eq!(
            core.receive_drop(&core.seal_item(&item).unwrap()).unwrap(),
            Opened::Report(id)
        );
        // Someone who learned the report id writes a "follow-up" under another actor.
        let mut forged = Doc::load(id, DocKind::Report, &[9; 16], &[], &[change]).unwrap();
        let written =
            add_followup(&mut forged, "not the reporter", Timestamp::now(), true).unwrap();
        let item = core.report_item(id, vec![written.bytes], false);
        let sealed = core.seal_item(&item).unwrap();
        assert!(matches!(
            core.receive_drop(&sealed),
            Err(CoreError::BadDrop(_))
        ));
        assert!(core.report(id).unwrap().report.followups.is_empty());
    }

    #[test]
    fn envelopes_for_others_and_damaged_ones_keep_nothing() {
        let (_dir, me) = core();
        let (_other_dir, other) = core();
        let (id, _, _, change) = report_changes(None);
        let for_other = other
            .seal_item(&other.report_item(id, vec![change], false))
            .unwrap();
        assert_eq!(me.receive_drop(&for_other).unwrap(), Opened::NotForMe);
        let mut damaged = for_other.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 0xFF;
        assert!(other.receive_drop(&damaged).is_err());
        assert!(other.receive_drop(b"not an envelope").is_err());
        assert!(me.reports(None).unwrap().is_empty() && other.reports(None).unwrap().is_empty());
    }

    #[test]
    fn a_photo_in_a_drop_must_be_a_jpeg() {
        let (_dir, core) = core();
        let item = DropItem::Photo {
            jpeg: ByteBuf::from(b"GIF89a not a jpeg".to_vec()),
        };
        let sealed = core.seal_item(&item).unwrap();
        assert!(matches!(
            core.receive_drop(&sealed),
            Err(CoreError::BadDrop(_))
        ));
    }
}
