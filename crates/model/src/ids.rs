//! Identifiers. Document ids are 16 random bytes shown as base58 (the form automerge-repo uses), so
//! ids made on different devices never collide and never encode who made them.

use std::fmt;

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

/// Declares a 16-byte id shown as base58: text in human-readable formats (JSON, the CLI), raw
/// bytes in binary ones (CBOR on the wire). Used for document ids here and group ids in the sync
/// protocol, so both behave the same everywhere.
#[macro_export]
macro_rules! base58_id {
    ($(#[$meta:meta])* $name:ident, $field:literal, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; 16]);

        impl $name {
            pub fn random() -> Self {
                Self($crate::random_bytes())
            }

            pub const fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(bytes)
            }

            pub const fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// Accepts a 16-byte slice (as stored in SQLite or sent on the wire).
            pub fn from_slice(bytes: &[u8]) -> Result<Self, $crate::ValidationError> {
                let arr: [u8; 16] =
                    bytes.try_into().map_err(|_| $crate::ValidationError::Invalid {
                        field: $field,
                        reason: format!(concat!("a ", $what, " id is 16 bytes, got {}"), bytes.len()),
                    })?;
                Ok(Self(arr))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&$crate::base58_encode(&self.0))
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ValidationError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let bytes = $crate::base58_decode(s.trim()).ok_or_else(|| {
                    $crate::ValidationError::Invalid {
                        field: $field,
                        reason: format!(concat!("{:?} is not a base58 ", $what, " id"), s),
                    }
                })?;
                Self::from_slice(&bytes)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.collect_str(self)
                } else {
                    s.serialize_bytes(&self.0)
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                use serde::de::Error as _;
                if d.is_human_readable() {
                    let s = String::deserialize(d)?;
                    s.parse().map_err(D::Error::custom)
                } else {
                    d.deserialize_bytes($crate::IdBytesVisitor)
                        .and_then(|b| Self::from_slice(&b).map_err(D::Error::custom))
                }
            }
        }
    };
}

base58_id!(
    /// The id of one Automerge document (one record).
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
    DocId,
    "id",
    "document"
);

/// Base58 text of `bytes` (the alphabet automerge-repo uses).
pub fn base58_encode(bytes: &[u8]) -> String {
    bs58::encode(bytes).into_string()
}

/// Bytes of base58 text; `None` when it is not base58.
pub fn base58_decode(text: &str) -> Option<Vec<u8>> {
    bs58::decode(text).into_vec().ok()
}

/// Reads an id sent as a byte string (or, from lenient encoders, a sequence of bytes).
#[doc(hidden)]
#[derive(Debug)]
pub struct IdBytesVisitor;

impl<'de> serde::de::Visitor<'de> for IdBytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("16 bytes")
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }

    fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut out = Vec::with_capacity(16);
        while let Some(b) = seq.next_element::<u8>()? {
            if out.len() == 16 {
                return Err(serde::de::Error::invalid_length(17, &self));
            }
            out.push(b);
        }
        Ok(out)
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

    /// The id in `bytes` (an Automerge actor id, say), which must be exactly 16 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ValidationError> {
        let arr: [u8; 16] = bytes.try_into().map_err(|_| ValidationError::Invalid {
            field: "device",
            reason: format!("a device id has 16 bytes, not {}", bytes.len()),
        })?;
        Ok(Self(arr))
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
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for DeviceId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            Self::from_hex(&s).map_err(D::Error::custom)
        } else {
            let bytes = d.deserialize_bytes(IdBytesVisitor)?;
            let arr: [u8; 16] = bytes.as_slice().try_into().map_err(|_| {
                D::Error::custom(format!("a device id is 16 bytes, got {}", bytes.len()))
            })?;
            Ok(Self(arr))
        }
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
