//! Invite codes: everything a new device needs to join, in one string a person can paste or a QR
//! code can carry: `plj2-` followed by base58 of a small CBOR array
//! `[server URL, group, root key, invite id, secret, role, certificate fingerprint or null]`.
//! A group with a hub on the local network (docs/HUB.md) hands out `plj3-` codes: the same array
//! with one more element, `[hub URL, hub certificate fingerprint or null]`. Devices read both.
//! Base58 avoids characters people misread and that break when a chat app wraps or links text.
//!
//! The code is the new device's anchor of trust: it carries the founder's public key (the
//! group's root), which the device pins, so whatever a server later serves, the device believes
//! only members whose certificates chain back to that key. For a server with a self-signed
//! certificate it also carries that certificate's fingerprint, so the device talks to that
//! server and no other.

use std::fmt;
use std::str::FromStr;

use porchlight_model::{Role, hex};
use serde_bytes::ByteBuf;

use crate::Error;
use crate::pin::Fingerprint;
use crate::wire::GroupId;

/// The fields of a code in their order on the wire.
type Fields = (
    String,
    GroupId,
    ByteBuf,
    ByteBuf,
    ByteBuf,
    Role,
    Option<ByteBuf>,
);

/// The fields of a code that also names a hub.
type FieldsWithHub = (
    String,
    GroupId,
    ByteBuf,
    ByteBuf,
    ByteBuf,
    Role,
    Option<ByteBuf>,
    (String, Option<ByteBuf>),
);

/// The prefix names the format and its version so a future format can be told apart.
pub const INVITE_PREFIX: &str = "plj2-";
/// The prefix of codes that also carry a hub's address.
pub const INVITE_PREFIX_HUB: &str = "plj3-";

/// A hub on the group's local network: where devices sync when the community server is out of
/// reach (docs/HUB.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubAddress {
    /// The hub's base URL on the local network, e.g. `https://192.168.1.20:8471`.
    pub url: String,
    /// SHA-256 of the hub's own (self-signed) TLS certificate.
    pub tls_fingerprint: Option<Fingerprint>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct InviteCode {
    /// The server's base URL, e.g. `https://watch.example.org`.
    pub server: String,
    pub group: GroupId,
    /// The founder's Ed25519 public key: the group's root of trust.
    pub root: [u8; 32],
    pub invite: [u8; 16],
    /// 128 random bits; the server only ever stores a hash of it.
    pub secret: [u8; 16],
    pub role: Role,
    /// SHA-256 of the server's TLS certificate: the device accepts that certificate and no
    /// other. `None` for a server whose certificate a public CA signed (or one on loopback).
    pub tls_fingerprint: Option<Fingerprint>,
    /// The group's hub on the local network, when it has one.
    pub hub: Option<HubAddress>,
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidInvite {
        reason: reason.into(),
    }
}

/// Checks that `url` is an absolute http(s) URL; the client refuses anything else up front rather
/// than failing later with a confusing connection error.
pub fn check_server_url(url: &str) -> Result<String, Error> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| Error::InvalidUrl {
            url: url.to_owned(),
            reason: "it must start with http:// or https://".into(),
        })?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(Error::InvalidUrl {
            url: url.to_owned(),
            reason: "it has no host".into(),
        });
    }
    Ok(trimmed.to_owned())
}

impl fmt::Display for InviteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = (
            &self.server,
            self.group,
            ByteBuf::from(self.root.to_vec()),
            ByteBuf::from(self.invite.to_vec()),
            ByteBuf::from(self.secret.to_vec()),
            self.role,
            self.tls_fingerprint.map(|fp| ByteBuf::from(fp.to_vec())),
        );
        let mut cbor = Vec::new();
        // Writing CBOR into a Vec cannot fail for these plain values. A code without a hub
        // stays a plj2 code, readable by every version.
        let prefix = match &self.hub {
            None => {
                ciborium::into_writer(&body, &mut cbor).map_err(|_| fmt::Error)?;
                INVITE_PREFIX
            }
            Some(hub) => {
                let hub = (
                    &hub.url,
                    hub.tls_fingerprint.map(|fp| ByteBuf::from(fp.to_vec())),
                );
                let (server, group, root, invite, secret, role, pin) = body;
                let with_hub = (server, group, root, invite, secret, role, pin, hub);
                ciborium::into_writer(&with_hub, &mut cbor).map_err(|_| fmt::Error)?;
                INVITE_PREFIX_HUB
            }
        };
        write!(f, "{prefix}{}", bs58::encode(cbor).into_string())
    }
}

impl FromStr for InviteCode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Chat apps and e-mail wrap long strings; whitespace is never part of a code.
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(invalid("the code is empty"));
        }
        let (body, with_hub) = match (
            compact.strip_prefix(INVITE_PREFIX),
            compact.strip_prefix(INVITE_PREFIX_HUB),
        ) {
            (Some(body), _) => (body, false),
            (None, Some(body)) => (body, true),
            (None, None) => {
                return Err(invalid(format!(
                    "it should start with {INVITE_PREFIX:?}; was the whole code copied?"
                )));
            }
        };
        let cbor = bs58::decode(body).into_vec().map_err(|e| {
            invalid(format!(
                "it contains characters that cannot be in a code ({e}); was it mistyped?"
            ))
        })?;
        let damaged = |_| invalid("it is incomplete or damaged; copy the whole code again");
        let ((server, group, root, invite, secret, role, pin), hub): (Fields, _) = if with_hub {
            let (server, group, root, invite, secret, role, pin, hub): FieldsWithHub =
                crate::wire::decode(&cbor).map_err(damaged)?;
            ((server, group, root, invite, secret, role, pin), Some(hub))
        } else {
            (crate::wire::decode(&cbor).map_err(damaged)?, None)
        };
        let hub = hub
            .map(|(url, pin)| {
                let url = check_server_url(&url)
                    .map_err(|e| invalid(format!("the hub address inside it is unusable: {e}")))?;
                let tls_fingerprint = pin
                    .map(|fp| Fingerprint::try_from(fp.as_slice()))
                    .transpose()
                    .map_err(|_| {
                        invalid("the hub's certificate fingerprint inside it has the wrong length")
                    })?;
                Ok::<_, Error>(HubAddress {
                    url,
                    tls_fingerprint,
                })
            })
            .transpose()?;
        let root: [u8; 32] = root
            .as_slice()
            .try_into()
            .map_err(|_| invalid("the group key inside it has the wrong length"))?;
        let invite: [u8; 16] = invite
            .as_slice()
            .try_into()
            .map_err(|_| invalid("the invite id inside it has the wrong length"))?;
        let secret: [u8; 16] = secret
            .as_slice()
            .try_into()
            .map_err(|_| invalid("the secret inside it has the wrong length"))?;
        let tls_fingerprint = pin
            .map(|fp| Fingerprint::try_from(fp.as_slice()))
            .transpose()
            .map_err(|_| invalid("the certificate fingerprint inside it has the wrong length"))?;
        let server = check_server_url(&server)
            .map_err(|e| invalid(format!("the server address inside it is unusable: {e}")))?;
        Ok(InviteCode {
            server,
            group,
            root,
            invite,
            secret,
            role,
            tls_fingerprint,
            hub,
        })
    }
}

impl fmt::Debug for InviteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InviteCode")
            .field("server", &self.server)
            .field("group", &self.group)
            .field("root", &hex(&self.root))
            .field("invite", &hex(&self.invite))
            .field("secret", &"<hidden>")
            .field("role", &self.role)
            .field("tls_fingerprint", &self.tls_fingerprint.map(|fp| hex(&fp)))
            .field("hub", &self.hub)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> InviteCode {
        InviteCode {
            server: "https://watch.example.org".into(),
            group: GroupId::from_bytes([3; 16]),
            root: [4; 32],
            invite: [1; 16],
            secret: [2; 16],
            role: Role::Volunteer,
            tls_fingerprint: None,
            hub: None,
        }
    }

    #[test]
    fn a_hub_travels_in_a_plj3_code_and_plj2_codes_stay_as_they_were() {
        let plain = code().to_string();
        assert!(plain.starts_with(INVITE_PREFIX));
        let with_hub = InviteCode {
            hub: Some(HubAddress {
                url: "https://192.168.1.20:8471".into(),
                tls_fingerprint: Some([9; 32]),
            }),
            ..code()
        };
        let text = with_hub.to_string();
        assert!(text.starts_with(INVITE_PREFIX_HUB), "{text}");
        assert_eq!(text.parse::<InviteCode>().unwrap(), with_hub);
        assert!(text.len() < 330, "{} characters", text.len());
        // A plj2 body under the plj3 prefix (or the reverse) is damaged, not misread.
        let swapped = format!("{INVITE_PREFIX_HUB}{}", &plain[INVITE_PREFIX.len()..]);
        assert!(swapped.parse::<InviteCode>().is_err());
        let swapped = format!("{INVITE_PREFIX}{}", &text[INVITE_PREFIX_HUB.len()..]);
        assert!(swapped.parse::<InviteCode>().is_err());
    }

    #[test]
    fn the_certificate_fingerprint_travels_in_the_code() {
        let pinned = InviteCode {
            server: "https://192.0.2.1:8470".into(),
            tls_fingerprint: Some(std::array::from_fn(|i| i as u8)),
            ..code()
        };
        let text = pinned.to_string();
        assert_eq!(text.parse::<InviteCode>().unwrap(), pinned);
        // Still short enough to paste, and for a QR code a phone reads at arm's length.
        assert!(text.len() < 260, "{} characters", text.len());
    }

    #[test]
    fn a_truncated_fingerprint_is_rejected_not_panicking() {
        let body = (
            "https://x.example",
            GroupId::from_bytes([3; 16]),
            ByteBuf::from(vec![4; 32]),
            ByteBuf::from(vec![1; 16]),
            ByteBuf::from(vec![2; 16]),
            Role::Resident,
            Some(ByteBuf::from(vec![3; 31])),
        );
        let mut cbor = Vec::new();
        ciborium::into_writer(&body, &mut cbor).unwrap();
        let text = format!("{INVITE_PREFIX}{}", bs58::encode(cbor).into_string());
        let err = text.parse::<InviteCode>().unwrap_err();
        assert!(err.to_string().contains("fingerprint"), "{err}");
    }

    #[test]
    fn codes_round_trip_even_when_wrapped() {
        let text = code().to_string();
        assert!(text.starts_with(INVITE_PREFIX));
        assert!(
            text.len() < 200,
            "{} characters is too long to type",
            text.len()
        );
        assert_eq!(text.parse::<InviteCode>().unwrap(), code());
        let wrapped = format!("  {}\n{}  ", &text[..20], &text[20..]);
        assert_eq!(wrapped.parse::<InviteCode>().unwrap(), code());
    }

    #[test]
    fn bad_codes_are_rejected_not_panicking() {
        let text = code().to_string();
        let cases = [
            ("", "empty"),
            ("hello", "start with"),
            ("plj2-0OIl", "characters"),
            (&text[..text.len() - 5], "incomplete"),
        ];
        for (input, expected) in cases {
            let err = input.parse::<InviteCode>().unwrap_err();
            assert!(matches!(err, Error::InvalidInvite { .. }));
            assert!(err.to_string().contains(expected), "{input:?}: {err}");
        }
        let mut ftp = code();
        ftp.server = "ftp://x".into();
        let err = ftp.to_string().parse::<InviteCode>().unwrap_err();
        assert!(err.to_string().contains("server address"), "{err}");
    }

    #[test]
    fn debug_hides_the_secret() {
        assert!(!format!("{:?}", code()).contains(&hex(&[2; 16])));
    }
}
