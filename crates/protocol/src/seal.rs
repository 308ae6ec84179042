//! Sealing: how a report becomes bytes only the group's coordinators can read.
//!
//! An envelope is one random content key wrapped in a sealed box (X25519, libsodium's
//! `crypto_box_seal`, from the RustCrypto `crypto_box` crate) for each coordinator, and the
//! padded message encrypted under that key with XChaCha20-Poly1305. The sender stays anonymous to
//! the cryptography too: a sealed box uses a fresh ephemeral key each time, so nothing in the
//! envelope depends on who made it.
//!
//! A coordinator's sealing key is the X25519 form of its Ed25519 device key (the birational map
//! libsodium calls `ed25519_pk_to_curve25519`). That way the server's member list already tells a
//! coordinator every other coordinator's sealing key, and a device never has a second secret to
//! back up. The keys are written into the group document so residents, who cannot list members,
//! learn them by syncing.
//!
//! Padding: the message is prefixed with its length and filled with zeros up to the next of
//! [`DROP_SIZE_CLASSES`], so envelopes come in five sizes only. The key wraps are padded too:
//! every envelope has exactly [`KEY_SLOTS`] of them, the unused ones sealing a random key to a
//! throwaway X25519 key (so they are built, and look, exactly like real ones), in an order that
//! follows their random bytes. An envelope's size therefore says nothing about how many
//! coordinators the sender knew of, which would otherwise tell apart senders with an older roster.
//! A group with more coordinators than slots cannot seal: [`SealError::TooManyRecipients`].

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use crypto_box::aead::OsRng;
use crypto_box::{PublicKey, SecretKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::wire::{DROP_SIZE_CLASSES, MAX_REPLY, decode, encode};

/// Bound into every envelope's authentication tag, so bytes sealed for another purpose (or
/// another version) never open as an envelope.
const ENVELOPE_AAD: &[u8] = b"porchlight sealed envelope v1";
const REPLY_AAD: &[u8] = b"porchlight reply v1";
const LENGTH_PREFIX: usize = 4;
const NONCE_LEN: usize = 24;
const REPLY_ID_CONTEXT: &str = "porchlight reply id v2";

/// Key wraps in every envelope: the most coordinators one report can be sealed for. Eight covers
/// a neighbourhood group's few coordinators with room to spare, at 80 bytes a slot.
pub const KEY_SLOTS: usize = 8;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("nobody to seal for: the group has no coordinator sealing keys yet (sync first)")]
    NoRecipients,
    #[error(
        "the group has {count} coordinators; an envelope can be sealed for at most {max} \
         (revoke some coordinators, or demote them)"
    )]
    TooManyRecipients { count: usize, max: usize },
    #[error("the message is {size} bytes; the most one envelope can carry is {max} bytes")]
    TooLarge { size: usize, max: usize },
    #[error("not a sealed envelope: {0}")]
    Malformed(String),
    #[error("this envelope was not sealed for this device")]
    NotForMe,
    #[error("the envelope was altered or is corrupt")]
    Corrupt,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    v: u8,
    /// The content key, sealed for each coordinator.
    keys: Vec<ByteBuf>,
    nonce: ByteBuf,
    body: ByteBuf,
}

/// A device's secret sealing key (the X25519 form of its Ed25519 key).
pub fn sealing_secret(key: &SigningKey) -> SecretKey {
    SecretKey::from(key.to_scalar_bytes())
}

/// The public sealing key of the device with Ed25519 public key `public_key`, or `None` if those
/// bytes are not a valid Ed25519 key.
pub fn sealing_public(public_key: &[u8; 32]) -> Option<[u8; 32]> {
    let verifying = VerifyingKey::from_bytes(public_key).ok()?;
    Some(verifying.to_montgomery().to_bytes())
}

/// The largest message [`seal`] takes.
pub fn max_message() -> usize {
    DROP_SIZE_CLASSES[DROP_SIZE_CLASSES.len() - 1] - LENGTH_PREFIX
}

/// Seals `message` so that only the holders of `recipients`' secret keys can open it.
pub fn seal(message: &[u8], recipients: &[[u8; 32]]) -> Result<Vec<u8>, SealError> {
    if recipients.is_empty() {
        return Err(SealError::NoRecipients);
    }
    if recipients.len() > KEY_SLOTS {
        return Err(SealError::TooManyRecipients {
            count: recipients.len(),
            max: KEY_SLOTS,
        });
    }
    let padded = pad(message)?;
    let content_key = XChaCha20Poly1305::generate_key(&mut OsRng);
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let body = XChaCha20Poly1305::new(&content_key)
        .encrypt(
            &nonce,
            Payload {
                msg: &padded,
                aad: ENVELOPE_AAD,
            },
        )
        .map_err(|_| SealError::Corrupt)?;
    // Unused slots seal a random key to a key nobody holds: the same work, the same bytes.
    let decoys = (recipients.len()..KEY_SLOTS).map(|_| {
        let nobody = SecretKey::generate(&mut OsRng).public_key();
        (nobody, XChaCha20Poly1305::generate_key(&mut OsRng))
    });
    let mut keys = recipients
        .iter()
        .map(|r| (PublicKey::from(*r), content_key))
        .chain(decoys)
        .map(|(to, key)| {
            to.seal(&mut OsRng, key.as_slice())
                .map(ByteBuf::from)
                .map_err(|_| SealError::Corrupt)
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Sorting random-looking bytes is a random order: the real slots are nowhere in particular.
    keys.sort_unstable();
    let envelope = Envelope {
        v: 1,
        keys,
        nonce: ByteBuf::from(nonce.to_vec()),
        body: ByteBuf::from(body),
    };
    encode(&envelope).map_err(|e| SealError::Malformed(e.to_string()))
}

/// Opens an envelope with this device's secret sealing key.
pub fn open(sealed: &[u8], secret: &SecretKey) -> Result<Vec<u8>, SealError> {
    let envelope: Envelope = decode(sealed).map_err(|e| SealError::Malformed(e.to_string()))?;
    if envelope.v != 1 {
        return Err(SealError::Malformed(format!(
            "unknown version {}",
            envelope.v
        )));
    }
    if envelope.nonce.len() != NONCE_LEN {
        return Err(SealError::Malformed("bad nonce length".into()));
    }
    let content_key = envelope
        .keys
        .iter()
        .find_map(|wrapped| secret.unseal(wrapped).ok())
        .filter(|k| k.len() == 32)
        .ok_or(SealError::NotForMe)?;
    let cipher = XChaCha20Poly1305::new_from_slice(&content_key).map_err(|_| SealError::Corrupt)?;
    let padded = cipher
        .decrypt(
            XNonce::from_slice(&envelope.nonce),
            Payload {
                msg: &envelope.body,
                aad: ENVELOPE_AAD,
            },
        )
        .map_err(|_| SealError::Corrupt)?;
    unpad(&padded)
}

/// The id the `n`-th status published for a report goes under (32 lowercase hex digits).
///
/// Ids rotate: each is a keyed hash of the report's reply key, the group and `n`, so the server
/// cannot tell that two ids belong to one report, and the reporter only ever asks for the next
/// one. Only the reporter and the report's readers hold the reply key.
pub fn reply_id_at(key: &[u8; 32], group: &[u8; 16], n: u64) -> String {
    let mut hasher = blake3::Hasher::new_derive_key(REPLY_ID_CONTEXT);
    hasher.update(key);
    hasher.update(group);
    hasher.update(&n.to_be_bytes());
    let hash = hasher.finalize();
    hash.to_hex()[..32].to_string()
}

/// Encrypts a reply for the reporter under the key only the reporter's receipt and the report's
/// readers know. Output: nonce, then ciphertext.
pub fn seal_reply(key: &[u8; 32], message: &[u8]) -> Result<Vec<u8>, SealError> {
    // Nonce and tag come on top; the server takes replies up to MAX_REPLY.
    let max = MAX_REPLY - NONCE_LEN - 16;
    if message.len() > max {
        return Err(SealError::TooLarge {
            size: message.len(),
            max,
        });
    }
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let cipher = XChaCha20Poly1305::new(key.into());
    let body = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: message,
                aad: REPLY_AAD,
            },
        )
        .map_err(|_| SealError::Corrupt)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&body);
    Ok(out)
}

pub fn open_reply(key: &[u8; 32], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    if sealed.len() < NONCE_LEN {
        return Err(SealError::Malformed("reply too short".into()));
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(key.into())
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: body,
                aad: REPLY_AAD,
            },
        )
        .map_err(|_| SealError::Corrupt)
}

fn pad(message: &[u8]) -> Result<Vec<u8>, SealError> {
    let needed = message.len() + LENGTH_PREFIX;
    let class = DROP_SIZE_CLASSES
        .iter()
        .copied()
        .find(|&c| c >= needed)
        .ok_or(SealError::TooLarge {
            size: message.len(),
            max: max_message(),
        })?;
    let mut padded = Vec::with_capacity(class);
    let len = u32::try_from(message.len()).map_err(|_| SealError::TooLarge {
        size: message.len(),
        max: max_message(),
    })?;
    padded.extend_from_slice(&len.to_be_bytes());
    padded.extend_from_slice(message);
    padded.resize(class, 0);
    Ok(padded)
}

fn unpad(padded: &[u8]) -> Result<Vec<u8>, SealError> {
    let (len, rest) = padded
        .split_first_chunk::<LENGTH_PREFIX>()
        .ok_or(SealError::Corrupt)?;
    let len = u32::from_be_bytes(*len) as usize;
    rest.get(..len)
        .map(<[u8]>::to_vec)
        .ok_or(SealError::Corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate_signing_key;

    fn keypair() -> (SecretKey, [u8; 32]) {
        let device = generate_signing_key();
        let public = sealing_public(device.verifying_key().as_bytes()).unwrap();
        (sealing_secret(&device), public)
    }

    #[test]
    fn the_x25519_form_of_a_device_key_opens_what_its_public_form_sealed() {
        let (secret, public) = keypair();
        assert_eq!(secret.public_key().to_bytes(), public);
        let sealed = seal(b"a bike taken from the rack", &[public]).unwrap();
        assert_eq!(
            open(&sealed, &secret).unwrap(),
            b"a bike taken from the rack"
        );
    }

    #[test]
    fn every_recipient_opens_and_nobody_else_does() {
        let (a, a_pub) = keypair();
        let (b, b_pub) = keypair();
        let (stranger, _) = keypair();
        let sealed = seal(b"hello", &[a_pub, b_pub]).unwrap();
        assert_eq!(open(&sealed, &b).unwrap(), b"hello");
        assert_eq!(open(&sealed, &a).unwrap(), b"hello");
        assert_eq!(open(&sealed, &b).unwrap(), b"hello");
        assert_eq!(open(&sealed, &stranger), Err(SealError::NotForMe));
    }

    #[test]
    fn messages_of_different_lengths_in_one_class_seal_to_the_same_size() {
        let (_, public) = keypair();
        let short = seal(b"x", &[public]).unwrap();
        let long = seal(&[7u8; 3000], &[public]).unwrap();
        assert_eq!(short.len(), long.len());
        let bigger = seal(&[7u8; 5000], &[public]).unwrap();
        assert!(bigger.len() > long.len());
    }

    #[test]
    fn a_tampered_envelope_does_not_open() {
        let (secret, public) = keypair();
        let mut sealed = seal(b"hello", &[public]).unwrap();
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert_eq!(open(&sealed, &secret), Err(SealError::Corrupt));
        assert!(matches!(
            open(b"not cbor", &secret),
            Err(SealError::Malformed(_))
        ));
    }

    #[test]
    fn too_large_and_nobody_to_seal_for_are_refused() {
        let (_, public) = keypair();
        assert!(matches!(
            seal(&vec![0u8; max_message() + 1], &[public]),
            Err(SealError::TooLarge { .. })
        ));
        assert!(seal(&vec![0u8; max_message()], &[public]).is_ok());
        assert_eq!(seal(b"x", &[]), Err(SealError::NoRecipients));
    }

    #[test]
    fn envelopes_for_one_and_for_eight_coordinators_are_the_same_size() {
        let keys: Vec<_> = (0..KEY_SLOTS).map(|_| keypair()).collect();
        let publics: Vec<_> = keys.iter().map(|(_, p)| *p).collect();
        let one = seal(b"same", &publics[..1]).unwrap();
        let three = seal(b"same", &publics[..3]).unwrap();
        let all = seal(b"same", &publics).unwrap();
        assert_eq!(one.len(), three.len());
        assert_eq!(one.len(), all.len());
        for (secret, _) in &keys {
            assert_eq!(open(&all, secret).unwrap(), b"same");
        }
        let (extra, extra_pub) = keypair();
        let mut too_many = publics.clone();
        too_many.push(extra_pub);
        assert_eq!(
            seal(b"x", &too_many),
            Err(SealError::TooManyRecipients {
                count: KEY_SLOTS + 1,
                max: KEY_SLOTS
            })
        );
        assert_eq!(open(&one, &extra), Err(SealError::NotForMe));
    }

    #[test]
    fn reply_ids_rotate_and_differ_between_groups() {
        let key = [3u8; 32];
        let first = reply_id_at(&key, &[1; 16], 0);
        assert!(crate::wire::is_reply_id(&first));
        assert_ne!(first, reply_id_at(&key, &[1; 16], 1));
        assert_ne!(first, reply_id_at(&key, &[2; 16], 0));
        assert_ne!(first, reply_id_at(&[4u8; 32], &[1; 16], 0));
        assert_eq!(first, reply_id_at(&key, &[1; 16], 0));
    }

    #[test]
    fn replies_open_only_with_their_key() {
        let key = [9u8; 32];
        let sealed = seal_reply(&key, b"in review").unwrap();
        assert_eq!(open_reply(&key, &sealed).unwrap(), b"in review");
        assert_eq!(open_reply(&[8u8; 32], &sealed), Err(SealError::Corrupt));
        assert!(open_reply(&key, b"short").is_err());
        assert!(matches!(
            seal_reply(&key, &vec![0u8; MAX_REPLY]),
            Err(SealError::TooLarge { .. })
        ));
    }
}
