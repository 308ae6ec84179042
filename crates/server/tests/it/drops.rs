//! The anonymous drop box: posting without a session but with a drop token, what is (not)
//! stored, coordinators paging through it, and every way a drop can be refused.

use crate::common;

use common::{
    TestServer, coordinator, drop_tokens, error_body, expect_http, member, paid_drop, post_raw,
    raw_http, sealed, send_raw,
};
use porchlight_model::Role;
use porchlight_sync::wire::{self, DROP_SIZE_CLASSES, DropRequest, MAX_DROP_BODY, MAX_DROP_SEALED};
use porchlight_sync::{AnonymousClient, GroupId};
use reqwest::Method;

/// A drop without a token (how every drop looked before tokens).
fn unpaid(group: GroupId, seed: u8) -> DropRequest {
    DropRequest {
        group,
        sealed: sealed(seed, DROP_SIZE_CLASSES[0]),
        token: None,
    }
}

#[tokio::test]
async fn a_drop_spending_a_token_is_accepted_without_a_session() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;

    let accepted = AnonymousClient::drop(&server.url, &paid_drop(&coord, 1).await)
        .await
        .unwrap();
    assert!(accepted.accepted);

    // A plain request with no Authorization header at all gets 202 and the same answer.
    let body = wire::encode(&paid_drop(&coord, 2).await).unwrap();
    let (status, _, answer) = send_raw(
        &server,
        Method::POST,
        "/v1/drop",
        None,
        "application/cbor",
        body,
    )
    .await;
    assert_eq!(status, 202);
    let answer: wire::DropAccepted = wire::decode(&answer).unwrap();
    assert!(answer.accepted);
    assert_eq!(server.drop_count(coord.group()).await, 2);
    // Drops are not changes: the group's change log is untouched.
    assert_eq!(server.change_count(coord.group()).await, 0);
}

#[tokio::test]
async fn coordinators_page_through_drops_oldest_first() {
    let server = TestServer::start_with(|s| s.page_drops = 3).await;
    let coord = coordinator(&server).await;
    let mut sent = Vec::new();
    for seed in 0..7 {
        let drop = paid_drop(&coord, seed).await;
        sent.push(drop.sealed.clone());
        AnonymousClient::drop(&server.url, &drop).await.unwrap();
    }
    // Another group's drop never shows up in this group's box.
    let other = coordinator(&server).await;
    AnonymousClient::drop(&server.url, &paid_drop(&other, 99).await)
        .await
        .unwrap();

    let page = coord.client.drops(&coord.session, 0, 2).await.unwrap();
    assert_eq!(page.drops.iter().map(|d| d.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!((page.cursor, page.more), (2, true));

    // A limit above the server's page_drops is capped by it.
    let page = coord
        .client
        .drops(&coord.session, page.cursor, 100)
        .await
        .unwrap();
    assert_eq!(
        page.drops.iter().map(|d| d.seq).collect::<Vec<_>>(),
        [3, 4, 5]
    );
    assert_eq!((page.cursor, page.more), (5, true));

    let last = coord
        .client
        .drops(&coord.session, page.cursor, 100)
        .await
        .unwrap();
    assert_eq!(last.drops.iter().map(|d| d.seq).collect::<Vec<_>>(), [6, 7]);
    assert_eq!((last.cursor, last.more), (7, false));

    let empty = coord.client.drops(&coord.session, 7, 100).await.unwrap();
    assert_eq!((empty.drops.len(), empty.cursor, empty.more), (0, 7, false));

    // The bytes come back exactly as sent, oldest first.
    let mut all = Vec::new();
    let mut cursor = 0;
    loop {
        let page = coord.client.drops(&coord.session, cursor, 3).await.unwrap();
        all.extend(page.drops.into_iter().map(|d| d.sealed));
        cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    assert_eq!(all, sent);

    let theirs = other.client.drops(&other.session, 0, 100).await.unwrap();
    assert_eq!(theirs.drops.len(), 1);
    assert_eq!(theirs.drops[0].seq, 1, "drop numbers count per group");
}

#[tokio::test]
async fn residents_and_volunteers_cannot_list_drops() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    AnonymousClient::drop(&server.url, &paid_drop(&coord, 1).await)
        .await
        .unwrap();
    for role in [Role::Resident, Role::Volunteer] {
        let device = member(&server, &coord, role).await;
        let message = expect_http(
            device.client.drops(&device.session, 0, 10).await,
            403,
            "forbidden",
        );
        assert!(message.contains("coordinator"), "{message}");
    }
    // And nobody without a token.
    let (status, _, body) = send_raw(&server, Method::GET, "/v1/drops", None, "", vec![]).await;
    assert_eq!(
        (status, error_body(&body).kind.as_str()),
        (401, "unauthorized")
    );
}

#[tokio::test]
async fn a_drop_listing_with_a_bad_query_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    for query in ["?limit=0", "?after=-1", "?after=lots"] {
        let (status, _, body) = send_raw(
            &server,
            Method::GET,
            &format!("/v1/drops{query}"),
            Some(coord.session.token()),
            "",
            vec![],
        )
        .await;
        let error = error_body(&body);
        assert_eq!(
            (status, error.kind.as_str()),
            (400, "bad_request"),
            "{query}"
        );
    }
    server.assert_healthy().await;
}

#[tokio::test]
async fn an_oversized_drop_is_rejected_not_panicking() {
    // The global limit (8 MiB) would let 2 MiB through: the drop box has its own, smaller one.
    let server = TestServer::start().await;
    assert!(server.settings.body_limit > 2 << 20);
    let coord = coordinator(&server).await;
    let mut body = wire::encode(&DropRequest {
        group: coord.group(),
        sealed: sealed(1, 2 << 20),
        token: None,
    })
    .unwrap();

    // Announced with Content-Length: refused from the header alone, before any body is sent.
    let head = format!(
        "POST /v1/drop HTTP/1.1\r\nHost: test\r\nContent-Type: application/cbor\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let response = raw_http(&server, &head, b"").await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.contains("too_large") && response.contains(&MAX_DROP_BODY.to_string()),
        "{response}"
    );

    // Chunked, without a length: cut off at the limit while streaming.
    let head = "POST /v1/drop HTTP/1.1\r\nHost: test\r\nContent-Type: application/cbor\r\n\
                Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    let mut chunked = format!("{:x}\r\n", body.len()).into_bytes();
    chunked.append(&mut body);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let response = raw_http(&server, head, &chunked).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("too_large"), "{response}");

    assert_eq!(server.drop_count(coord.group()).await, 0, "nothing stored");
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_drop_to_an_unknown_group_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let nowhere = GroupId::random();
    let mut drop = paid_drop(&coord, 1).await;
    drop.group = nowhere;
    // A group that issued no tokens has no valid ones, whether or not it exists.
    let result = AnonymousClient::drop(&server.url, &drop).await;
    let message = expect_http(result, 403, "drop_token_invalid");
    assert!(message.contains("group"), "{message}");
    assert_eq!(server.drop_count(nowhere).await, 0);
    assert_eq!(server.drop_count(coord.group()).await, 0);
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_drop_smaller_than_the_smallest_size_class_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let token = drop_tokens(&coord, 1).await.pop();
    for len in [0, 1, DROP_SIZE_CLASSES[0] - 1] {
        let drop = DropRequest {
            group: coord.group(),
            sealed: sealed(1, len),
            token: token.clone(),
        };
        let message = expect_http(
            AnonymousClient::drop(&server.url, &drop).await,
            400,
            "bad_request",
        );
        assert!(
            message.contains(&DROP_SIZE_CLASSES[0].to_string()),
            "{message}"
        );
    }
    assert_eq!(server.drop_count(coord.group()).await, 0);
    // A refused drop does not use up its token.
    let drop = DropRequest {
        group: coord.group(),
        sealed: sealed(1, DROP_SIZE_CLASSES[0]),
        token,
    };
    AnonymousClient::drop(&server.url, &drop).await.unwrap();
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_drop_larger_than_the_largest_envelope_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    // The body still fits under MAX_DROP_BODY; the envelope inside it does not.
    let drop = DropRequest {
        group: coord.group(),
        sealed: sealed(1, MAX_DROP_SEALED + 1),
        token: drop_tokens(&coord, 1).await.pop(),
    };
    assert!(wire::encode(&drop).unwrap().len() <= MAX_DROP_BODY);
    let message = expect_http(
        AnonymousClient::drop(&server.url, &drop).await,
        400,
        "bad_request",
    );
    assert!(message.contains(&MAX_DROP_SEALED.to_string()), "{message}");
    assert_eq!(server.drop_count(coord.group()).await, 0);
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_malformed_drop_is_rejected_not_panicking() {
    use ciborium::Value;
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let good = wire::encode(&paid_drop(&coord, 1).await).unwrap();
    let mut trailing = good.clone();
    trailing.push(0);
    let wrong_group = wire::encode(&Value::Map(vec![
        (Value::Text("group".into()), Value::Bytes(vec![1, 2, 3])),
        (
            Value::Text("sealed".into()),
            Value::Bytes(sealed(1, DROP_SIZE_CLASSES[0])),
        ),
    ]))
    .unwrap();
    for body in [
        b"\xff\x00not cbor".to_vec(),
        Vec::new(),
        b"\xa1\x61x\x01".to_vec(),
        good[..good.len() / 2].to_vec(),
        trailing,
        wrong_group,
    ] {
        let (status, error) = post_raw(&server, "/v1/drop", None, body).await;
        let error = error.unwrap();
        assert_eq!(
            (status, error.kind.as_str()),
            (400, "malformed"),
            "{}",
            error.message
        );
        assert!(error.message.contains("drop"), "{}", error.message);
    }
    assert_eq!(server.drop_count(coord.group()).await, 0);
    server.assert_healthy().await;
}

#[tokio::test]
async fn junk_drops_without_a_valid_token_are_rejected_and_nothing_is_stored() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    // Without a token: the junk flood of before, now refused one by one (and never per address).
    for seed in 0..70 {
        let message = expect_http(
            AnonymousClient::drop(&server.url, &unpaid(coord.group(), seed)).await,
            403,
            "drop_token_missing",
        );
        assert!(message.contains("token"), "{message}");
    }
    // A forged token, one altered after issuing, and one of another group.
    let mut forged = paid_drop(&coord, 1).await;
    let token = forged.token.as_mut().unwrap();
    token.signature = vec![7; token.signature.len()];
    let mut altered = paid_drop(&coord, 2).await;
    altered.token.as_mut().unwrap().message[0] ^= 1;
    let other = coordinator(&server).await;
    let mut elsewhere = paid_drop(&other, 3).await;
    elsewhere.group = coord.group();
    for drop in [forged, altered, elsewhere] {
        expect_http(
            AnonymousClient::drop(&server.url, &drop).await,
            403,
            "drop_token_invalid",
        );
    }
    assert_eq!(server.drop_count(coord.group()).await, 0, "nothing stored");
    // The honest member behind the same address still gets through.
    AnonymousClient::drop(&server.url, &paid_drop(&coord, 4).await)
        .await
        .unwrap();
    assert_eq!(server.drop_count(coord.group()).await, 1);
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_double_spent_token_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let drop = paid_drop(&coord, 1).await;
    AnonymousClient::drop(&server.url, &drop).await.unwrap();
    // The same token again, with the same or other bytes: refused, nothing more stored.
    let mut again = drop.clone();
    again.sealed = sealed(2, DROP_SIZE_CLASSES[0]);
    for d in [&drop, &again] {
        let message = expect_http(
            AnonymousClient::drop(&server.url, d).await,
            409,
            "drop_token_spent",
        );
        assert!(message.contains("spent"), "{message}");
    }
    assert_eq!(server.drop_count(coord.group()).await, 1);
}

#[tokio::test]
async fn token_issuing_is_limited_per_member_per_day_and_drops_are_not_limited_per_address() {
    let server = TestServer::start_with(|s| s.tokens_per_day = 3).await;
    let coord = coordinator(&server).await;
    let resident = member(&server, &coord, Role::Resident).await;
    // Asking for five gets the three left today; then nothing until tomorrow.
    let tokens = drop_tokens(&resident, 5).await;
    assert_eq!(tokens.len(), 3);
    let info = resident.client.token_key(&resident.session).await.unwrap();
    assert_eq!(info.left_today, 0);
    let refused = resident
        .client
        .issue_tokens(
            &resident.session,
            &porchlight_sync::wire::IssueTokensRequest {
                blinded: vec![serde_bytes::ByteBuf::from(vec![1; 256])],
            },
        )
        .await;
    expect_http(refused, 429, "tokens_used_up");
    // Another member has an allowance of its own.
    let mut all = tokens;
    all.extend(drop_tokens(&coord, 3).await);
    // Six drops from one address, well past the old per-address limit of a proxy: all kept.
    for (seed, token) in all.into_iter().enumerate() {
        let drop = DropRequest {
            group: coord.group(),
            sealed: sealed(seed as u8, DROP_SIZE_CLASSES[0]),
            token: Some(token),
        };
        AnonymousClient::drop(&server.url, &drop).await.unwrap();
    }
    assert_eq!(server.drop_count(coord.group()).await, 6);
    // A new day, a new allowance (and a new session: the old one has expired).
    server.clock.advance(86_400);
    let session = resident
        .client
        .authenticate(resident.group(), &resident.key)
        .await
        .unwrap();
    let resident = common::Device {
        session,
        ..resident
    };
    assert_eq!(drop_tokens(&resident, 2).await.len(), 2);
    // Issuing needs a member's session.
    let (status, _, _) = send_raw(&server, Method::POST, "/v1/tokens", None, "", vec![]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn old_drops_are_deleted_after_the_retention_period() {
    let server = TestServer::start_with(|s| s.drop_retention_days = 2).await;
    let coord = coordinator(&server).await;
    // Tokens do not expire: fetched now, spent days later.
    let mut tokens = drop_tokens(&coord, 3).await;
    let mut drop = |seed: u8| DropRequest {
        group: coord.group(),
        sealed: sealed(seed, DROP_SIZE_CLASSES[0]),
        token: tokens.pop(),
    };
    AnonymousClient::drop(&server.url, &drop(1)).await.unwrap();
    // Still kept two days on...
    server.clock.advance(2 * 86_400);
    AnonymousClient::drop(&server.url, &drop(2)).await.unwrap();
    assert_eq!(server.drop_count(coord.group()).await, 2);
    // ...gone on the third, and its number is not handed out again.
    server.clock.advance(86_400);
    AnonymousClient::drop(&server.url, &drop(3)).await.unwrap();
    let session = coord
        .client
        .authenticate(coord.group(), &coord.key)
        .await
        .unwrap();
    let page = coord.client.drops(&session, 0, 10).await.unwrap();
    assert_eq!(page.drops.iter().map(|d| d.seq).collect::<Vec<_>>(), [2, 3]);
}

/// Every value of every table, and the raw database and WAL files, after drops from 127.0.0.1.
#[tokio::test]
async fn a_drop_stores_no_address() {
    use rusqlite::types::ValueRef;

    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    AnonymousClient::drop(&server.url, &paid_drop(&coord, 1).await)
        .await
        .unwrap();
    let body = wire::encode(&paid_drop(&coord, 2).await).unwrap();
    let (status, _) = post_raw(&server, "/v1/drop", None, body).await;
    assert_eq!(status, 202);
    assert_eq!(server.drop_count(coord.group()).await, 2);

    let text = b"127.0.0.1";
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    // The files first, as they are while the server runs (the drops are still in the WAL).
    let wal = server.db.with_extension("db-wal");
    for path in [&server.db, &wal] {
        let bytes = std::fs::read(path).unwrap();
        assert!(
            !contains(&bytes, text),
            "{} contains the address",
            path.display()
        );
    }
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "the WAL was checked while it held data"
    );

    let db = rusqlite::Connection::open(&server.db).unwrap();
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(tables.iter().any(|t| t == "drops"), "{tables:?}");
    let ip_as_integer = i64::from(u32::from_be_bytes([127, 0, 0, 1]));
    let mut drop_rows = 0;
    for table in &tables {
        let mut stmt = db.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns: Vec<String> = stmt
            .column_names()
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        if table == "drops" {
            // Exactly these columns: nothing about who sent a drop, or when beyond the day.
            assert_eq!(columns, ["group_id", "seq", "day", "sealed"]);
        }
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            if table == "drops" {
                drop_rows += 1;
            }
            for (i, column) in columns.iter().enumerate() {
                let value = row.get_ref(i).unwrap();
                let bytes: &[u8] = match value {
                    ValueRef::Text(b) | ValueRef::Blob(b) => b,
                    ValueRef::Integer(n) => {
                        if table == "drops" {
                            assert_ne!(n, ip_as_integer, "{table}.{column}");
                        }
                        &[]
                    }
                    _ => &[],
                };
                assert!(!contains(bytes, text), "{table}.{column} holds the address");
                if table == "drops" {
                    assert!(
                        !contains(bytes, &[127, 0, 0, 1]),
                        "drops.{column} holds the address"
                    );
                }
            }
        }
    }
    assert_eq!(drop_rows, 2);
    // The only time a drop keeps is its UTC day.
    let days: Vec<i64> = db
        .prepare("SELECT day FROM drops")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let today = server.clock.now().div_euclid(86_400);
    assert!(
        days.iter().all(|d| (today - 1..=today).contains(d)),
        "{days:?}"
    );
}
