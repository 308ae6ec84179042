//! Newcomers who joined at the hub (in a hall without internet) are brought to the community
//! server by forwarding the join request their own device signed, which the hub's server kept
//! in their join evidence. The community server checks it like any join: the invite must be
//! registered there (the relay registers it first, as the coordinator who signed it), genuine
//! and unused; the device's signature proves it asked. The relay cannot enrol anyone who did
//! not ask, and cannot change what they asked for.
//!
//! The community server decides: when it refuses a join (the invite was used up there by
//! someone else, say a leaked single-use code redeemed on both servers, or it expired before
//! the hall had internet again), the hub revokes the member too, and the coordinator's devices
//! withdraw any certificate they issued at their next sync. A coordinator then invites them
//! again.

use std::collections::HashSet;

use porchlight_model::DeviceId;
use porchlight_sync::{Error, Remote};

/// The error kind a server answers an invite signed by someone other than the caller with.
const BAD_SIGNATURE: &str = "bad_signature";
/// The status a server answers an invite it already holds with.
const CONFLICT: u16 = 409;

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Forwarded {
    /// Newcomers now members of the community server.
    pub joined: usize,
    /// Newcomers the community server refused, revoked on the hub.
    pub refused: usize,
    /// Newcomers that could not be forwarded yet (an invite the relay's coordinator cannot
    /// register there: another coordinator's).
    pub waiting: usize,
}

/// Forwards joins for one hub, remembering who the community server already has so that a
/// quiet pass asks it nothing.
#[derive(Debug, Default)]
pub struct JoinForwarder {
    upstream_has: HashSet<DeviceId>,
}

impl JoinForwarder {
    /// One pass: every member of the hub's server (`hub`) who joined there and whom the
    /// community server (`upstream`) lacks; both remotes act as the relay's coordinator.
    pub async fn forward(
        &mut self,
        hub: &dyn Remote,
        upstream: &dyn Remote,
    ) -> Result<Forwarded, Error> {
        let mut done = Forwarded::default();
        let newcomers: Vec<_> = hub
            .members()
            .await?
            .into_iter()
            .filter(|m| m.revoked_at.is_none() && !self.upstream_has.contains(&m.device))
            .filter_map(|m| {
                let evidence = m.evidence.as_ref()?;
                let request = evidence.join_request(m.public_key, &m.display_name)?;
                Some((m.device, evidence.invite.clone(), request))
            })
            .collect();
        if newcomers.is_empty() {
            return Ok(done);
        }
        self.upstream_has
            .extend(upstream.members().await?.into_iter().map(|m| m.device));
        for (device, invite, request) in newcomers {
            if self.upstream_has.contains(&device) {
                continue;
            }
            let registered = match upstream.create_invite(invite).await {
                Ok(_) => Ok(()),
                Err(Error::Http { status, .. }) if status == CONFLICT => Ok(()),
                Err(e) => Err(e),
            };
            let joined = match registered {
                Ok(()) => upstream.forward_join(&request).await.map(drop),
                Err(e) => Err(e),
            };
            match joined {
                Ok(()) => {
                    self.upstream_has.insert(device);
                    done.joined += 1;
                }
                Err(e) if e.is_unreachable() => return Err(e),
                // Another coordinator's invite: only they can register it there.
                Err(Error::Http { kind, .. }) if kind == BAD_SIGNATURE => done.waiting += 1,
                // The community server's verdict on the invite (used up, expired, withdrawn).
                Err(Error::Http { status, .. }) if (400..500).contains(&status) => {
                    hub.revoke(device).await?;
                    done.refused += 1;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}
