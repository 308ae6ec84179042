//! Checks one untrusted Automerge change chunk before anything stores or applies it. The server
//! runs this on every pushed change; a client can run it on its outbox to find a bad change before
//! the server refuses the whole request.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use porchlight_model::{DeviceId, hex};

use crate::columns::{Declared, declared};

/// Every Automerge chunk starts with these bytes.
pub const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Magic, checksum and chunk type: the bytes we can judge without parsing anything.
pub(crate) const HEADER_LEN: usize = 9;

const CHUNK_DOCUMENT: u8 = 0;
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;

/// Why a change was refused. Each reads as a sentence that tells the sender what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeProblem {
    TooLarge {
        len: usize,
        max: usize,
    },
    TooShort {
        len: usize,
    },
    NotAutomerge,
    WholeDocument,
    Compressed,
    UnknownChunkType(u8),
    /// The pre-check found the chunk's structure broken (before Automerge saw it).
    Malformed(&'static str),
    /// The chunk declares more operations than a change of its length may hold.
    TooManyOps {
        declared: u64,
        max: u64,
    },
    /// The chunk declares more predecessor references than a change of its length may hold.
    TooManyPreds {
        declared: u64,
        max: u64,
    },
    /// The chunk declares more value bytes than it holds.
    TooManyValueBytes {
        declared: u64,
        max: u64,
    },
    /// One of the chunk's columns declares more entries than a change of its length may hold.
    TooManyEntries {
        declared: u64,
        max: u64,
    },
    /// An op lists a predecessor that is not older than itself.
    PredNotBefore {
        op: u64,
        pred: u64,
    },
    Unparseable(String),
    ChecksumMismatch,
    WrongActor {
        actor: String,
        device: DeviceId,
    },
    Panicked,
}

impl fmt::Display for ChangeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { len, max } => {
                write!(
                    f,
                    "the change is {len} bytes, more than the {max} allowed for one change"
                )
            }
            Self::TooShort { len } => write!(f, "{len} bytes is too short to be a change chunk"),
            Self::NotAutomerge => f.write_str("not an Automerge chunk (wrong magic bytes)"),
            Self::WholeDocument => f.write_str(
                "this is a whole saved document, not a change; send the document's changes instead",
            ),
            Self::Compressed => f.write_str(
                "compressed change chunks are not accepted; send uncompressed changes (raw bytes)",
            ),
            Self::UnknownChunkType(t) => write!(f, "unknown Automerge chunk type {t}"),
            Self::Malformed(why) => write!(f, "the change could not be parsed: {why}"),
            Self::TooManyOps { declared, max } => write!(
                f,
                "the change declares {declared} operations, more than the {max} a change of \
                 its size may hold"
            ),
            Self::TooManyPreds { declared, max } => write!(
                f,
                "the change declares {declared} predecessor references, more than the {max} a \
                 change of its size may hold"
            ),
            Self::TooManyValueBytes { declared, max } => write!(
                f,
                "the change declares {declared} bytes of values but is only {max} bytes long"
            ),
            Self::TooManyEntries { declared, max } => write!(
                f,
                "a column of the change declares {declared} entries, more than the {max} a \
                 change of its size may hold"
            ),
            Self::PredNotBefore { op, pred } => write!(
                f,
                "op {op} of the change lists op {pred} as its predecessor, but a predecessor \
                 must be older than the op"
            ),
            Self::Unparseable(why) => write!(f, "the change could not be parsed: {why}"),
            Self::ChecksumMismatch => {
                f.write_str("the change's checksum does not match its contents (corrupted)")
            }
            Self::WrongActor { actor, device } => write!(
                f,
                "the change was written by actor {actor}, but only this device's own actor \
                 ({device}) may be uploaded by it"
            ),
            Self::Panicked => f.write_str("the change could not be parsed (the parser failed)"),
        }
    }
}

/// A change that passed [`check_change`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedChange {
    /// The Automerge change hash, the change's identity everywhere.
    pub hash: [u8; 32],
    pub actor: Vec<u8>,
}

/// Accepts exactly one plain (uncompressed) Automerge change chunk no longer than `max_len`, with
/// a matching checksum, written by `device` when one is given.
///
/// The header is judged first, by looking at bytes only: a compressed chunk can inflate to
/// gigabytes and a document chunk can hold any number of changes, so neither is ever handed to
/// the parser. What the columns declare (ops, predecessors, value bytes) is then bounded by the
/// chunk's length ([`crate::Bounds`]) without decoding them. The parser then runs under `catch_unwind`, because a panic on hostile bytes must
/// cost one refused change, not the process.
pub fn check_change(
    bytes: &[u8],
    device: Option<&DeviceId>,
    max_len: usize,
) -> Result<CheckedChange, ChangeProblem> {
    parse_checked(bytes, device, max_len).map(|(_, checked)| checked)
}

/// The part of [`check_change`] that runs before Automerge sees the bytes: the length limit, the
/// header, and what the columns declare (see [`crate::columns`]). Public so that the bench can
/// time it on its own.
pub fn precheck(bytes: &[u8], max_len: usize) -> Result<Declared, ChangeProblem> {
    if bytes.len() > max_len {
        return Err(ChangeProblem::TooLarge {
            len: bytes.len(),
            max: max_len,
        });
    }
    if bytes.len() < HEADER_LEN {
        return Err(ChangeProblem::TooShort { len: bytes.len() });
    }
    if bytes[..4] != CHUNK_MAGIC {
        return Err(ChangeProblem::NotAutomerge);
    }
    match bytes[8] {
        CHUNK_CHANGE => {}
        CHUNK_DOCUMENT => return Err(ChangeProblem::WholeDocument),
        CHUNK_COMPRESSED => return Err(ChangeProblem::Compressed),
        other => return Err(ChangeProblem::UnknownChunkType(other)),
    }
    declared(bytes)
}

/// [`check_change`], also handing back the parsed change for applying it.
pub(crate) fn parse_checked(
    bytes: &[u8],
    device: Option<&DeviceId>,
    max_len: usize,
) -> Result<(automerge::Change, CheckedChange), ChangeProblem> {
    // Never hand Automerge a chunk whose declared sizes we have not bounded: its parser trusts
    // them, and running out of memory aborts the process where a panic would not.
    precheck(bytes, max_len)?;
    let parsed = catch_unwind(AssertUnwindSafe(|| automerge::Change::try_from(bytes)))
        .map_err(|_| ChangeProblem::Panicked)?
        .map_err(|e| ChangeProblem::Unparseable(e.to_string()))?;
    let hash = parsed.hash().0;
    // Automerge's parser does not compare the stored checksum with the contents; we must, or a
    // corrupted change would be stored under a hash that is not its own.
    if bytes[4..8] != hash[..4] {
        return Err(ChangeProblem::ChecksumMismatch);
    }
    let actor = parsed.actor_id().to_bytes().to_vec();
    if let Some(device) = device
        && actor.as_slice() != device.as_bytes()
    {
        return Err(ChangeProblem::WrongActor {
            actor: hex(&actor),
            device: *device,
        });
    }
    Ok((parsed, CheckedChange { hash, actor }))
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{ActorId, AutoCommit, ROOT};

    use super::*;

    fn device() -> DeviceId {
        DeviceId::from_bytes([7; 16])
    }

    fn doc_with(text: &str) -> AutoCommit {
        let mut doc = AutoCommit::new().with_actor(ActorId::from(device().as_bytes().as_slice()));
        doc.put(ROOT, "note", text).unwrap();
        doc
    }

    fn one_change(text: &str) -> automerge::Change {
        doc_with(text)
            .get_changes(&[])
            .into_iter()
            .next()
            .unwrap()
            .clone()
    }

    #[test]
    fn a_plain_change_by_its_device_passes() {
        let change = one_change("hello");
        let checked = check_change(change.raw_bytes(), Some(&device()), 1 << 20).unwrap();
        assert_eq!(checked.hash, change.hash().0);
    }

    #[test]
    fn a_compressed_change_is_rejected_not_panicking() {
        let mut change = one_change(&"long text ".repeat(200));
        let bytes = change.bytes().into_owned();
        assert_eq!(bytes[8], CHUNK_COMPRESSED, "big changes compress");
        assert_eq!(
            check_change(&bytes, None, 1 << 20),
            Err(ChangeProblem::Compressed)
        );
    }

    #[test]
    fn a_whole_document_is_rejected_not_panicking() {
        let bytes = doc_with("x").save();
        assert_eq!(
            check_change(&bytes, None, 1 << 20),
            Err(ChangeProblem::WholeDocument)
        );
    }

    #[test]
    fn a_corrupted_checksum_is_rejected_not_panicking() {
        let mut bytes = one_change("x").raw_bytes().to_vec();
        bytes[5] ^= 0xff;
        assert_eq!(
            check_change(&bytes, None, 1 << 20),
            Err(ChangeProblem::ChecksumMismatch)
        );
    }

    #[test]
    fn another_actor_is_rejected_not_panicking() {
        let change = one_change("x");
        let other = DeviceId::from_bytes([8; 16]);
        assert!(matches!(
            check_change(change.raw_bytes(), Some(&other), 1 << 20),
            Err(ChangeProblem::WrongActor { .. })
        ));
    }

    #[test]
    fn garbage_and_truncations_are_rejected_not_panicking() {
        let bytes = one_change("some text").raw_bytes().to_vec();
        for cut in 0..bytes.len() {
            assert!(check_change(&bytes[..cut], None, 1 << 20).is_err());
        }
        for i in HEADER_LEN..bytes.len() {
            let mut b = bytes.clone();
            b[i] = b[i].wrapping_add(1);
            // The checksum covers every byte after the header, so any edit is caught.
            assert!(
                check_change(&b, None, 1 << 20).is_err(),
                "edit at {i} slipped through"
            );
        }
        assert_eq!(
            check_change(&bytes, None, 10),
            Err(ChangeProblem::TooLarge {
                len: bytes.len(),
                max: 10
            })
        );
    }
}
