//! Single-use anonymous drop tokens (RFC 9474 RSA blind signatures, RSABSSA-SHA384-PSS-Randomized,
//! through the pure-Rust `blind-rsa-signatures` crate).
//!
//! The server keeps one issuing key per group. A member's device picks random messages, blinds
//! them, and has them signed in a batch over its authenticated session (the server limits how
//! many per member per day). The device unblinds the signatures and keeps the tokens. A drop
//! spends one: the server verifies the signature and records the message in the group's spent
//! list. Blinding makes the signed bytes the server saw unrelated to the token it later checks,
//! so issuing and spending cannot be linked.
//!
//! Left to the device: the issuing key must be the same for every member, or a server could tell
//! members apart by the key their tokens verify under. Devices pin the first key they see (see
//! core) and refuse a different one.

use blind_rsa_signatures::{
    BlindSignature, BlindingResult, DefaultRng, KeyPairSha384PSSRandomized, MessageRandomizer,
    PublicKeySha384PSSRandomized, SecretKeySha384PSSRandomized, Signature,
};

use crate::Error;
use crate::wire::{DropToken, TOKEN_MESSAGE_LEN};

/// Issuing keys are RSA-2048: RFC 9474's smallest, and a signature (256 bytes) that fits a QR code.
pub const TOKEN_KEY_BITS: usize = 2048;
const SIGNATURE_LEN: usize = TOKEN_KEY_BITS / 8;

fn token_error(reason: &str) -> Error {
    Error::InvalidField {
        field: "drop token",
        reason: reason.to_owned(),
    }
}

/// The server's secret issuing key of one group.
#[derive(Debug)]
pub struct TokenIssuer(SecretKeySha384PSSRandomized);

impl TokenIssuer {
    /// A new random key (takes a moment: it finds two 1024-bit primes).
    pub fn generate() -> Result<Self, Error> {
        let pair = KeyPairSha384PSSRandomized::generate(&mut DefaultRng, TOKEN_KEY_BITS)
            .map_err(|_| token_error("could not generate an issuing key"))?;
        Ok(Self(pair.sk))
    }

    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        SecretKeySha384PSSRandomized::from_der(der)
            .map(Self)
            .map_err(|_| token_error("the stored issuing key does not load"))
    }

    pub fn to_der(&self) -> Result<Vec<u8>, Error> {
        self.0
            .to_der()
            .map_err(|_| token_error("the issuing key does not encode"))
    }

    pub fn public_key(&self) -> Result<TokenKey, Error> {
        self.0
            .public_key()
            .map(TokenKey)
            .map_err(|_| token_error("the issuing key has no public half"))
    }

    /// Signs one blinded message without learning what it hides.
    pub fn sign_blinded(&self, blinded: &[u8]) -> Result<Vec<u8>, Error> {
        if blinded.len() != SIGNATURE_LEN {
            return Err(token_error("a blinded message is 256 bytes"));
        }
        self.0
            .blind_sign(blinded)
            .map(|s| s.0)
            .map_err(|_| token_error("the blinded message cannot be signed"))
    }
}

/// A group's public issuing key, as devices and the server check tokens with it.
#[derive(Clone, Debug)]
pub struct TokenKey(PublicKeySha384PSSRandomized);

/// A token being issued: what the device keeps between asking for the signature and receiving it.
#[derive(Debug)]
pub struct PendingToken {
    message: [u8; TOKEN_MESSAGE_LEN],
    blinding: BlindingResult,
}

impl PendingToken {
    /// The blinded bytes to send for signing.
    pub fn blinded(&self) -> &[u8] {
        &self.blinding.blind_message.0
    }
}

impl TokenKey {
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let key = PublicKeySha384PSSRandomized::from_der(der)
            .map_err(|_| token_error("the issuing key is not an RSA public key"))?;
        if key.components().n().len() != SIGNATURE_LEN {
            return Err(token_error("the issuing key is not RSA-2048"));
        }
        Ok(Self(key))
    }

    pub fn to_der(&self) -> Result<Vec<u8>, Error> {
        self.0
            .to_der()
            .map_err(|_| token_error("the issuing key does not encode"))
    }

    /// BLAKE3 of the DER key, hex: what a device pins.
    pub fn fingerprint(&self) -> Result<String, Error> {
        Ok(blake3::hash(&self.to_der()?).to_hex().to_string())
    }

    /// Picks a random message and blinds it for this key.
    pub fn blind(&self) -> Result<PendingToken, Error> {
        let message: [u8; TOKEN_MESSAGE_LEN] = porchlight_model::random_bytes();
        let blinding = self
            .0
            .blind(&mut DefaultRng, message)
            .map_err(|_| token_error("the message cannot be blinded for this key"))?;
        Ok(PendingToken { message, blinding })
    }

    /// Unblinds the issuer's answer into a spendable token, checking it on the way.
    pub fn finish(
        &self,
        pending: &PendingToken,
        blind_signature: &[u8],
    ) -> Result<DropToken, Error> {
        let signature = self
            .0
            .finalize(
                &BlindSignature(blind_signature.to_vec()),
                &pending.blinding,
                pending.message,
            )
            .map_err(|_| token_error("the server's signature does not verify"))?;
        let randomizer = pending
            .blinding
            .msg_randomizer
            .ok_or_else(|| token_error("the blinding has no randomizer"))?;
        Ok(DropToken {
            message: pending.message.to_vec(),
            randomizer: randomizer.0.to_vec(),
            signature: signature.0,
        })
    }

    /// Whether `token` was issued under this key (not whether it was spent: the server's list
    /// says that).
    pub fn verify(&self, token: &DropToken) -> Result<(), Error> {
        if token.message.len() != TOKEN_MESSAGE_LEN || token.signature.len() != SIGNATURE_LEN {
            return Err(token_error("a token has the wrong shape"));
        }
        let randomizer: [u8; 32] = token
            .randomizer
            .as_slice()
            .try_into()
            .map_err(|_| token_error("a token's randomizer is 32 bytes"))?;
        self.0
            .verify(
                &Signature(token.signature.clone()),
                Some(MessageRandomizer(randomizer)),
                &token.message,
            )
            .map_err(|_| token_error("the token's signature does not verify"))
    }
}

// --- asking the server (members only) ---

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blindly_issued_token_verifies_and_a_forged_one_does_not() {
        let issuer = TokenIssuer::generate().unwrap();
        let key = TokenKey::from_der(&issuer.public_key().unwrap().to_der().unwrap()).unwrap();
        let pending = key.blind().unwrap();
        // What the issuer saw is not the message it ends up vouching for.
        assert_ne!(pending.blinded(), &pending.message[..]);
        let signed = issuer.sign_blinded(pending.blinded()).unwrap();
        let token = key.finish(&pending, &signed).unwrap();
        key.verify(&token).unwrap();

        let mut forged = token.clone();
        forged.message[0] ^= 1;
        assert!(matches!(
            key.verify(&forged),
            Err(Error::InvalidField {
                field: "drop token",
                ..
            })
        ));
        let other = TokenIssuer::generate().unwrap().public_key().unwrap();
        assert!(other.verify(&token).is_err());
        assert!(issuer.sign_blinded(b"short").is_err());
        let reloaded = TokenIssuer::from_der(&issuer.to_der().unwrap()).unwrap();
        assert_eq!(
            reloaded.public_key().unwrap().fingerprint().unwrap(),
            key.fingerprint().unwrap()
        );
    }
}
