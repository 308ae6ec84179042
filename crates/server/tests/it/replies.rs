//! Replies: coordinators publish already-encrypted notes under an id of their group; anyone
//! holding the group and id reads them without a session, limited per address. Also the
//! anonymous client's own behaviour.

use crate::common;

use common::{
    TestServer, coordinator, error_body, expect_http, member, paid_drop, sealed, send_raw,
};
use porchlight_model::Role;
use porchlight_sync::AnonymousClient;
use porchlight_sync::wire::{DROP_SIZE_CLASSES, DropAccepted, DropRequest, MAX_REPLY};
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const ID: &str = "0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn a_coordinator_publishes_a_reply_and_anyone_reads_it_without_a_token() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let group = coord.group();
    assert_eq!(
        AnonymousClient::reply(&server.url, group, ID)
            .await
            .unwrap(),
        None
    );

    coord
        .client
        .put_reply(&coord.session, ID, b"first".to_vec())
        .await
        .unwrap();
    assert_eq!(
        AnonymousClient::reply(&server.url, group, ID)
            .await
            .unwrap(),
        Some(b"first".to_vec())
    );
    // The latest version wins.
    coord
        .client
        .put_reply(&coord.session, ID, b"second".to_vec())
        .await
        .unwrap();
    let (status, headers, body) = send_raw(
        &server,
        Method::GET,
        &format!("/v1/replies/{group}/{ID}"),
        None,
        "",
        vec![],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert_eq!(body, b"second");

    let (status, _, body) = send_raw(
        &server,
        Method::PUT,
        &format!("/v1/replies/{ID}"),
        Some(coord.session.token()),
        "application/octet-stream",
        b"third".to_vec(),
    )
    .await;
    assert_eq!((status, body.len()), (204, 0));
}

#[tokio::test]
async fn only_coordinators_publish_replies() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    for role in [Role::Resident, Role::Volunteer] {
        let device = member(&server, &coord, role).await;
        let message = expect_http(
            device
                .client
                .put_reply(&device.session, ID, b"hello".to_vec())
                .await,
            403,
            "forbidden",
        );
        assert!(message.contains("coordinator"), "{message}");
    }
    let (status, _, _) = send_raw(
        &server,
        Method::PUT,
        &format!("/v1/replies/{ID}"),
        None,
        "application/octet-stream",
        b"hello".to_vec(),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        AnonymousClient::reply(&server.url, coord.group(), ID)
            .await
            .unwrap(),
        None
    );
}

/// An outsider who learned (or guessed) a reporter's reply id publishes under it first, in a
/// group of its own. Before, the id was taken: the real coordinator got 409 and its reply never
/// reached the reporter. Ids are per group now: both replies stand, each in its own group.
#[tokio::test]
async fn an_outsiders_group_cannot_claim_a_reply_id() {
    let server = TestServer::start().await;
    let ours = coordinator(&server).await;
    let outsider = coordinator(&server).await;
    outsider
        .client
        .put_reply(&outsider.session, ID, b"theirs".to_vec())
        .await
        .unwrap();
    ours.client
        .put_reply(&ours.session, ID, b"ours".to_vec())
        .await
        .unwrap();
    assert_eq!(
        AnonymousClient::reply(&server.url, ours.group(), ID)
            .await
            .unwrap(),
        Some(b"ours".to_vec())
    );
    assert_eq!(
        AnonymousClient::reply(&server.url, outsider.group(), ID)
            .await
            .unwrap(),
        Some(b"theirs".to_vec())
    );
}

#[tokio::test]
async fn reply_reads_are_rate_limited_per_address() {
    let server = TestServer::start_with(|s| s.reply_reads_per_hour = 2).await;
    let coord = coordinator(&server).await;
    coord
        .client
        .put_reply(&coord.session, ID, b"status".to_vec())
        .await
        .unwrap();
    let group = coord.group();
    AnonymousClient::reply(&server.url, group, ID)
        .await
        .unwrap();
    // A miss costs the same as a hit, so guessing ids is limited too.
    let other = "ffffffffffffffffffffffffffffffff";
    assert_eq!(
        AnonymousClient::reply(&server.url, group, other)
            .await
            .unwrap(),
        None
    );
    let message = expect_http(
        AnonymousClient::reply(&server.url, group, ID).await,
        429,
        "rate_limited",
    );
    assert!(message.contains("seconds"), "{message}");
    // The drop box is not limited per address at all.
    AnonymousClient::drop(&server.url, &paid_drop(&coord, 1).await)
        .await
        .unwrap();

    server.clock.advance(1800);
    assert_eq!(
        AnonymousClient::reply(&server.url, group, ID)
            .await
            .unwrap(),
        Some(b"status".to_vec())
    );
}

#[tokio::test]
async fn a_malformed_reply_id_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    for bad in [
        "abc",
        "0123456789ABCDEF0123456789ABCDEF",
        "0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcdef0",
        "0123456789abcdef0123456789abcdeg",
    ] {
        for (method, path, token) in [
            (
                Method::GET,
                format!("/v1/replies/{}/{bad}", coord.group()),
                None,
            ),
            (
                Method::PUT,
                format!("/v1/replies/{bad}"),
                Some(coord.session.token()),
            ),
        ] {
            let (status, _, body) = send_raw(
                &server,
                method,
                &path,
                token,
                "application/octet-stream",
                b"hello".to_vec(),
            )
            .await;
            let error = error_body(&body);
            assert_eq!((status, error.kind.as_str()), (400, "bad_request"), "{bad}");
            assert!(error.message.contains("32"), "{}", error.message);
        }
        // The client refuses it before sending anything.
        assert!(
            AnonymousClient::reply(&server.url, coord.group(), bad)
                .await
                .is_err()
        );
    }
    server.assert_healthy().await;
}

#[tokio::test]
async fn an_oversized_or_empty_reply_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let message = expect_http(
        coord
            .client
            .put_reply(&coord.session, ID, vec![7; MAX_REPLY + 1])
            .await,
        413,
        "too_large",
    );
    assert!(message.contains(&MAX_REPLY.to_string()), "{message}");
    expect_http(
        coord.client.put_reply(&coord.session, ID, Vec::new()).await,
        400,
        "bad_request",
    );
    assert_eq!(
        AnonymousClient::reply(&server.url, coord.group(), ID)
            .await
            .unwrap(),
        None
    );
    // Exactly the limit is fine.
    coord
        .client
        .put_reply(&coord.session, ID, vec![7; MAX_REPLY])
        .await
        .unwrap();
}

#[tokio::test]
async fn the_anonymous_client_works_against_the_real_server() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let mut drop = paid_drop(&coord, 3).await;
    drop.sealed = sealed(3, DROP_SIZE_CLASSES[1]);
    // A URL as a person pastes it, with a trailing slash.
    let accepted = AnonymousClient::drop(&format!("{}/", server.url), &drop)
        .await
        .unwrap();
    assert_eq!(accepted, DropAccepted { accepted: true });
    let page = coord.client.drops(&coord.session, 0, 10).await.unwrap();
    assert_eq!(page.drops.len(), 1);
    assert_eq!(page.drops[0].sealed, drop.sealed);

    assert!(matches!(
        AnonymousClient::drop("ftp://example.org", &drop).await,
        Err(porchlight_sync::Error::InvalidUrl { .. })
    ));
}

/// What the anonymous client puts on the wire: a fresh connection per call, a constant user
/// agent, no token, no cookie, nothing else that could tell two devices (or two calls) apart.
#[tokio::test]
async fn the_anonymous_client_sends_only_constant_headers_on_fresh_connections() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answer = porchlight_sync::wire::encode(&DropAccepted { accepted: true }).unwrap();
    let server = tokio::spawn(async move {
        let mut heads = Vec::new();
        for _ in 0..2 {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 8192];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).await.unwrap();
                assert!(n > 0, "the client closed before finishing its request");
                request.extend_from_slice(&buf[..n]);
            }
            let head_end = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
            let head = String::from_utf8(request[..head_end].to_vec()).unwrap();
            // Read the rest of the body before answering, like a real server.
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            let mut body = request[head_end + 4..].to_vec();
            while body.len() < length {
                let n = stream.read(&mut buf).await.unwrap();
                assert!(n > 0);
                body.extend_from_slice(&buf[..n]);
            }
            let mut response = format!(
                "HTTP/1.1 202 Accepted\r\nContent-Type: application/cbor\r\nContent-Length: {}\r\n\r\n",
                answer.len()
            )
            .into_bytes();
            response.extend_from_slice(&answer);
            stream.write_all(&response).await.unwrap();
            // The connection stays open on our side: a client that pooled it could reuse it,
            // and the second accept would then never happen.
            heads.push((head, stream));
        }
        heads.into_iter().map(|(h, _)| h).collect::<Vec<_>>()
    });

    let drop = DropRequest {
        group: porchlight_sync::GroupId::random(),
        sealed: sealed(1, DROP_SIZE_CLASSES[0]),
        token: None,
    };
    for _ in 0..2 {
        AnonymousClient::drop(&url, &drop).await.unwrap();
    }
    let heads = tokio::time::timeout(std::time::Duration::from_secs(20), server)
        .await
        .expect("each call opened its own connection")
        .unwrap();
    for head in &heads {
        let mut names: Vec<String> = head
            .lines()
            .skip(1)
            .map(|l| l.split(':').next().unwrap().trim().to_ascii_lowercase())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "accept",
                "content-length",
                "content-type",
                "host",
                "user-agent"
            ],
            "{head}"
        );
        assert!(head.starts_with("POST /v1/drop HTTP/1.1\r\n"), "{head}");
        assert!(
            head.lines()
                .any(|l| l.eq_ignore_ascii_case("user-agent: porchlight")),
            "{head}"
        );
    }
    assert_eq!(heads[0], heads[1], "two calls look exactly alike");
}
