use porchlight_model::{DocId, DocKind, Role};

use super::*;

fn sample_request() -> SyncRequest {
    SyncRequest {
        cursor: 42,
        push: vec![DocChanges::new(
            DocId::random(),
            DocKind::Patrol,
            [
                SignedChange::from_parts(vec![1, 2, 3], [5; 64]),
                SignedChange::from_parts(vec![0x85, 0x6f, 0x4a, 0x83], [6; 64]),
            ],
        )],
    }
}

#[test]
fn a_signed_change_costs_its_signature_and_a_few_bytes() {
    let change = SignedChange::from_parts(vec![0; 200], [1; 64]);
    let bytes = encode(&change).unwrap();
    assert!(bytes.len() <= 200 + 64 + 6, "{} bytes", bytes.len());
    assert_eq!(decode::<SignedChange>(&bytes).unwrap(), change);
}

#[test]
fn sync_messages_round_trip() {
    let req = sample_request();
    assert_eq!(decode::<SyncRequest>(&encode(&req).unwrap()).unwrap(), req);

    let resp = SyncResponse {
        accepted: 1,
        rejected: vec![Rejected {
            doc: DocId::random(),
            hash: serde_bytes::ByteBuf::from(vec![7; 32]),
            reason: "no".into(),
        }],
        pull: req.push.clone(),
        cursor: 9,
        more: true,
    };
    assert_eq!(
        decode::<SyncResponse>(&encode(&resp).unwrap()).unwrap(),
        resp
    );
}

#[test]
fn ids_travel_as_bytes_in_cbor_and_text_in_json() {
    let group = GroupId::random();
    let cbor = encode(&group).unwrap();
    assert_eq!(cbor.len(), 17, "16 bytes plus a one-byte header");
    assert_eq!(decode::<GroupId>(&cbor).unwrap(), group);
    let json = serde_json::to_string(&group).unwrap();
    assert_eq!(json, format!("\"{group}\""));
    assert_eq!(serde_json::from_str::<GroupId>(&json).unwrap(), group);
}

#[test]
fn auth_messages_round_trip() {
    let key = crate::generate_signing_key();
    let req = CreateInviteRequest {
        invite: crate::SignedInvite::issue(
            &key,
            GroupId::random(),
            [1; 16],
            &[2; 16],
            Role::Volunteer,
            3,
            60,
        ),
    };
    assert_eq!(
        decode::<CreateInviteRequest>(&encode(&req).unwrap()).unwrap(),
        req
    );
    let challenge = Challenge {
        nonce: [9; 32],
        time: 1,
        expires_at: 2,
    };
    assert_eq!(
        decode::<Challenge>(&encode(&challenge).unwrap()).unwrap(),
        challenge
    );
}

#[test]
fn unknown_kind_is_rejected_not_panicking() {
    let mut value = ciborium::Value::serialized(&sample_request()).unwrap();
    // Swap the kind for one that does not exist (fields in declaration order: push, then kind).
    if let ciborium::Value::Map(fields) = &mut value
        && let Some((_, ciborium::Value::Array(push))) = fields.get_mut(1)
        && let Some(ciborium::Value::Map(doc)) = push.get_mut(0)
        && let Some((_, kind)) = doc.get_mut(1)
    {
        *kind = ciborium::Value::Text("gossip".into());
    } else {
        panic!("unexpected shape {value:?}");
    }
    let bytes = encode(&value).unwrap();
    let err = decode::<SyncRequest>(&bytes).unwrap_err();
    assert!(err.to_string().contains("gossip"), "{err}");
}

#[test]
fn truncated_and_trailing_bytes_are_rejected_not_panicking() {
    let bytes = encode(&sample_request()).unwrap();
    for cut in 0..bytes.len() {
        assert!(
            decode::<SyncRequest>(&bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        decode::<SyncRequest>(&longer),
        Err(Error::TrailingBytes { count: 1 })
    ));
}

#[test]
fn random_bytes_are_rejected_not_panicking() {
    // A fixed xorshift stream: deterministic, but covers every header byte many times over.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let template = encode(&sample_request()).unwrap();
    for round in 0..5_000 {
        let mut bytes = template.clone();
        // Flip a few bytes of a valid message, or use pure noise every fourth round.
        if round % 4 == 0 {
            bytes = (0..(next() % 64)).map(|_| next() as u8).collect();
        } else {
            for _ in 0..3 {
                let i = (next() as usize) % bytes.len();
                bytes[i] = next() as u8;
            }
        }
        let _ = decode::<SyncRequest>(&bytes);
        let _ = decode::<SyncResponse>(&bytes);
        let _ = decode::<JoinRequest>(&bytes);
    }
}

/// A token code with a certificate pin of the wrong length (a hand-made or damaged code) is
/// refused when read, before any request would go out; a code printed before pins existed still
/// reads, with no pin.
#[test]
fn a_token_code_with_a_malformed_pin_is_rejected_not_panicking() {
    let code = |pin: Option<Vec<u8>>| super::TokenCode {
        server: "https://watch.example".into(),
        group: GroupId::random(),
        seal_keys: vec![serde_bytes::ByteBuf::from(vec![7; 32])],
        token: super::DropToken {
            message: vec![1; 32],
            randomizer: vec![2; 32],
            signature: vec![3; 256],
        },
        pin: pin.map(serde_bytes::ByteBuf::from),
    };
    let short = code(Some(vec![9; 31])).to_text().unwrap();
    assert!(matches!(
        super::TokenCode::parse(&short),
        Err(crate::Error::InvalidField {
            field: "token code",
            ..
        })
    ));
    let old = super::TokenCode::parse(&code(None).to_text().unwrap()).unwrap();
    assert_eq!(old.fingerprint().unwrap(), None);
    let pinned = super::TokenCode::parse(&code(Some(vec![9; 32])).to_text().unwrap()).unwrap();
    assert_eq!(pinned.fingerprint().unwrap(), Some([9; 32]));
}
