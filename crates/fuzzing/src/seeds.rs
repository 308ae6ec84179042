//! The seed corpus: honest inputs of every kind plus the known bombs. Committed under
//! `fuzz/corpus/<target>/`; `PORCHLIGHT_WRITE_SEEDS=1 cargo test -p porchlight-fuzzing seeds`
//! rewrites it.
//!
//! Request seeds are built as untyped CBOR maps with today's field names, so they stay valid
//! seeds (and keep compiling) when a request type grows a field.

use std::io::Cursor;

use ciborium::Value;
use porchlight_crdt::forge::{self, bomb_ops, bomb_preds, bomb_string};
use porchlight_sync::seal;

use crate::Target;
use crate::targets::{FUZZ_REPLY_KEY, fuzz_sealing_public};

/// The bombs, by file name: each must be refused by the pre-check before Automerge runs.
pub fn bombs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("bomb-preds-2e31", bomb_preds(1 << 31)),
        ("bomb-ops-2e40", bomb_ops(1 << 40)),
        ("bomb-string-1e9", bomb_string(999_999_999)),
    ]
}

/// Every seed of `target`, by file name.
pub fn seeds(target: Target) -> Vec<(String, Vec<u8>)> {
    match target {
        Target::CheckChange => change_seeds(),
        Target::DecodeRequest => request_seeds(),
        Target::OpenEnvelope => envelope_seeds(),
        Target::PhotoIntake => photo_seeds(),
    }
}

fn change_seeds() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = forge::honest_changes()
        .into_iter()
        .filter(|(name, _)| name != "patrol-track-long")
        .collect();
    out.extend(bombs().into_iter().map(|(n, b)| (n.to_owned(), b)));
    out.push(("forged-preds-3".into(), forge::forged_preds(3, 4)));
    // Found by this target: an op listing itself as its predecessor (Automerge panics later).
    out.push(("crash-pred-itself".into(), bomb_preds(3)));
    out.push(("forged-ops-3".into(), bomb_ops(3)));
    out
}

fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap_or_else(|e| unreachable!("in memory: {e}"));
    out
}

fn map(fields: Vec<(&str, Value)>) -> Value {
    Value::Map(
        fields
            .into_iter()
            .map(|(k, v)| (Value::Text(k.to_owned()), v))
            .collect(),
    )
}

fn bytes(b: &[u8]) -> Value {
    Value::Bytes(b.to_vec())
}

/// A sync request pushing `changes` to one report-kind document.
fn sync_request(changes: &[Vec<u8>]) -> Vec<u8> {
    cbor(&map(vec![
        ("cursor", Value::Integer(7.into())),
        (
            "push",
            Value::Array(vec![map(vec![
                ("doc", bytes(&[5; 16])),
                ("kind", Value::Text("patrol".into())),
                (
                    "changes",
                    Value::Array(changes.iter().map(|c| bytes(c)).collect()),
                ),
            ])]),
        ),
    ]))
}

fn request_seeds() -> Vec<(String, Vec<u8>)> {
    let honest: Vec<Vec<u8>> = forge::honest_changes()
        .into_iter()
        .filter(|(name, _)| name.starts_with("patrol") && name != "patrol-track-long")
        .map(|(_, b)| b)
        .collect();
    let sealed = seal::seal(b"hello", &[fuzz_sealing_public()]).unwrap_or_default();
    vec![
        ("sync".into(), sync_request(&honest)),
        (
            "sync-bombs".into(),
            sync_request(&bombs().into_iter().map(|(_, b)| b).collect::<Vec<_>>()),
        ),
        (
            "drop".into(),
            cbor(&map(vec![
                ("group", bytes(&[6; 16])),
                ("sealed", bytes(&sealed)),
            ])),
        ),
        (
            "join".into(),
            cbor(&map(vec![
                ("invite", bytes(&[1; 16])),
                ("secret", bytes(&[2; 16])),
                ("public_key", bytes(&[3; 32])),
                ("display_name", Value::Text("Ana".into())),
                ("signature", bytes(&[4; 64])),
            ])),
        ),
        (
            "create-group".into(),
            cbor(&map(vec![
                ("name", Value::Text("Elm Street".into())),
                ("display_name", Value::Text("Ana".into())),
                ("public_key", bytes(&[3; 32])),
                ("nonce", bytes(&[5; 32])),
                ("time", Value::Integer(1_780_000_000.into())),
                ("signature", bytes(&[4; 64])),
                ("creation_token", Value::Null),
            ])),
        ),
        (
            "session".into(),
            cbor(&map(vec![
                ("group", bytes(&[6; 16])),
                ("public_key", bytes(&[3; 32])),
                ("nonce", bytes(&[5; 32])),
                ("time", Value::Integer(1_780_000_000.into())),
                ("signature", bytes(&[4; 64])),
            ])),
        ),
        (
            "invite".into(),
            cbor(&map(vec![
                ("role", Value::Text("volunteer".into())),
                ("uses", Value::Integer(5.into())),
                ("valid_for_secs", Value::Integer(86_400.into())),
            ])),
        ),
        (
            "revoke".into(),
            cbor(&map(vec![("device", bytes(&[8; 16]))])),
        ),
    ]
}

fn envelope_seeds() -> Vec<(String, Vec<u8>)> {
    let to = [fuzz_sealing_public()];
    let report: Vec<Vec<u8>> = forge::honest_changes()
        .into_iter()
        .filter(|(name, _)| name.starts_with("report"))
        .map(|(_, b)| b)
        .collect();
    let mut out = Vec::new();
    if let Ok(e) = seal::seal(&sync_request(&report), &to) {
        out.push(("envelope-report".into(), e));
    }
    if let Ok(e) = seal::seal(&sync_request(&[bomb_preds(1 << 31)]), &to) {
        out.push(("envelope-bomb".into(), e));
    }
    if let Ok(e) = seal::seal(b"x", &[[9; 32], to[0]]) {
        out.push(("envelope-two-keys".into(), e));
    }
    if let Ok(e) = seal::seal_reply(&FUZZ_REPLY_KEY, b"Thank you, we are looking into it.") {
        out.push(("reply".into(), e));
    }
    out
}

fn photo_seeds() -> Vec<(String, Vec<u8>)> {
    let img = image::RgbImage::from_fn(24, 16, |x, y| {
        image::Rgb([(x * 10) as u8, (y * 15) as u8, ((x + y) * 5) as u8])
    });
    let mut out = Vec::new();
    for (name, format) in [
        ("small.png", image::ImageFormat::Png),
        ("small.jpg", image::ImageFormat::Jpeg),
        ("small.webp", image::ImageFormat::WebP),
    ] {
        let mut buf = Cursor::new(Vec::new());
        if img.write_to(&mut buf, format).is_ok() {
            out.push((name.to_owned(), buf.into_inner()));
        }
    }
    // A PNG whose header claims 100,000 × 100,000 pixels: must be refused before decoding.
    if let Some((_, png)) = out.iter().find(|(n, _)| n == "small.png") {
        let mut huge = png.clone();
        // IHDR's width and height sit at bytes 16..24.
        huge[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        huge[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        out.push(("huge-header.png".into(), huge));
    }
    out
}
