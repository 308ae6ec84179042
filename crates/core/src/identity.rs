//! The device's identity: an Ed25519 key made on first start and kept in the data directory,
//! readable by the owner only. Its device id doubles as the Automerge actor of its writes.

use std::fs;
use std::io::Write;
use std::path::Path;

use ed25519_dalek::{SigningKey, VerifyingKey};
use porchlight_model::{DeviceId, random_bytes};

use crate::error::{CoreError, Result};

const KEY_FILE: &str = "device.key";

pub struct Identity {
    key: SigningKey,
    device: DeviceId,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret key.
        f.debug_struct("Identity")
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// Loads the key from `dir`, creating it (mode 0600) on first use.
    pub fn load_or_create(dir: &Path) -> Result<Self> {
        let path = dir.join(KEY_FILE);
        let io = |source| CoreError::Io {
            path: path.clone(),
            source,
        };
        let secret: [u8; 32] = match fs::read(&path) {
            Ok(bytes) => bytes.try_into().map_err(|b: Vec<u8>| CoreError::BadKey {
                path: path.clone(),
                reason: format!("{} bytes instead of 32", b.len()),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = random_bytes::<32>();
                write_private(&path, &secret).map_err(io)?;
                secret
            }
            Err(e) => return Err(io(e)),
        };
        let key = SigningKey::from_bytes(&secret);
        // The device id is the first 16 bytes of the public key's BLAKE3 hash (shared with the
        // server through the sync crate).
        let device = porchlight_sync::device_id_of(&key);
        Ok(Self { key, device })
    }

    pub fn device(&self) -> DeviceId {
        self.device
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }
}

/// Writes a new file only the owner can read. Fails if it already exists, so two processes
/// starting at once cannot overwrite each other's key.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
