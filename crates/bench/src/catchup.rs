//! P1: a device comes back after working offline (500 local changes) while the server gained
//! 1,000 changes from others (500 edits and 500 new records). Measured on the wire through the
//! proxy, against the raw bytes of the changes that were missing on either side, against
//! Automerge's own sync protocol run document by document over the same states, and against
//! sending whole documents.

use std::collections::BTreeSet;
use std::path::Path;

use automerge::Automerge;
use automerge::sync::{State, SyncDoc};
use porchlight_core::{Config, Core};
use porchlight_model::DocId;
use porchlight_store::Store;

use crate::error::Result;
use crate::proxy::{Proxy, Traffic};
use crate::workload::{Rng, new_alert};

/// How the catch-up went.
#[derive(Clone, Debug, Default)]
pub struct CatchUp {
    pub wire: Traffic,
    /// `/v1/sync` requests of the catch-up.
    pub round_trips: usize,
    /// Raw bytes of the changes the device pushed plus those it lacked.
    pub raw_change_bytes: u64,
    /// Automerge's sync protocol, one exchange per document, both directions.
    pub automerge_sync_bytes: u64,
    /// The longest per-document Automerge exchange (messages in turn).
    pub automerge_rounds: usize,
    /// Every touched document sent whole (compressed), to the side that lacked changes.
    pub whole_document_bytes: u64,
    pub changes_pushed: u64,
    pub changes_missing: u64,
}

const OFFLINE_NEW: usize = 250;
const SERVER_EDITS: usize = 500;
const SERVER_NEW: usize = 500;

/// `coord` holds `coord_alerts` (its own) and syncs straight with the server; the device in
/// `device_dir` is a volunteer that joined through `proxy` and holds everything.
pub async fn run(
    coord: &Core,
    coord_dir: &Path,
    coord_alerts: &[DocId],
    device_dir: &Path,
    proxy: &Proxy,
) -> Result<CatchUp> {
    let device = Core::open_with(device_dir, Config::default())?;
    let mut rng = Rng(0x00c0_ffee);
    // Offline on the device: 250 alerts issued and cancelled again (500 changes).
    let mut device_docs = Vec::new();
    for i in 0..OFFLINE_NEW {
        let id = device.issue_alert(new_alert(&mut rng, 1_000_000 + i))?.id;
        device.cancel_alert(id)?;
        device_docs.push(id);
    }
    // Meanwhile on the server, from the coordinator: 500 edits and 500 new records.
    let mut coord_docs = Vec::new();
    for id in coord_alerts.iter().take(SERVER_EDITS) {
        coord.cancel_alert(*id)?;
        coord_docs.push(*id);
    }
    for i in 0..SERVER_NEW {
        coord_docs.push(coord.issue_alert(new_alert(&mut rng, 2_000_000 + i))?.id);
    }
    let (coord_raw, coord_changes) = outbox_bytes(coord_dir)?;
    coord.sync_once().await?;
    let (device_raw, device_changes) = outbox_bytes(device_dir)?;

    // The references, from the states both sides hold now.
    let touched: BTreeSet<DocId> = device_docs.iter().chain(&coord_docs).copied().collect();
    let (automerge_sync_bytes, automerge_rounds) = automerge_sync(coord_dir, device_dir, &touched)?;
    let whole_document_bytes =
        whole_documents(coord_dir, &coord_docs)? + whole_documents(device_dir, &device_docs)?;

    let _ = proxy.take();
    let report = device.sync_once().await?;
    let wire = proxy.take();
    device.shutdown();
    Ok(CatchUp {
        wire,
        round_trips: report.round_trips,
        raw_change_bytes: coord_raw + device_raw,
        automerge_sync_bytes,
        automerge_rounds,
        whole_document_bytes,
        changes_pushed: device_changes,
        changes_missing: coord_changes,
    })
}

/// Bytes and count of the changes waiting in a device's outbox.
fn outbox_bytes(dir: &Path) -> Result<(u64, u64)> {
    let store = Store::open(&dir.join("porchlight.db"))?;
    let outbox = store.outbox(u32::MAX)?;
    Ok((
        outbox.iter().map(|e| e.bytes.len() as u64).sum(),
        outbox.len() as u64,
    ))
}

fn whole_documents(dir: &Path, ids: &[DocId]) -> Result<u64> {
    let store = Store::open(&dir.join("porchlight.db"))?;
    let mut total = 0;
    for id in ids {
        if let Some(mut doc) = store.load(*id)? {
            total += doc.save().len() as u64;
        }
    }
    Ok(total)
}

/// Runs Automerge's sync protocol between the two stores' copies of each document until both
/// sides have nothing to send, adding up the encoded messages.
fn automerge_sync(a: &Path, b: &Path, ids: &BTreeSet<DocId>) -> Result<(u64, usize)> {
    let a = Store::open(&a.join("porchlight.db"))?;
    let b = Store::open(&b.join("porchlight.db"))?;
    let load = |store: &Store, id: DocId| -> Result<Automerge> {
        match store.load(id)? {
            Some(mut doc) => Ok(Automerge::load(&doc.save())?),
            None => Ok(Automerge::new()),
        }
    };
    let (mut bytes, mut longest) = (0u64, 0usize);
    for id in ids {
        let (mut x, mut y) = (load(&a, *id)?, load(&b, *id)?);
        let (mut sx, mut sy) = (State::new(), State::new());
        let mut messages = 0;
        loop {
            let mut moved = false;
            if let Some(m) = x.generate_sync_message(&mut sx) {
                bytes += m.clone().encode().len() as u64;
                y.receive_sync_message(&mut sy, m)?;
                (moved, messages) = (true, messages + 1);
            }
            if let Some(m) = y.generate_sync_message(&mut sy) {
                bytes += m.clone().encode().len() as u64;
                x.receive_sync_message(&mut sx, m)?;
                (moved, messages) = (true, messages + 1);
            }
            if !moved {
                break;
            }
        }
        longest = longest.max(messages);
    }
    Ok((bytes, longest))
}
