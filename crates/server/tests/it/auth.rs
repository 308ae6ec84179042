//! Sessions, invites and revocation, as a device experiences them.

use crate::common;

use common::{TestServer, coordinator, expect_http, invite_with, member, post_raw};
use porchlight_model::{DocKind, Role};
use porchlight_sync::crypto::{session_message, sign};
use porchlight_sync::wire::{self, SessionRequest};
use porchlight_sync::{GroupId, HttpTransport, Remote, SyncRequest, generate_signing_key};

#[tokio::test]
async fn a_revoked_device_is_refused_at_once() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    volunteer.push_valid(DocKind::Patrol, 1).await;

    let revoked = coord
        .client
        .revoke(&coord.session, volunteer.id)
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());

    // The token it already holds stops working, and it cannot get a new one.
    let sync = volunteer
        .client
        .sync(&volunteer.session, &SyncRequest::default())
        .await;
    expect_http(sync, 401, "unauthorized");
    let again = volunteer
        .client
        .authenticate(volunteer.group(), &volunteer.key)
        .await;
    expect_http(again, 403, "revoked");

    let members = coord.client.members(&coord.session).await.unwrap();
    assert_eq!(members.len(), 2);
    assert!(
        members
            .iter()
            .any(|m| m.device == volunteer.id && m.revoked_at.is_some())
    );
}

#[tokio::test]
async fn an_expired_token_is_refused_and_the_transport_signs_in_again() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let transport = HttpTransport::new(server.client(), coord.group(), coord.key.clone());
    transport.sync(&SyncRequest::default()).await.unwrap();

    server
        .clock
        .advance(server.settings.token_lifetime_secs as i64 + 1);
    let stale = coord
        .client
        .sync(&coord.session, &SyncRequest::default())
        .await;
    expect_http(stale, 401, "token_expired");
    // The transport notices the 401 and opens a fresh session by itself.
    transport.sync(&SyncRequest::default()).await.unwrap();
}

#[tokio::test]
async fn a_used_up_invite_is_refused() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let code = invite_with(&server, &coord, Role::Resident, 1, 600)
        .await
        .unwrap();
    let first = generate_signing_key();
    server.client().join(&code, &first, "First").await.unwrap();
    // Retrying the same join (lost response) is harmless and does not count as another use.
    server.client().join(&code, &first, "First").await.unwrap();
    let second = server
        .client()
        .join(&code, &generate_signing_key(), "Second")
        .await;
    expect_http(second, 403, "invite_used_up");
}

#[tokio::test]
async fn an_expired_invite_is_refused() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let code = invite_with(&server, &coord, Role::Volunteer, 5, 60)
        .await
        .unwrap();
    server.clock.advance(61);
    let late = server
        .client()
        .join(&code, &generate_signing_key(), "Late")
        .await;
    expect_http(late, 403, "invite_expired");
}

#[tokio::test]
async fn a_wrong_invite_secret_is_refused() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let mut code = invite_with(&server, &coord, Role::Volunteer, 5, 60)
        .await
        .unwrap();
    code.secret[0] ^= 1;
    let join = server
        .client()
        .join(&code, &generate_signing_key(), "Guess")
        .await;
    expect_http(join, 403, "invite_invalid");
}

#[tokio::test]
async fn only_coordinators_manage_members() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let volunteer = member(&server, &coord, Role::Volunteer).await;
    let invite = invite_with(&server, &volunteer, Role::Coordinator, 1, 60).await;
    expect_http(invite, 403, "forbidden");
    expect_http(
        volunteer.client.members(&volunteer.session).await,
        403,
        "forbidden",
    );
    expect_http(
        volunteer.client.revoke(&volunteer.session, coord.id).await,
        403,
        "forbidden",
    );
    // Nor can the last coordinator remove themself and orphan the group.
    expect_http(
        coord.client.revoke(&coord.session, coord.id).await,
        409,
        "conflict",
    );
}

#[tokio::test]
async fn group_creation_without_a_configured_token_is_rejected_by_default() {
    let server = TestServer::start_with(|s| s.group_creation_token = None).await;
    let key = generate_signing_key();
    for token in [None, Some("guess")] {
        let message = expect_http(
            server
                .client()
                .create_group(&key, "Mine", "Me", token)
                .await,
            403,
            "forbidden",
        );
        assert!(message.contains("open_group_creation"), "{message}");
    }
    server.assert_healthy().await;
    // The operator can open it explicitly.
    let open = TestServer::start_with(|s| {
        s.group_creation_token = None;
        s.open_group_creation = true;
    })
    .await;
    open.client()
        .create_group(&key, "Mine", "Me", None)
        .await
        .unwrap();
}

#[tokio::test]
async fn group_creation_can_require_the_operators_token() {
    let server = TestServer::start_with(|s| {
        s.group_creation_token = Some(porchlight_server::Secret::new("let-me-in"));
    })
    .await;
    let key = generate_signing_key();
    let refused = server.client().create_group(&key, "Mine", "Me", None).await;
    expect_http(refused, 403, "forbidden");
    server
        .client()
        .create_group(&key, "Mine", "Me", Some("let-me-in"))
        .await
        .unwrap();
}

async fn signed_session_request(
    server: &TestServer,
    group: GroupId,
    key: &porchlight_sync::SigningKey,
) -> SessionRequest {
    let challenge = server.client().challenge().await.unwrap();
    SessionRequest {
        group,
        public_key: key.verifying_key().to_bytes(),
        nonce: challenge.nonce,
        time: challenge.time,
        signature: sign(
            key,
            &session_message(&group, &challenge.nonce, challenge.time),
        ),
    }
}

#[tokio::test]
async fn a_forged_signature_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    // Signed by another key than the coordinator's public key claims.
    let mut request = signed_session_request(&server, coord.group(), &generate_signing_key()).await;
    request.public_key = coord.key.verifying_key().to_bytes();
    let (status, body) = post_raw(
        &server,
        "/v1/auth/session",
        None,
        wire::encode(&request).unwrap(),
    )
    .await;
    let body = body.unwrap();
    assert_eq!(
        (status, body.kind.as_str()),
        (401, "bad_signature"),
        "{}",
        body.message
    );
    assert!(body.message.contains("signature"));

    // A signature that is just bytes, on a join.
    let code = invite_with(&server, &coord, Role::Resident, 1, 60)
        .await
        .unwrap();
    let join = porchlight_sync::wire::JoinRequest {
        invite: code.invite,
        public_key: generate_signing_key().verifying_key().to_bytes(),
        display_name: "Mallory".into(),
        proof: [7; 64],
        signature: [7; 64],
    };
    let (status, body) = post_raw(&server, "/v1/join", None, wire::encode(&join).unwrap()).await;
    assert_eq!(
        (status, body.unwrap().kind.as_str()),
        (401, "bad_signature")
    );
    assert_eq!(
        coord.client.members(&coord.session).await.unwrap().len(),
        1,
        "nobody was added"
    );
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_replayed_challenge_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let request = signed_session_request(&server, coord.group(), &coord.key).await;
    let bytes = wire::encode(&request).unwrap();
    let (first, _) = post_raw(&server, "/v1/auth/session", None, bytes.clone()).await;
    assert_eq!(first, 200);
    let (status, body) = post_raw(&server, "/v1/auth/session", None, bytes).await;
    let body = body.unwrap();
    assert_eq!((status, body.kind.as_str()), (401, "challenge"));
    assert!(body.message.contains("already used"), "{}", body.message);
    server.assert_healthy().await;
}

#[tokio::test]
async fn an_expired_challenge_is_refused() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let request = signed_session_request(&server, coord.group(), &coord.key).await;
    server
        .clock
        .advance(server.settings.challenge_lifetime_secs as i64 + 1);
    let (status, body) = post_raw(
        &server,
        "/v1/auth/session",
        None,
        wire::encode(&request).unwrap(),
    )
    .await;
    assert_eq!(
        (status, body.unwrap().message.contains("expired")),
        (401, true)
    );
}

/// A coordinator can register only invites it signed itself, for its own group: the server
/// refuses to store one signed by another key (say, one a member hands it to pass off as the
/// coordinator's) or naming another group, and nobody can join with either.
#[tokio::test]
async fn an_invite_not_signed_by_the_calling_coordinator_is_rejected_not_panicking() {
    let server = TestServer::start().await;
    let coord = coordinator(&server).await;
    let now = server.clock.now();
    let stranger = generate_signing_key();
    let foreign = porchlight_sync::SignedInvite::issue(
        &stranger,
        coord.group(),
        [1; 16],
        &[2; 16],
        Role::Coordinator,
        1,
        now + 60,
    );
    expect_http(
        coord.client.create_invite(&coord.session, foreign).await,
        401,
        "bad_signature",
    );
    let elsewhere = porchlight_sync::SignedInvite::issue(
        &coord.key,
        GroupId::random(),
        [3; 16],
        &[4; 16],
        Role::Coordinator,
        1,
        now + 60,
    );
    expect_http(
        coord.client.create_invite(&coord.session, elsewhere).await,
        400,
        "bad_request",
    );
    let mut altered = porchlight_sync::SignedInvite::issue(
        &coord.key,
        coord.group(),
        [5; 16],
        &[6; 16],
        Role::Resident,
        1,
        now + 60,
    );
    altered.role = Role::Coordinator;
    expect_http(
        coord.client.create_invite(&coord.session, altered).await,
        401,
        "bad_signature",
    );
    assert_eq!(coord.client.members(&coord.session).await.unwrap().len(), 1);
    server.assert_healthy().await;
}
