//! Device identity and the exact bytes a device signs. Client and server both build the messages
//! here, so they cannot drift apart.
//!
//! Every message starts with a domain tag naming the protocol and the purpose, so a signature
//! made for one purpose (joining) can never be replayed as another (opening a session), and
//! variable-length fields are length-prefixed so two different field splits never produce the
//! same bytes.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use porchlight_model::{DeviceId, DocId, DocKind};

use crate::wire::GroupId;

/// A device's id: the first 16 bytes of BLAKE3 over its Ed25519 public key. It is also the
/// Automerge actor id of the changes the device writes under its own name.
pub fn device_id_from_public_key(public_key: &[u8; 32]) -> DeviceId {
    let hash = blake3::hash(public_key);
    let mut id = [0u8; 16];
    id.copy_from_slice(&hash.as_bytes()[..16]);
    DeviceId::from_bytes(id)
}

/// The device id of a signing key.
pub fn device_id_of(key: &SigningKey) -> DeviceId {
    device_id_from_public_key(key.verifying_key().as_bytes())
}

/// A fresh device key from the operating system's random source.
pub fn generate_signing_key() -> SigningKey {
    SigningKey::from_bytes(&porchlight_model::random_bytes::<32>())
}

struct Message(Vec<u8>);

impl Message {
    fn new(purpose: &str) -> Self {
        let mut m = Message(Vec::with_capacity(128));
        m.bytes(b"porchlight/v1");
        m.bytes(purpose.as_bytes());
        m
    }

    fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(&(b.len() as u32).to_be_bytes());
        self.0.extend_from_slice(b);
        self
    }

    fn int(&mut self, v: i64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
}

/// What a device signs to open a session in `group` with a server challenge.
pub fn session_message(group: &GroupId, nonce: &[u8; 32], time: i64) -> Vec<u8> {
    let mut m = Message::new("session");
    m.bytes(group.as_bytes()).bytes(nonce).int(time);
    m.0
}

/// What a device signs to create a group named `name` (with a server challenge, so the request
/// cannot be replayed).
pub fn create_group_message(
    name: &str,
    display_name: &str,
    nonce: &[u8; 32],
    time: i64,
) -> Vec<u8> {
    let mut m = Message::new("create-group");
    m.bytes(name.as_bytes())
        .bytes(display_name.as_bytes())
        .bytes(nonce)
        .int(time);
    m.0
}

/// What a device signs to join with an invite: proves it holds the key it enrols.
pub fn join_message(invite: &[u8; 16], public_key: &[u8; 32], display_name: &str) -> Vec<u8> {
    let mut m = Message::new("join");
    m.bytes(invite)
        .bytes(public_key)
        .bytes(display_name.as_bytes());
    m.0
}

/// What the invite key (derived from the invite's secret) signs when a device joins: proof that
/// whoever enrols `public_key` held the secret. The server stores this proof but, never having
/// seen the secret, cannot make one for a key of its own.
pub fn join_proof_message(
    group: &GroupId,
    invite: &[u8; 16],
    public_key: &[u8; 32],
    display_name: &str,
) -> Vec<u8> {
    let mut m = Message::new("join-proof");
    m.bytes(group.as_bytes())
        .bytes(invite)
        .bytes(public_key)
        .bytes(display_name.as_bytes());
    m.0
}

/// What a coordinator signs when it issues an invite.
pub fn invite_message(
    group: &GroupId,
    invite: &[u8; 16],
    role: porchlight_model::Role,
    uses: u32,
    expires_at: i64,
    invite_key: &[u8; 32],
) -> Vec<u8> {
    let mut m = Message::new("invite");
    m.bytes(group.as_bytes())
        .bytes(invite)
        .bytes(role.as_str().as_bytes())
        .int(i64::from(uses))
        .int(expires_at)
        .bytes(invite_key);
    m.0
}

/// What a coordinator signs to certify a member (see [`crate::membership`]).
pub fn member_cert_message(
    group: &GroupId,
    public_key: &[u8; 32],
    role: porchlight_model::Role,
    issued_at: i64,
    issuer: &[u8; 32],
) -> Vec<u8> {
    let mut m = Message::new("member-cert");
    m.bytes(group.as_bytes())
        .bytes(public_key)
        .bytes(role.as_str().as_bytes())
        .int(issued_at)
        .bytes(issuer);
    m.0
}

/// What a coordinator signs to revoke a member.
pub fn revocation_message(
    group: &GroupId,
    public_key: &[u8; 32],
    revoked_at: i64,
    issuer: &[u8; 32],
) -> Vec<u8> {
    let mut m = Message::new("revocation");
    m.bytes(group.as_bytes())
        .bytes(public_key)
        .int(revoked_at)
        .bytes(issuer);
    m.0
}

/// What the author of an Automerge change signs: the change's hash, bound to its group, document
/// and kind, so a server or relay can neither alter a change nor move it to another document.
pub fn change_message(group: &GroupId, doc: &DocId, kind: DocKind, hash: &[u8; 32]) -> Vec<u8> {
    let mut m = Message::new("change");
    m.bytes(group.as_bytes())
        .bytes(doc.as_bytes())
        .bytes(kind.as_str().as_bytes())
        .bytes(hash);
    m.0
}

pub fn sign(key: &SigningKey, message: &[u8]) -> [u8; 64] {
    key.sign(message).to_bytes()
}

/// Checks `signature` over `message` by `public_key`. Strict verification: refuses weak keys and
/// malleable signatures, which a real device never produces. (`verify_strict` checks the same
/// equation as `verify` plus those refusals, so running both only paid for the curve arithmetic
/// twice: it was a fifth of a new device's join.)
pub fn verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(public_key) else {
        return false;
    };
    let signature = Signature::from_bytes(signature);
    key.verify_strict(message, &signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_id_is_the_blake3_prefix_of_the_key() {
        let key = generate_signing_key();
        let id = device_id_of(&key);
        let hash = blake3::hash(key.verifying_key().as_bytes());
        assert_eq!(id.as_bytes(), &hash.as_bytes()[..16]);
    }

    #[test]
    fn signatures_verify_only_for_their_own_message_and_key() {
        let key = generate_signing_key();
        let group = GroupId::random();
        let msg = session_message(&group, &[1; 32], 100);
        let sig = sign(&key, &msg);
        let pk = key.verifying_key().to_bytes();
        assert!(verify(&pk, &msg, &sig));
        assert!(!verify(&pk, &session_message(&group, &[1; 32], 101), &sig));
        assert!(!verify(
            &generate_signing_key().verifying_key().to_bytes(),
            &msg,
            &sig
        ));
        assert!(!verify(&[0; 32], &msg, &sig));
    }

    #[test]
    fn purposes_never_share_bytes() {
        let a = create_group_message("ab", "c", &[0; 32], 0);
        let b = create_group_message("a", "bc", &[0; 32], 0);
        assert_ne!(a, b);
    }
}
