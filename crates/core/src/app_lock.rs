//! App lock: a PIN between whoever holds the phone and what is on it. It guards against someone
//! who picks up an unlocked phone or glances at it; it is not encryption (the store stays
//! readable to anyone who copies the files: "delete my reports" is the answer to a seizure).
//!
//! The PIN is kept only as an Argon2id hash with a random salt. Wrong guesses are counted in the
//! store, so a restart does not reset them; after five in a row each further try must wait,
//! twice as long each time, up to an hour.

use argon2::{Algorithm, Argon2, Params, Version};
use porchlight_model::{Timestamp, ValidationError, hex, random_bytes, unhex};
use serde::{Deserialize, Serialize};

use crate::{Core, CoreError, Result};

const STATE_PIN: &str = "lock.pin";
const STATE_FAILURES: &str = "lock.failures";

/// Free tries before waiting starts.
const FREE_TRIES: u32 = 5;
const FIRST_WAIT_SECS: u64 = 30;
const MAX_WAIT_SECS: u64 = 3600;

/// Argon2id cost: about 20 ms on a phone, plenty against guessing through the app (the wait
/// does the rest); a copied store can be brute-forced offline anyway, whatever the cost.
const MEMORY_KIB: u32 = 8 * 1024;
const ITERATIONS: u32 = 2;

#[derive(Serialize, Deserialize)]
struct StoredPin {
    salt: String,
    hash: String,
}

#[derive(Default, Serialize, Deserialize)]
struct Failures {
    count: u32,
    last_at: i64,
}

fn hash_pin(pin: &str, salt: &[u8]) -> Result<[u8; 32]> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, 1, Some(32))
        .map_err(|e| CoreError::Export(format!("PIN hashing parameters: {e}")))?;
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(pin.as_bytes(), salt, &mut out)
        .map_err(|e| CoreError::Export(format!("PIN hashing: {e}")))?;
    Ok(out)
}

fn check_pin_format(pin: &str) -> Result<()> {
    if (4..=12).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(CoreError::Invalid(ValidationError::Invalid {
            field: "PIN",
            reason: "a PIN is 4 to 12 digits".into(),
        }))
    }
}

/// Seconds to wait after `failures` wrong tries in a row.
fn wait_after(failures: u32) -> u64 {
    if failures < FREE_TRIES {
        return 0;
    }
    let doublings = (failures - FREE_TRIES).min(16);
    (FIRST_WAIT_SECS << doublings).min(MAX_WAIT_SECS)
}

impl Core {
    /// Sets the app-lock PIN, or removes the lock with `None`.
    pub fn set_app_lock(&self, pin: Option<&str>) -> Result<()> {
        let mut store = self.store();
        match pin {
            None => {
                store.set_state(STATE_PIN, None)?;
            }
            Some(pin) => {
                check_pin_format(pin)?;
                let salt = random_bytes::<16>();
                let stored = StoredPin {
                    salt: hex(&salt),
                    hash: hex(&hash_pin(pin, &salt)?),
                };
                let json =
                    serde_json::to_string(&stored).map_err(|e| CoreError::Export(e.to_string()))?;
                store.set_state(STATE_PIN, Some(&json))?;
            }
        }
        store.set_state(STATE_FAILURES, None)?;
        Ok(())
    }

    /// Whether a PIN is set.
    pub fn app_lock_enabled(&self) -> Result<bool> {
        Ok(self.store().state(STATE_PIN)?.is_some())
    }

    /// Checks `pin`. Wrong guesses count, and after five in a row the next must wait.
    pub fn unlock(&self, pin: &str, now: Timestamp) -> Result<()> {
        let mut store = self.store();
        let Some(stored) = store.state(STATE_PIN)? else {
            return Ok(());
        };
        let failures: Failures = store
            .state(STATE_FAILURES)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        let wait_ms = i64::try_from(wait_after(failures.count) * 1000).unwrap_or(i64::MAX);
        let ready_at = failures.last_at.saturating_add(wait_ms);
        if now.millis() < ready_at {
            return Err(CoreError::LockedOut {
                retry_after_secs: u64::try_from((ready_at - now.millis() + 999) / 1000)
                    .unwrap_or(0),
            });
        }
        let stored: StoredPin = serde_json::from_str(&stored)
            .map_err(|e| CoreError::Export(format!("the saved PIN cannot be read: {e}")))?;
        let salt = unhex(&stored.salt).unwrap_or_default();
        let matches = check_pin_format(pin).is_ok() && hex(&hash_pin(pin, &salt)?) == stored.hash;
        if matches {
            store.set_state(STATE_FAILURES, None)?;
            return Ok(());
        }
        let next = Failures {
            count: failures.count + 1,
            last_at: now.millis(),
        };
        let json = serde_json::to_string(&next).map_err(|e| CoreError::Export(e.to_string()))?;
        store.set_state(STATE_FAILURES, Some(&json))?;
        Err(CoreError::WrongPin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core() -> (tempfile::TempDir, Core) {
        let dir = tempfile::tempdir().unwrap();
        let core = Core::open(dir.path()).unwrap();
        (dir, core)
    }

    #[test]
    fn the_right_pin_unlocks_and_a_wrong_one_does_not() {
        let (_dir, core) = core();
        assert!(!core.app_lock_enabled().unwrap());
        core.unlock("0000", Timestamp::from_millis(0)).unwrap();
        core.set_app_lock(Some("482913")).unwrap();
        assert!(core.app_lock_enabled().unwrap());
        let t = Timestamp::from_millis(1_000_000);
        assert!(matches!(core.unlock("482914", t), Err(CoreError::WrongPin)));
        core.unlock("482913", t).unwrap();
        core.set_app_lock(None).unwrap();
        assert!(!core.app_lock_enabled().unwrap());
    }

    #[test]
    fn pins_must_be_four_to_twelve_digits() {
        let (_dir, core) = core();
        for bad in ["123", "1234567890123", "12a4", ""] {
            assert!(matches!(
                core.set_app_lock(Some(bad)),
                Err(CoreError::Invalid(_))
            ));
        }
    }

    #[test]
    fn guessing_slows_down_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = 1_000_000;
        {
            let core = Core::open(dir.path()).unwrap();
            core.set_app_lock(Some("2468")).unwrap();
            for i in 0..5 {
                let at = Timestamp::from_millis(t0 + i);
                assert!(matches!(core.unlock("1111", at), Err(CoreError::WrongPin)));
            }
        }
        // Reopened (as after a restart), the sixth try must wait 30 s — even with the right PIN.
        let core = Core::open(dir.path()).unwrap();
        let soon = Timestamp::from_millis(t0 + 10_000);
        assert!(matches!(
            core.unlock("2468", soon),
            Err(CoreError::LockedOut { retry_after_secs }) if (20..=30).contains(&retry_after_secs)
        ));
        // After the wait a wrong guess doubles it; the right PIN, once allowed, unlocks.
        let later = Timestamp::from_millis(t0 + 31_000);
        assert!(matches!(
            core.unlock("1111", later),
            Err(CoreError::WrongPin)
        ));
        assert!(matches!(
            core.unlock("2468", Timestamp::from_millis(t0 + 62_000)),
            Err(CoreError::LockedOut { .. })
        ));
        core.unlock("2468", Timestamp::from_millis(t0 + 92_000))
            .unwrap();
    }

    #[test]
    fn the_pin_itself_is_never_stored() {
        let dir = tempfile::tempdir().unwrap();
        let core = Core::open(dir.path()).unwrap();
        core.set_app_lock(Some("73915046")).unwrap();
        drop(core);
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
            assert!(!bytes.windows(8).any(|w| w == b"73915046"));
        }
    }
}
