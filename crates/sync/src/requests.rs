//! The signed requests a device sends to open a group, a session or a membership: built once
//! here, so the HTTP client and the in-process server (the hub's tests) sign exactly the same.

use ed25519_dalek::SigningKey;
use porchlight_protocol::{InviteCode, join_proof};

use crate::crypto::{create_group_message, join_message, session_message, sign};
use crate::wire::{Challenge, CreateGroupRequest, GroupId, JoinRequest, SessionRequest};

/// Creates a group named `name` with `key` as its first coordinator, answering `challenge`.
pub fn create_group_request(
    key: &SigningKey,
    name: &str,
    display_name: &str,
    challenge: &Challenge,
    creation_token: Option<&str>,
) -> CreateGroupRequest {
    let message = create_group_message(name, display_name, &challenge.nonce, challenge.time);
    CreateGroupRequest {
        name: name.to_owned(),
        display_name: display_name.to_owned(),
        public_key: key.verifying_key().to_bytes(),
        nonce: challenge.nonce,
        time: challenge.time,
        signature: sign(key, &message),
        creation_token: creation_token.map(str::to_owned),
    }
}

/// Opens a session in `group` for `key`, answering `challenge`.
pub fn session_request(key: &SigningKey, group: GroupId, challenge: &Challenge) -> SessionRequest {
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

/// Joins the group of `code` with `key`, proving the invite's secret without sending it.
pub fn join_request(code: &InviteCode, key: &SigningKey, display_name: &str) -> JoinRequest {
    let public_key = key.verifying_key().to_bytes();
    JoinRequest {
        invite: code.invite,
        public_key,
        display_name: display_name.to_owned(),
        proof: join_proof(
            &code.secret,
            &code.group,
            &code.invite,
            &public_key,
            display_name,
        ),
        signature: sign(key, &join_message(&code.invite, &public_key, display_name)),
    }
}
