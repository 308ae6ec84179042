//! The anonymous drop box: posting without a token, what is (not) stored, coordinators paging
//! through it, and every way a drop can be refused.

mod common;

use common::{
    TestServer, coordinator, error_body, expect_http, member, post_raw, raw_http, sealed, send_raw,
};
use porchlight_model::Role;
use porchlight_sync::wire::{self, DROP_SIZE_CLASSES, DropRequest, MAX_DROP_BODY, MAX_DROP_SEALED};
use porchlight_sync::{AnonymousClient, GroupId};
use reqwest::Method;

fn drop_to(group: GroupId, seed: u8) -> DropRequest {
    DropRequest {
        group,
        sealed: sealed(seed, DROP_SIZE_CLASSES[0]),
    }
}

#[tokio::test]
async fn a_drop_without_a_token_is_accepted() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;

    let accepted = AnonymousClient::drop(&server.url, &drop_to(coord.group(), 1))
        .await
        .unwrap();
    assert!(accepted.accepted);

    // A plain request with no Authorization header at all gets 202 and the same answer.
    let body = wire::encode(&drop_to(coord.group(), 2)).unwrap();
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
        let drop = drop_to(coord.group(), seed);
        sent.push(drop.sealed.clone());
        AnonymousClient::drop(&server.url, &drop).await.unwrap();
    }
    // Another group's drop never shows up in this group's box.
    let other = coordinator(&server).await;
    AnonymousClient::drop(&server.url, &drop_to(other.group(), 99))
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
    AnonymousClient::drop(&server.url, &drop_to(coord.group(), 1))
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
    let result = AnonymousClient::drop(&server.url, &drop_to(nowhere, 1)).await;
    let message = expect_http(result, 404, "unknown_group");
    assert!(message.contains("group"), "{message}");
    assert_eq!(server.drop_count(nowhere).await, 0);
    assert_eq!(server.drop_count(coord.group()).await, 0);
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_drop_smaller_than_the_smallest_size_class_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    for len in [0, 1, DROP_SIZE_CLASSES[0] - 1] {
        let drop = DropRequest {
            group: coord.group(),
            sealed: sealed(1, len),
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
    let good = wire::encode(&drop_to(coord.group(), 1)).unwrap();
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
async fn drops_are_rate_limited_per_address() {
    let server = TestServer::start_with(|s| s.drop_rate_per_hour = 3).await;
    let coord = coordinator(&server).await;
    for seed in 0..3 {
        AnonymousClient::drop(&server.url, &drop_to(coord.group(), seed))
            .await
            .unwrap();
    }
    let message = expect_http(
        AnonymousClient::drop(&server.url, &drop_to(coord.group(), 3)).await,
        429,
        "rate_limited",
    );
    assert!(message.contains("seconds"), "{message}");
    // Refused drops count too, and the answer says when to come back.
    let body = wire::encode(&drop_to(coord.group(), 4)).unwrap();
    let (status, headers, _) = send_raw(
        &server,
        Method::POST,
        "/v1/drop",
        None,
        "application/cbor",
        body,
    )
    .await;
    assert_eq!(status, 429);
    // (The server's clock is the real one, so a second may have passed since the last drop.)
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1100..=1200).contains(&retry), "{retry}");
    assert_eq!(server.drop_count(coord.group()).await, 3);

    // An hour refills three drops; a third of one refills one.
    server.clock.advance(1200);
    AnonymousClient::drop(&server.url, &drop_to(coord.group(), 5))
        .await
        .unwrap();
    assert!(
        AnonymousClient::drop(&server.url, &drop_to(coord.group(), 6))
            .await
            .is_err()
    );
    assert_eq!(server.drop_count(coord.group()).await, 4);
    // Token-holding endpoints are not limited by it.
    coord.client.drops(&coord.session, 0, 10).await.unwrap();
}

#[tokio::test]
async fn old_drops_are_deleted_after_the_retention_period() {
    let server = TestServer::start_with(|s| s.drop_retention_days = 2).await;
    let coord = coordinator(&server).await;
    AnonymousClient::drop(&server.url, &drop_to(coord.group(), 1))
        .await
        .unwrap();
    // Still kept two days on...
    server.clock.advance(2 * 86_400);
    AnonymousClient::drop(&server.url, &drop_to(coord.group(), 2))
        .await
        .unwrap();
    assert_eq!(server.drop_count(coord.group()).await, 2);
    // ...gone on the third, and its number is not handed out again.
    server.clock.advance(86_400);
    AnonymousClient::drop(&server.url, &drop_to(coord.group(), 3))
        .await
        .unwrap();
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
    AnonymousClient::drop(&server.url, &drop_to(coord.group(), 1))
        .await
        .unwrap();
    let body = wire::encode(&drop_to(coord.group(), 2)).unwrap();
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
