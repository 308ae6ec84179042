//! `partner list|add|edit|remove` and `report forward`: the group's partner directory and
//! forwarding a case to a partner.

use std::fmt::Write as _;
use std::path::Path;

use porchlight_core::Core;
use porchlight_model::{ChannelKind, ContactChannel, NewPartner, Partner, ValidationError};

use crate::args::{PartnerArgs, PartnerCmd};
use crate::run::{Failure, Out, id, render};

/// A partner by id, or by name (ignoring case), which must be unambiguous.
fn find(core: &Core, who: &str) -> Result<Partner, Failure> {
    let all = core.partners()?;
    if let Some(p) = all.iter().find(|p| p.id == who.trim()) {
        return Ok(p.clone());
    }
    let mut found = all
        .iter()
        .filter(|p| p.name.eq_ignore_ascii_case(who.trim()));
    match (found.next(), found.next()) {
        (Some(p), None) => Ok(p.clone()),
        (first, _) => Err(ValidationError::Invalid {
            field: "partner",
            reason: if first.is_some() {
                format!("more than one partner is called {who:?}; give the id")
            } else {
                format!("no partner is called {who:?} (see `partner list`)")
            },
        }
        .into()),
    }
}

fn channels(a: &PartnerArgs) -> Vec<ContactChannel> {
    let mut out = Vec::new();
    for (kind, values) in [
        (ChannelKind::Phone, &a.phone),
        (ChannelKind::Email, &a.email),
        (ChannelKind::Address, &a.address),
        (ChannelKind::Note, &a.note),
    ] {
        out.extend(values.iter().map(|v| ContactChannel {
            kind,
            value: v.clone(),
        }));
    }
    out
}

/// `base` with what the options give laid over it.
fn entry(base: NewPartner, a: &PartnerArgs) -> Result<NewPartner, Failure> {
    let given = channels(a);
    Ok(NewPartner {
        kind: a
            .kind
            .as_deref()
            .map(str::parse)
            .transpose()?
            .unwrap_or(base.kind),
        name: a.name.clone().unwrap_or(base.name),
        organisation: a.organisation.clone().unwrap_or(base.organisation),
        channels: if a.no_contacts || !given.is_empty() {
            given
        } else {
            base.channels
        },
    })
}

fn one_text(p: &Partner) -> String {
    let mut s = format!(
        "{}  {} ({})",
        p.id,
        p.name,
        p.kind.as_str().replace('_', " ")
    );
    if !p.organisation.is_empty() {
        let _ = write!(s, ", {}", p.organisation);
    }
    for c in &p.channels {
        let _ = write!(s, "\n    {}: {}", c.kind, c.value);
    }
    s
}

pub fn run(core: &Core, json: bool, cmd: PartnerCmd) -> Out {
    match cmd {
        PartnerCmd::List => render(json, &core.partners()?, |ps| {
            if ps.is_empty() {
                return "no partners yet (add one with `partner add`)".into();
            }
            ps.iter().map(one_text).collect::<Vec<_>>().join("\n")
        }),
        PartnerCmd::Add(a) => {
            let kind = a.kind.as_deref().ok_or(ValidationError::Empty {
                field: "partner kind",
            })?;
            let base = NewPartner {
                kind: kind.parse()?,
                name: String::new(),
                organisation: String::new(),
                channels: Vec::new(),
            };
            let p = core.add_partner(&entry(base, &a)?)?;
            render(json, &p, |p| format!("added {}", one_text(p)))
        }
        PartnerCmd::Edit { partner, details } => {
            let old = find(core, &partner)?;
            let p = core.edit_partner(&old.id, &entry(old.entry(), &details)?)?;
            render(json, &p, |p| format!("changed {}", one_text(p)))
        }
        PartnerCmd::Remove { partner } => {
            let old = find(core, &partner)?;
            core.remove_partner(&old.id)?;
            render(json, &old, |p| format!("removed {} ({})", p.name, p.id))
        }
    }
}

pub fn forward(core: &Core, json: bool, report: &str, partner: &str, out: &Path) -> Out {
    let partner = find(core, partner)?;
    let sent = core.forward_report(id(report)?, &partner.id, out)?;
    render(json, &sent, |f| {
        let missing = if f.photos_missing > 0 {
            format!(" ({} not on this device, left out)", f.photos_missing)
        } else {
            String::new()
        };
        format!(
            "forwarded to {} as {}, with {} photo(s){missing}:\n{}\n{}",
            f.partner_name, f.reference, f.photos, f.html, f.geojson
        )
    })
}
