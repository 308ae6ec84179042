//! The four targets. Results are thrown away on purpose: a target only has to return.

use std::sync::OnceLock;

use porchlight_crdt::{
    CHUNK_MAGIC, Doc, MAX_CHANGE_BYTES, forge, read_ack, read_alert, read_group, read_patrol,
    read_report, read_triage,
};
use porchlight_media::Limits;
use porchlight_model::{DocId, DocKind};
use porchlight_sync::SigningKey;
use porchlight_sync::seal::{self, sealing_public, sealing_secret};
use porchlight_sync::wire::{
    self, CreateGroupRequest, CreateInviteRequest, DropRequest, JoinRequest, RevokeRequest,
    SessionRequest, SyncRequest,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    CheckChange,
    DecodeRequest,
    OpenEnvelope,
    PhotoIntake,
}

impl Target {
    pub const ALL: [Target; 4] = [
        Target::CheckChange,
        Target::DecodeRequest,
        Target::OpenEnvelope,
        Target::PhotoIntake,
    ];

    /// The target's name: its cargo-fuzz binary and its corpus directory (`fuzz/corpus/<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Target::CheckChange => "check_change",
            Target::DecodeRequest => "decode_request",
            Target::OpenEnvelope => "open_envelope",
            Target::PhotoIntake => "photo_intake",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    pub(crate) fn index(self) -> u64 {
        self as u64
    }

    pub fn run(self, data: &[u8]) {
        match self {
            Target::CheckChange => check_change(data),
            Target::DecodeRequest => decode_request(data),
            Target::OpenEnvelope => open_envelope(data),
            Target::PhotoIntake => photo_intake(data),
        }
    }
}

/// A change as the server (push) and devices (pull, drops) check it; a change that passes is
/// also applied to an empty document of every kind and read back, as a device would.
///
/// A fuzzer cannot guess SHA-256 checksums, so nearly every mutation would stop at the checksum.
/// The bytes are therefore also tried with the checksum (and chunk length) made to match.
pub fn check_change(data: &[u8]) {
    check_and_apply(data);
    if data.len() > 9 && data[..4] == CHUNK_MAGIC {
        let len_bytes = data[9..].iter().take_while(|b| **b >= 0x80).count() + 1;
        if let Some(body) = data.get(9 + len_bytes..) {
            check_and_apply(&forge::chunk_from_body(body));
        }
    }
}

fn check_and_apply(data: &[u8]) {
    if porchlight_crdt::check_change(data, None, MAX_CHANGE_BYTES).is_err() {
        return;
    }
    let changes = [data.to_vec()];
    for kind in DocKind::ALL {
        let mut doc = Doc::empty(DocId::from_bytes([1; 16]), kind, &[2; 16]);
        if doc.apply_remote(&changes).is_err() || !doc.is_readable() {
            continue;
        }
        let _ = doc.conflicts();
        match kind {
            DocKind::Group => drop(read_group(&doc)),
            DocKind::Alert => drop(read_alert(&doc)),
            DocKind::Patrol => drop(read_patrol(&doc)),
            DocKind::Report => drop(read_report(&doc)),
            DocKind::Triage => drop(read_triage(&doc)),
            DocKind::Ack => drop(read_ack(&doc)),
        }
    }
}

/// A CBOR request body as the server decodes it, for every body an outsider can send; the
/// changes of a decoded sync request are checked as the server checks them.
pub fn decode_request(data: &[u8]) {
    if let Ok(request) = wire::decode::<SyncRequest>(data) {
        for doc in &request.push {
            for change in &doc.changes {
                let _ = porchlight_crdt::check_change(change.bytes(), None, MAX_CHANGE_BYTES);
            }
        }
    }
    drop(wire::decode::<DropRequest>(data));
    drop(wire::decode::<JoinRequest>(data));
    drop(wire::decode::<CreateGroupRequest>(data));
    drop(wire::decode::<SessionRequest>(data));
    drop(wire::decode::<CreateInviteRequest>(data));
    drop(wire::decode::<RevokeRequest>(data));
}

/// The fixed device key the envelope target opens with (the seeds are sealed for it).
pub fn fuzz_signing_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

/// Its sealing public key, for making seeds.
pub fn fuzz_sealing_public() -> [u8; 32] {
    sealing_public(&fuzz_signing_key().verifying_key().to_bytes())
        .unwrap_or_else(|| unreachable!("a fixed valid key"))
}

/// The reply key the envelope target also tries (replies are the other sealed format).
pub const FUZZ_REPLY_KEY: [u8; 32] = [43; 32];

/// A sealed drop envelope (and a sealed reply) opened with a fixed key, as a coordinator's
/// device opens what it pulls from the drop box.
pub fn open_envelope(data: &[u8]) {
    static SECRET: OnceLock<crypto_box::SecretKey> = OnceLock::new();
    let secret = SECRET.get_or_init(|| sealing_secret(&fuzz_signing_key()));
    if let Ok(message) = seal::open(data, secret) {
        // What a drop holds is CBOR too; decoding it as a request covers the same decoder.
        decode_request(&message);
    }
    drop(seal::open_reply(&FUZZ_REPLY_KEY, data));
}

/// A photo through the app's intake: sniff, header checks, decode, clean and re-encode. The
/// limits are the app's, except smaller images, so one run stays fast; a decoder that allocates
/// beyond what the header allows still shows up against the memory limit.
pub fn photo_intake(data: &[u8]) {
    drop(porchlight_media::intake(data, &fuzz_limits()));
}

pub fn fuzz_limits() -> Limits {
    Limits {
        max_input_bytes: 1 << 20,
        max_pixels: 1 << 20,
        max_side: 4096,
        max_decode_alloc: 16 << 20,
        ..Limits::default()
    }
}
