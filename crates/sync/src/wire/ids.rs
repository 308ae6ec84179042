//! Ids on the wire. In CBOR every id travels as a byte string (16 bytes, not 22 characters of
//! base58); in human-readable formats (JSON for the CLI) as the same text people see elsewhere.

use std::fmt;
use std::str::FromStr;

use porchlight_model::{DeviceId, DocId, ValidationError, random_bytes};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The id of a group on a server: the scope of one change log, one member list, one cursor.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId([u8; 16]);

impl GroupId {
    pub fn random() -> Self {
        Self(random_bytes())
    }

    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    pub fn from_slice(bytes: &[u8]) -> Result<Self, ValidationError> {
        let arr: [u8; 16] = bytes.try_into().map_err(|_| ValidationError::Invalid {
            field: "group",
            reason: format!("a group id is 16 bytes, got {}", bytes.len()),
        })?;
        Ok(Self(arr))
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).into_string())
    }
}

impl fmt::Debug for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GroupId({self})")
    }
}

impl FromStr for GroupId {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = bs58::decode(s.trim())
            .into_vec()
            .map_err(|_| ValidationError::Invalid {
                field: "group",
                reason: format!("{s:?} is not a base58 group id"),
            })?;
        Self::from_slice(&bytes)
    }
}

impl Serialize for GroupId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for GroupId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            String::deserialize(d)?.parse().map_err(D::Error::custom)
        } else {
            let bytes = serde_bytes::ByteBuf::deserialize(d)?;
            Self::from_slice(&bytes).map_err(D::Error::custom)
        }
    }
}

/// `#[serde(with = "doc_id")]`: a [`DocId`] as 16 raw bytes in CBOR.
pub mod doc_id {
    use super::{Deserialize, Deserializer, DocId, Serialize, Serializer};
    use serde::de::Error as _;

    pub fn serialize<S: Serializer>(id: &DocId, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            id.serialize(s)
        } else {
            s.serialize_bytes(id.as_bytes())
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DocId, D::Error> {
        if d.is_human_readable() {
            DocId::deserialize(d)
        } else {
            let bytes = serde_bytes::ByteBuf::deserialize(d)?;
            DocId::from_slice(&bytes).map_err(D::Error::custom)
        }
    }
}

/// `#[serde(with = "device_id")]`: a [`DeviceId`] as 16 raw bytes in CBOR.
pub mod device_id {
    use super::{Deserialize, Deserializer, DeviceId, Serialize, Serializer};
    use serde::de::Error as _;

    pub fn serialize<S: Serializer>(id: &DeviceId, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            id.serialize(s)
        } else {
            s.serialize_bytes(id.as_bytes())
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DeviceId, D::Error> {
        if d.is_human_readable() {
            DeviceId::deserialize(d)
        } else {
            let bytes = serde_bytes::ByteBuf::deserialize(d)?;
            let arr: [u8; 16] = bytes.as_slice().try_into().map_err(|_| {
                D::Error::custom(format!("a device id is 16 bytes, got {}", bytes.len()))
            })?;
            Ok(DeviceId::from_bytes(arr))
        }
    }
}
