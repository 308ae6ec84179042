//! The group's partners: the people and organisations outside the group a coordinator passes
//! cases to (a police liaison, a school, a business, ...), with how to reach them. Kept in the
//! group document, so every member's device has the directory; only coordinators change it.

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::text::{self, NAME_MAX};

string_enum!(
    /// What kind of partner this is.
    PartnerKind, "partner kind" {
        PoliceLiaison => "police_liaison",
        LocalLeader => "local_leader",
        School => "school",
        Business => "business",
        ServiceOrganisation => "service_organisation",
        Other => "other",
    }
);

string_enum!(
    /// One way of reaching a partner.
    ChannelKind, "channel" {
        Phone => "phone",
        Email => "email",
        Address => "address",
        Note => "note",
    }
);

/// Longest organisation name, in characters.
pub const ORGANISATION_MAX: usize = 120;
/// Longest contact value (an address or a note), in characters.
pub const CHANNEL_MAX: usize = 300;
/// Most contact channels one partner may have.
pub const MAX_CHANNELS: usize = 8;
/// Most partners one group may list: the group document is on every device and read often.
pub const MAX_PARTNERS: usize = 200;
/// A partner id: 16 lowercase hex digits (8 random bytes).
pub const PARTNER_ID_LEN: usize = 16;

/// A phone number, an e-mail address, a postal address or a free note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ContactChannel {
    pub kind: ChannelKind,
    pub value: String,
}

impl ContactChannel {
    /// The cleaned channel: trimmed, within its limits, and shaped like its kind.
    pub fn validate(&self) -> Result<ContactChannel, ValidationError> {
        let value = text::required("contact", &self.value, CHANNEL_MAX)?;
        let bad = |reason: &str| ValidationError::Invalid {
            field: "contact",
            reason: reason.into(),
        };
        match self.kind {
            ChannelKind::Phone => {
                let digits = value.chars().filter(char::is_ascii_digit).count();
                if digits < 3
                    || !value
                        .chars()
                        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
                {
                    return Err(bad("a phone number has digits, spaces and + - ( ) . only"));
                }
            }
            ChannelKind::Email => {
                let ok = value.split_once('@').is_some_and(|(user, host)| {
                    !user.is_empty() && host.contains('.') && !host.contains('@')
                }) && !value.chars().any(char::is_whitespace);
                if !ok {
                    return Err(bad("an e-mail address looks like name@example.org"));
                }
            }
            ChannelKind::Address | ChannelKind::Note => {}
        }
        Ok(ContactChannel {
            kind: self.kind,
            value,
        })
    }
}

/// What a coordinator enters for a partner, new or edited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NewPartner {
    pub kind: PartnerKind,
    /// The person or the place's name ("Officer Dana Ruiz", "Lincoln Elementary").
    pub name: String,
    /// May be empty.
    #[serde(default)]
    pub organisation: String,
    #[serde(default)]
    pub channels: Vec<ContactChannel>,
}

impl NewPartner {
    /// The cleaned entry, or the first rule it breaks.
    pub fn validate(&self) -> Result<NewPartner, ValidationError> {
        if self.channels.len() > MAX_CHANNELS {
            return Err(ValidationError::Invalid {
                field: "contact",
                reason: format!("at most {MAX_CHANNELS} ways to reach one partner"),
            });
        }
        Ok(NewPartner {
            kind: self.kind,
            name: text::required("partner name", &self.name, NAME_MAX)?,
            organisation: text::at_most("organisation", &self.organisation, ORGANISATION_MAX)?,
            channels: self
                .channels
                .iter()
                .map(ContactChannel::validate)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// A partner in the group's directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Partner {
    pub id: String,
    pub kind: PartnerKind,
    pub name: String,
    pub organisation: String,
    pub channels: Vec<ContactChannel>,
}

impl Partner {
    /// The entry as a coordinator would enter it again (for checking and editing).
    pub fn entry(&self) -> NewPartner {
        NewPartner {
            kind: self.kind,
            name: self.name.clone(),
            organisation: self.organisation.clone(),
            channels: self.channels.clone(),
        }
    }
}

/// Whether `id` has the shape of a partner id.
pub fn is_partner_id(id: &str) -> bool {
    id.len() == PARTNER_ID_LEN && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(kind: ChannelKind, value: &str) -> ContactChannel {
        ContactChannel {
            kind,
            value: value.into(),
        }
    }

    #[test]
    fn channels_are_checked_by_kind() {
        assert!(
            channel(ChannelKind::Phone, "+1 (503) 555-0100")
                .validate()
                .is_ok()
        );
        assert!(
            channel(ChannelKind::Email, "liaison@pd.example.org")
                .validate()
                .is_ok()
        );
        for bad in [
            channel(ChannelKind::Phone, "call me"),
            channel(ChannelKind::Phone, "12"),
            channel(ChannelKind::Email, "liaison"),
            channel(ChannelKind::Email, "a b@c.org"),
            channel(ChannelKind::Email, "@c.org"),
        ] {
            assert!(
                matches!(
                    bad.validate(),
                    Err(ValidationError::Invalid {
                        field: "contact",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            channel(ChannelKind::Note, "  ").validate(),
            Err(ValidationError::Empty { .. })
        ));
    }

    #[test]
    fn a_partner_needs_a_name_and_few_enough_channels() {
        let mut p = NewPartner {
            kind: PartnerKind::School,
            name: "  Lincoln Elementary ".into(),
            organisation: String::new(),
            channels: vec![],
        };
        assert_eq!(p.validate().unwrap().name, "Lincoln Elementary");
        p.channels = vec![channel(ChannelKind::Note, "front office"); MAX_CHANNELS + 1];
        assert!(matches!(p.validate(), Err(ValidationError::Invalid { .. })));
        p.channels.clear();
        p.name = " ".into();
        assert!(matches!(p.validate(), Err(ValidationError::Empty { .. })));
    }

    #[test]
    fn partner_ids_are_sixteen_hex_digits() {
        assert!(is_partner_id("0123456789abcdef"));
        assert!(!is_partner_id("0123456789ABCDEF"));
        assert!(!is_partner_id("0123"));
        assert!(!is_partner_id("0123456789abcdeg"));
    }
}
