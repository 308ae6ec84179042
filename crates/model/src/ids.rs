//! Identifiers. Document ids are 16 random bytes shown as base58 (the form automerge-repo uses), so
//! ids made on different devices never collide and never encode who made them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ValidationError;

/// Fills `buf` from the operating system's random source.
///
/// # Panics
/// Only if the OS has no usable random source, in which case nothing about ids or keys can be safe
/// and carrying on would be worse than stopping.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system's random source is unavailable");
    buf
}

/// The id of one Automerge document (one record).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct DocId([u8; 16]);

impl DocId {
    pub fn random() -> Self {
        Self(random_bytes())
    }

    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Accepts a 16-byte slice (as stored in SQLite or sent on the wire).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ValidationError> {
        let arr: [u8; 16] = bytes.try_into().map_err(|_| ValidationError::Invalid {
            field: "id",
            reason: format!("a document id is 16 bytes, got {}", bytes.len()),
        })?;
        Ok(Self(arr))
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).into_string())
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocId({self})")
    }
}

impl FromStr for DocId {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = bs58::decode(s.trim())
            .into_vec()
            .map_err(|_| ValidationError::Invalid {
                field: "id",
                reason: format!("{s:?} is not a base58 document id"),
            })?;
        Self::from_slice(&bytes)
    }
}

impl Serialize for DocId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DocId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A device's id: the first 16 bytes of the BLAKE3 hash of its Ed25519 public key, computed by the
/// caller (the model has no crypto). It doubles as the device's Automerge actor id for the
/// documents it writes under its own name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct DeviceId([u8; 16]);

impl DeviceId {
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    pub fn from_hex(s: &str) -> Result<Self, ValidationError> {
        let bytes = unhex(s).ok_or_else(|| ValidationError::Invalid {
            field: "device",
            reason: format!("{s:?} is not a 32-digit hex device id"),
        })?;
        let arr: [u8; 16] = bytes.try_into().map_err(|_| ValidationError::Invalid {
            field: "device",
            reason: format!("{s:?} is not a 32-digit hex device id"),
        })?;
        Ok(Self(arr))
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({self})")
    }
}

impl Serialize for DeviceId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DeviceId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Parses lower- or upper-case hex; `None` when it is not hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_id_round_trips_through_base58() {
        let id = DocId::random();
        let text = id.to_string();
        assert_eq!(text.parse::<DocId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<DocId>(&json).unwrap(), id);
    }

    #[test]
    fn bad_doc_ids_are_rejected_not_panicking() {
        assert!("0OIl".parse::<DocId>().is_err()); // not base58
        assert!("abc".parse::<DocId>().is_err()); // too short
    }

    #[test]
    fn hex_round_trips() {
        let d = DeviceId::from_bytes([0xab; 16]);
        assert_eq!(DeviceId::from_hex(&d.to_hex()).unwrap(), d);
        assert!(DeviceId::from_hex("zz").is_err());
        assert!(unhex("abc").is_none());
    }
}
