//! This device's stash of anonymous drop tokens, and the times the departure rules need.
//!
//! Tokens are fetched in batches during an authenticated sync, when the stash runs low: the device
//! blinds random messages, the server signs them without seeing them, and the device unblinds and
//! keeps the tokens (local table, never synced). A drop spends one. The server cannot link a spent
//! token to the sync that fetched it; what could link them is timing, so envelopes never leave
//! within the quiet time of an authenticated request (see [`crate::departures`]).
//!
//! The issuing key is pinned: the first key this device sees is kept, and a different one later is
//! refused, so a server cannot hand each member its own key and tell members' drops apart by the
//! key their tokens verify under.

use porchlight_model::{Timestamp, random_bytes};
use porchlight_sync::tokens::TokenKey;
use porchlight_sync::wire;
use porchlight_sync::{Remote, fetch_tokens};

use crate::sync::sync_error;
use crate::{Core, CoreError, Result};

pub(crate) const STATE_LAST_AUTH: &str = "drops.last_auth_at";
pub(crate) const STATE_LAST_DROP: &str = "drops.last_drop_at";
const STATE_TOKEN_KEY: &str = "drops.token_key";

/// Below this many tokens a sync fetches more...
const REFILL_BELOW: u64 = 5;
/// ...up to this many.
const STASH_SIZE: u64 = 20;

pub(crate) fn random_u64() -> u64 {
    u64::from_le_bytes(random_bytes::<8>())
}

impl Core {
    pub(crate) fn state_millis(&self, key: &str) -> Result<Option<i64>> {
        Ok(self.store().state(key)?.and_then(|v| v.parse().ok()))
    }

    pub(crate) fn set_state_millis(&self, key: &str, millis: i64) -> Result<()> {
        self.store().set_state(key, Some(&millis.to_string()))?;
        Ok(())
    }

    /// Records that this device just made an authenticated request, so no drop follows it too
    /// closely.
    pub(crate) fn note_authenticated_request(&self) -> Result<()> {
        self.set_state_millis(STATE_LAST_AUTH, Timestamp::now().millis())
    }

    /// Unspent drop tokens on this device.
    pub fn drop_tokens_left(&self) -> Result<u64> {
        Ok(self.store().drop_tokens_left()?)
    }

    /// Tops the stash up during an authenticated sync when it runs low. Returns how many tokens
    /// were added.
    pub(crate) async fn refill_drop_tokens(&self, remote: &dyn Remote) -> Result<usize> {
        let have = self.drop_tokens_left()?;
        if have >= REFILL_BELOW {
            return Ok(0);
        }
        let info = remote.token_key().await.map_err(sync_error)?;
        let key = self.pinned_token_key(&info.key)?;
        let want = (STASH_SIZE - have).min(u64::from(info.left_today));
        if want == 0 {
            return Ok(0);
        }
        let tokens = fetch_tokens(remote, &key, want as usize)
            .await
            .map_err(sync_error)?;
        let encoded = tokens
            .iter()
            .map(wire::encode)
            .collect::<Result<Vec<_>, _>>()
            .map_err(sync_error)?;
        self.store().add_drop_tokens(&encoded)?;
        self.note_authenticated_request()?;
        // Envelopes that waited for tokens get fresh delays from now, never "right after the
        // tokens arrived".
        self.replan_overdue_drops()?;
        self.drop_queued.notify_one();
        Ok(encoded.len())
    }

    /// The server's issuing key, if it is the one this device pinned (or the first it sees).
    fn pinned_token_key(&self, der: &[u8]) -> Result<TokenKey> {
        let key = TokenKey::from_der(der).map_err(sync_error)?;
        let fingerprint = key.fingerprint().map_err(sync_error)?;
        let mut store = self.store();
        match store.state(STATE_TOKEN_KEY)? {
            Some(pinned) if pinned != fingerprint => Err(CoreError::TokenKeyChanged),
            Some(_) => Ok(key),
            None => {
                store.set_state(STATE_TOKEN_KEY, Some(&fingerprint))?;
                Ok(key)
            }
        }
    }
}

impl Core {
    /// Token codes for a printed sheet (coordinators): each carries the server, the group, the
    /// coordinators' sealing keys and one token, so a person who is not a member can file one
    /// anonymous report (see [`Core::file_with_token_code`]). The tokens come out of this
    /// coordinator's daily allowance and never enter its own stash.
    pub async fn token_sheet(&self, count: usize) -> Result<Vec<String>> {
        self.require(
            |r| r == porchlight_model::Role::Coordinator,
            "print token sheets",
        )?;
        if !(1..=crate::TOKEN_SHEET_MAX).contains(&count) {
            return Err(porchlight_model::ValidationError::Invalid {
                field: "count",
                reason: format!(
                    "a sheet holds 1 to {} codes, not {count}",
                    crate::TOKEN_SHEET_MAX
                ),
            }
            .into());
        }
        let (server, group) = self.server_and_group()?;
        let pin = self
            .home_server()?
            .pin
            .map(|fp| serde_bytes::ByteBuf::from(fp.to_vec()));
        let seal_keys: Vec<serde_bytes::ByteBuf> = self
            .seal_recipients()?
            .into_iter()
            .map(|k| serde_bytes::ByteBuf::from(k.to_vec()))
            .collect();
        if seal_keys.is_empty() {
            return Err(porchlight_sync::seal::SealError::NoRecipients.into());
        }
        let remote = self.home_remote()?;
        self.note_authenticated_request()?;
        let info = remote.token_key().await.map_err(sync_error)?;
        let key = self.pinned_token_key(&info.key)?;
        let mut codes = Vec::with_capacity(count);
        while codes.len() < count {
            let batch = (count - codes.len()).min(wire::MAX_TOKEN_BATCH);
            let tokens = fetch_tokens(remote.as_ref(), &key, batch)
                .await
                .map_err(sync_error)?;
            if tokens.is_empty() {
                break;
            }
            for token in tokens {
                let code = wire::TokenCode {
                    server: server.clone(),
                    group,
                    seal_keys: seal_keys.clone(),
                    token,
                    pin: pin.clone(),
                };
                codes.push(code.to_text().map_err(sync_error)?);
            }
        }
        Ok(codes)
    }
}
