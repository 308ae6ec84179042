//! Who this device believes is in its group, and what it accepts from the network because of it.
//!
//! Trust starts at the group's root key, pinned on this device when it made the group or joined
//! with an invite code. The members this device believes are those whose certificates in the
//! group document chain back to that key ([`Roster`]); the server's member list is only a hint
//! that tells coordinators whom to certify, and they certify a newcomer only when the newcomer's
//! join evidence proves it held a genuine invite's secret.
//!
//! Every pulled change is checked before it is applied: its author (its actor) must be certified,
//! the signature must be the author's, and the author's role must allow writing that kind. A
//! change whose author is not certified *yet* is held and tried again when the certificates
//! change; anything forged or outside the author's role is refused for good.

use std::collections::BTreeMap;
use std::time::Duration;

use porchlight_crdt::{
    Doc, MAX_CHANGE_BYTES, certify_member, check_change, read_membership, remove_member,
};
use porchlight_model::{DeviceId, DocId, DocKind, Role, Timestamp, hex, random_bytes, unhex};
use porchlight_store::{DocChanges, HeldChange, OutboxEntry};
use porchlight_sync::wire::{self, Member, SignedChange};
use porchlight_sync::{GroupId, InviteCode, MemberCert, Remote, Revocation, Roster, SignedInvite};

use crate::parallel::par_map;
use crate::sync::{STATE_SERVER_GROUP, sync_error};
use crate::{Core, CoreError, Result};

/// The group's root key (hex), pinned when this device made the group or joined it.
pub(crate) const STATE_ROOT: &str = "sync.root";

/// Invites made while the community server was out of reach, so registered with the hub alone:
/// one per line, hex of their wire encoding, until the community server has them too (else a
/// newcomer who reaches the community server first could not use one).
const STATE_UNREGISTERED_INVITES: &str = "invites.unregistered";

/// Pulled changes sorted by what this device makes of them.
#[derive(Debug, Default)]
pub(crate) struct Verified {
    pub accepted: Vec<DocChanges>,
    /// Authors not certified yet: try again when the certificates change.
    pub held: Vec<HeldChange>,
    /// Forged, malformed, or outside the author's role: never applied.
    pub refused: Vec<(DocId, [u8; 32], String)>,
}

/// One change to judge.
struct Candidate {
    doc: DocId,
    kind: DocKind,
    bytes: Vec<u8>,
    signature: [u8; 64],
}

impl Core {
    /// The group this device syncs with on its server, and the root key it pinned.
    pub(crate) fn group_anchor(&self) -> Result<(GroupId, [u8; 32])> {
        let store = self.store();
        let group: GroupId = store
            .state(STATE_SERVER_GROUP)?
            .ok_or(CoreError::NotJoined)?
            .parse()?;
        let root = store
            .state(STATE_ROOT)?
            .and_then(|h| unhex(&h))
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or(CoreError::NoGroupRoot)?;
        Ok((group, root))
    }

    /// The members this device trusts: those the group's root vouches for. `None` before the
    /// device belongs to a group on a server.
    pub fn roster(&self) -> Result<Option<Roster>> {
        let (group, root) = match self.group_anchor() {
            Ok(anchor) => anchor,
            Err(CoreError::NotJoined) => return Ok(None),
            Err(e) => return Err(e),
        };
        let docs = self.group_docs(&[])?;
        Ok(Some(roster_of(group, root, docs.values())))
    }

    /// This device's own certificate as the group's founder.
    pub(crate) fn root_cert(&self, group: GroupId) -> Vec<u8> {
        let key = self.identity.signing_key();
        MemberCert::issue(
            key,
            group,
            key.verifying_key().to_bytes(),
            Role::Coordinator,
            Timestamp::now().millis(),
        )
        .to_bytes()
    }

    /// Makes and signs an invite, registers it on the server, and returns the code to hand out.
    pub(crate) async fn make_invite(
        &self,
        role: Role,
        uses: u32,
        valid_for: Duration,
    ) -> Result<InviteCode> {
        let (group, root) = self.group_anchor()?;
        let home = self.home_server()?;
        let hub = self.group_hub()?;
        // A group served from this computer: this device reaches its server over loopback,
        // members at the hub's address on the local network, which is the group's server
        // itself (sync/standalone.rs). The invite is registered once, with that server.
        let standalone = self.serves_group()?;
        let (server, pin) = match (&hub, standalone) {
            (Some(h), true) => (h.url.clone(), h.pin),
            _ => (home.url, home.pin),
        };
        let (invite, secret) = (random_bytes::<16>(), random_bytes::<16>());
        let expires_at = Timestamp::now().millis() / 1000
            + i64::try_from(valid_for.as_secs()).unwrap_or(i64::MAX / 2);
        let signed = SignedInvite::issue(
            self.identity.signing_key(),
            group,
            invite,
            &secret,
            role,
            uses,
            expires_at,
        );
        // Newcomers join on the community server, or at the hub when they cannot reach it (a
        // hall without internet), so the invite is registered with both; one is enough. The
        // hub forwards such joins to the community server later (docs/HUB.md).
        let home_remote = self.home_remote()?;
        let at_home = home_remote.create_invite(signed.clone());
        let at_hub = async {
            let Some(h) = hub.as_ref().filter(|_| !standalone) else {
                return Ok(None);
            };
            let remote = self.remote_on(h, &*self.connect)?;
            remote
                .create_invite(signed.clone())
                .await
                .map(Some)
                .map_err(sync_error)
        };
        let (at_home, at_hub) = tokio::join!(at_home, at_hub);
        match at_home {
            Ok(_) => {}
            Err(e) if e.is_unreachable() && matches!(at_hub, Ok(Some(_))) => {
                self.remember_unregistered_invite(&signed)?;
            }
            Err(e) => return Err(sync_error(e)),
        }
        Ok(InviteCode {
            server,
            group,
            root,
            invite,
            secret,
            role,
            // The newcomer's device pins the certificate this device pinned.
            tls_fingerprint: pin,
            hub: hub.map(|h| porchlight_sync::HubAddress {
                url: h.url,
                tls_fingerprint: h.pin,
            }),
        })
    }

    fn remember_unregistered_invite(&self, signed: &SignedInvite) -> Result<()> {
        let line = hex(&wire::encode(signed).map_err(sync_error)?);
        let mut store = self.store();
        let mut list = store.state(STATE_UNREGISTERED_INVITES)?.unwrap_or_default();
        if !list.is_empty() {
            list.push('\n');
        }
        list.push_str(&line);
        store.set_state(STATE_UNREGISTERED_INVITES, Some(&list))?;
        Ok(())
    }

    /// Registers with the community server (`home`) the invites made while it was out of
    /// reach. Expired ones and ones it refuses are dropped; while it cannot be reached, they
    /// wait.
    pub(crate) async fn register_remembered_invites(&self, home: &dyn Remote) -> Result<()> {
        let Some(list) = self.store().state(STATE_UNREGISTERED_INVITES)? else {
            return Ok(());
        };
        let now = Timestamp::now().millis() / 1000;
        let mut left = Vec::new();
        let mut lines = list.lines();
        for line in lines.by_ref() {
            let Some(signed) = unhex(line).and_then(|b| wire::decode::<SignedInvite>(&b).ok())
            else {
                continue;
            };
            if signed.expires_at <= now {
                continue;
            }
            match home.create_invite(signed).await {
                Err(e) if e.is_unreachable() => {
                    left.push(line);
                    break;
                }
                // Registered now, held already (409), or refused: nothing more to do.
                _ => {}
            }
        }
        left.extend(lines);
        let left = (!left.is_empty()).then(|| left.join("\n"));
        self.store()
            .set_state(STATE_UNREGISTERED_INVITES, left.as_deref())?;
        Ok(())
    }

    /// Certifies members who joined with genuine invites, in the group document. The server's
    /// list decides nothing by itself: a member is certified only when its join evidence
    /// verifies against the certificates this device trusts. Its `revoked_at` is not acted on
    /// either: whoever runs the server could set it on any member, and the coordinators'
    /// devices would then sign revocations nobody asked for. A revocation is signed by the
    /// coordinator who revokes ([`Core::revoke`] through [`Core::sign_revocation`]), and for a
    /// hall join the hub withdrew (`sync_extras`).
    pub(crate) fn sync_roster(&self, members: &[Member]) -> Result<()> {
        let Some(roster) = self.roster()? else {
            return Ok(());
        };
        let mut store = self.store();
        let Some(group) = store.group()? else {
            return Ok(());
        };
        let key = self.identity.signing_key();
        let me = self.device();
        // Only a coordinator the root vouches for writes certificates: anyone else's would not
        // count, and the server's word that this device coordinates is not enough.
        if roster
            .member(&me)
            .is_none_or(|m| m.role != Role::Coordinator)
        {
            return Ok(());
        }
        let mut doc = store.load_kind(group.id, DocKind::Group)?;
        let now = Timestamp::now();
        for m in members {
            // A name the group document would refuse is no reason to stop certifying the rest.
            let name_ok = porchlight_model::validate_name("name", &m.display_name).is_ok();
            if m.revoked_at.is_some()
                || roster.member(&m.device).is_some()
                || roster.is_revoked(&m.device)
                || !name_ok
            {
                continue;
            }
            let Some(role) = m
                .evidence
                .as_ref()
                .and_then(|e| e.verify(&roster, &m.public_key, &m.display_name))
            else {
                continue;
            };
            let cert = MemberCert::issue(key, roster.group, m.public_key, role, now.millis());
            store.write(
                &mut doc,
                |d| certify_member(d, m.device, &m.display_name, role, me, cert.to_bytes(), now),
                |_, _| Ok(()),
            )?;
        }
        Ok(())
    }

    /// Writes the signed revocation of `device` into the group document: this coordinator has
    /// just revoked it on the server, or the hub withdrew a hall join the community server
    /// refused. The key revoked is the one the roster certified for that device, never one a
    /// server names. Nothing to do for a device the roster does not list (never certified, or
    /// revoked already).
    pub(crate) fn sign_revocation(&self, device: DeviceId) -> Result<()> {
        let Some(roster) = self.roster()? else {
            return Ok(());
        };
        let me = self.device();
        if roster
            .member(&me)
            .is_none_or(|m| m.role != Role::Coordinator)
        {
            return Ok(());
        }
        let Some(certified) = roster.member(&device) else {
            return Ok(());
        };
        let mut store = self.store();
        let Some(group) = store.group()? else {
            return Ok(());
        };
        let mut doc = store.load_kind(group.id, DocKind::Group)?;
        let now = Timestamp::now();
        let revocation = Revocation::issue(
            self.identity.signing_key(),
            roster.group,
            certified.public_key,
            now.millis(),
        );
        store.write(
            &mut doc,
            |d| remove_member(d, device, me, revocation.to_bytes(), now),
            |_, _| Ok(()),
        )?;
        Ok(())
    }

    /// Signs outbox entries for pushing, grouped by document in their order.
    pub(crate) fn sign_outbox(
        &self,
        group: &GroupId,
        entries: &[OutboxEntry],
    ) -> Vec<wire::DocChanges> {
        let key = self.identity.signing_key();
        let mut out: Vec<wire::DocChanges> = Vec::new();
        for e in entries {
            let signed = SignedChange::sign(key, group, e.doc, e.kind, &e.hash, e.bytes.clone());
            match out.last_mut() {
                Some(last) if last.doc == e.doc => last.changes.push(signed),
                _ => out.push(wire::DocChanges::new(e.doc, e.kind, [signed])),
            }
        }
        out
    }

    /// Judges a pulled page (see the module docs).
    pub(crate) fn verify_pulled(&self, pulled: Vec<wire::DocChanges>) -> Result<Verified> {
        let candidates = pulled
            .into_iter()
            .flat_map(|d| {
                let (doc, kind) = (d.doc, d.kind);
                d.changes.into_iter().map(move |c| {
                    let (bytes, signature) = c.into_parts();
                    Candidate {
                        doc,
                        kind,
                        bytes,
                        signature,
                    }
                })
            })
            .collect();
        self.verify_candidates(candidates)
    }

    /// Tries the held changes again; applies those whose authors are certified now. Returns the
    /// documents that changed.
    pub(crate) fn retry_held(&self) -> Result<Vec<DocId>> {
        let held = self.store().held_changes()?;
        if held.is_empty() {
            return Ok(Vec::new());
        }
        let before: Vec<[u8; 32]> = held.iter().map(|h| h.hash).collect();
        let candidates = held
            .into_iter()
            .map(|h| Candidate {
                doc: h.doc,
                kind: h.kind,
                bytes: h.bytes,
                signature: h.signature,
            })
            .collect();
        let verified = self.verify_candidates(candidates)?;
        let still: Vec<[u8; 32]> = verified.held.iter().map(|h| h.hash).collect();
        let mut store = self.store();
        // The same path as a pulled page: a report that came through the change log is set
        // aside, never shown, whoever its author turned out to be.
        let applied = store.apply_pulled_batch(&verified.accepted, &[])?;
        let settled: Vec<[u8; 32]> = before.into_iter().filter(|h| !still.contains(h)).collect();
        store.release_held(&settled)?;
        Ok(applied.changed.into_iter().map(|(id, _)| id).collect())
    }

    fn verify_candidates(&self, candidates: Vec<Candidate>) -> Result<Verified> {
        let (group, root) = self.group_anchor()?;
        let me = self.device();
        let my_key = self.identity.public_key().to_bytes();
        let mut verified = Verified::default();
        // Parse first: anything that is not a plain, bounded change is refused outright.
        let checks = par_map(&candidates, |c| {
            check_change(&c.bytes, None, MAX_CHANGE_BYTES)
        });
        let mut checked = Vec::new();
        for (c, check) in candidates.into_iter().zip(checks) {
            match check {
                Ok(ok) => match DeviceId::from_slice(&ok.actor) {
                    Ok(actor) => checked.push((c, ok.hash, actor)),
                    Err(_) => verified.refused.push((
                        c.doc,
                        ok.hash,
                        "its actor is not a device id".into(),
                    )),
                },
                Err(problem) => {
                    let hash = *blake3::hash(&c.bytes).as_bytes();
                    verified.refused.push((c.doc, hash, problem.to_string()));
                }
            }
        }
        let (group_changes, others): (Vec<_>, Vec<_>) = checked
            .into_iter()
            .partition(|(c, _, _)| c.kind == DocKind::Group);

        // Group changes carry the certificates themselves, so they are taken in rounds: the
        // changes of coordinators the roster already vouches for, then the roster again with
        // them applied, until a round takes nothing.
        let doc_ids: Vec<DocId> = group_changes.iter().map(|(c, _, _)| c.doc).collect();
        let mut docs = self.group_docs(&doc_ids)?;
        let mut roster = roster_of(group, root, docs.values());
        let mut pending = group_changes;
        let mut accepted: Vec<(Candidate, [u8; 32])> = Vec::new();
        loop {
            let (ready, rest): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(_, _, actor)| {
                *actor == me
                    || roster
                        .member(actor)
                        .is_some_and(|m| m.role == Role::Coordinator)
            });
            pending = rest;
            if ready.is_empty() {
                break;
            }
            for (c, hash, actor) in ready {
                let key = if actor == me {
                    my_key
                } else {
                    roster.member(&actor).map_or([0; 32], |m| m.public_key)
                };
                let signed = SignedChange::from_parts(Vec::new(), c.signature);
                if !signed.verify(&key, &group, c.doc, c.kind, &hash) {
                    verified.refused.push((c.doc, hash, forged(actor)));
                    continue;
                }
                if let Some(doc) = docs.get_mut(&c.doc) {
                    // A change the document cannot take now (a missing dependency) waits
                    // inside Automerge; the store applies it for good below.
                    let _ = doc.apply_remote(std::slice::from_ref(&c.bytes));
                }
                accepted.push((c, hash));
            }
            roster = roster_of(group, root, docs.values());
        }
        for (c, hash, actor) in pending {
            match roster.member(&actor) {
                // Certified, but not as a coordinator: it may never write the group document.
                Some(m) => verified.refused.push((
                    c.doc,
                    hash,
                    format!("written by a {}, who may not write group documents", m.role),
                )),
                None => verified.held.push(held(c, hash)),
            }
        }

        let author = |actor: &DeviceId| {
            if *actor == me {
                Some((my_key, None))
            } else {
                roster.member(actor).map(|m| (m.public_key, Some(m.role)))
            }
        };
        // The signatures are checked all at once, spread over the cores.
        let genuine = par_map(&others, |(c, hash, actor)| {
            author(actor).is_some_and(|(key, _)| {
                SignedChange::from_parts(Vec::new(), c.signature)
                    .verify(&key, &group, c.doc, c.kind, hash)
            })
        });
        for ((c, hash, actor), genuine) in others.into_iter().zip(genuine) {
            let Some((_, role)) = author(&actor) else {
                verified.held.push(held(c, hash));
                continue;
            };
            if !genuine {
                verified.refused.push((c.doc, hash, forged(actor)));
                continue;
            }
            // Reports in the change log are signed by a member but still never shown: the store
            // sets them aside (see `apply_pulled_batch`), so they are not refused here.
            if let Some(role) = role
                && !role.can_write(c.kind)
            {
                verified.refused.push((
                    c.doc,
                    hash,
                    format!(
                        "written by a {role}, who may not write {} documents",
                        c.kind
                    ),
                ));
                continue;
            }
            accepted.push((c, hash));
        }

        // Back into per-document runs, keeping the page's order within each document.
        let mut runs: Vec<DocChanges> = Vec::new();
        let mut run_of: std::collections::HashMap<DocId, usize> = std::collections::HashMap::new();
        for (c, _) in accepted {
            if let Some(&i) = run_of.get(&c.doc) {
                runs[i].changes.push(c.bytes);
            } else {
                run_of.insert(c.doc, runs.len());
                runs.push(DocChanges {
                    doc: c.doc,
                    kind: c.kind,
                    changes: vec![c.bytes],
                });
            }
        }
        verified.accepted = runs;
        Ok(verified)
    }

    /// The group documents this device holds, plus empty ones for `also` (group documents that
    /// are arriving now), loaded so certificates can be read from them.
    fn group_docs(&self, also: &[DocId]) -> Result<BTreeMap<DocId, Doc>> {
        let store = self.store();
        let mut docs = BTreeMap::new();
        for id in store.document_ids_of(DocKind::Group)? {
            docs.insert(id, store.load_kind(id, DocKind::Group)?);
        }
        for id in also {
            docs.entry(*id)
                .or_insert_with(|| Doc::empty(*id, DocKind::Group, self.device().as_bytes()));
        }
        Ok(docs)
    }
}

/// The roster the certificates in `docs` make, anchored at `root`. Records that do not decode
/// are skipped: they vouch for nothing.
fn roster_of<'a>(group: GroupId, root: [u8; 32], docs: impl Iterator<Item = &'a Doc>) -> Roster {
    let mut certs = Vec::new();
    let mut revocations = Vec::new();
    for doc in docs {
        let Ok(records) = read_membership(doc) else {
            continue;
        };
        certs.extend(
            records
                .certs
                .iter()
                .filter_map(|b| MemberCert::from_bytes(b).ok()),
        );
        revocations.extend(
            records
                .revocations
                .iter()
                .filter_map(|b| Revocation::from_bytes(b).ok()),
        );
    }
    Roster::verify(group, root, &certs, &revocations)
}

fn held(c: Candidate, hash: [u8; 32]) -> HeldChange {
    HeldChange {
        hash,
        doc: c.doc,
        kind: c.kind,
        bytes: c.bytes,
        signature: c.signature,
    }
}

fn forged(actor: DeviceId) -> String {
    format!(
        "the signature is not that of its author {} (forged or altered)",
        hex(&actor.as_bytes()[..4])
    )
}
