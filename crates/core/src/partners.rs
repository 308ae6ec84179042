//! The group's partner directory (docs/CASES.md, "Partners and forwarding"): read by every
//! member's device from the group document, changed by coordinators only. The server refuses
//! anyone else's changes to the group document, and every device refuses them again on arrival
//! (the role table, `Role::can_write`).

use porchlight_crdt::{new_partner_id, read_partners, remove_partner, set_partner};
use porchlight_model::{DocKind, NewPartner, Partner, Role, Timestamp};

use crate::{Core, CoreError, Result};

impl Core {
    /// The group's partners, by name (empty without a group).
    pub fn partners(&self) -> Result<Vec<Partner>> {
        let reader = self.reader();
        let Some(group) = reader.group()? else {
            return Ok(Vec::new());
        };
        Ok(read_partners(&reader.load_kind(group.id, DocKind::Group)?))
    }

    /// One partner by id.
    pub fn partner(&self, id: &str) -> Result<Partner> {
        self.partners()?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| CoreError::NoSuchPartner(id.to_owned()))
    }

    /// Adds a partner to the group's directory (coordinators).
    pub fn add_partner(&self, partner: &NewPartner) -> Result<Partner> {
        let id = new_partner_id();
        self.write_partner(&id, partner)?;
        self.partner(&id)
    }

    /// Replaces what the directory holds for partner `id` (coordinators).
    pub fn edit_partner(&self, id: &str, partner: &NewPartner) -> Result<Partner> {
        self.partner(id)?;
        self.write_partner(id, partner)?;
        self.partner(id)
    }

    /// Takes a partner out of the directory (coordinators). Cases already forwarded to it keep
    /// its name in their history.
    pub fn remove_partner(&self, id: &str) -> Result<()> {
        self.require(|r| r == Role::Coordinator, "change the partner directory")?;
        self.partner(id)?;
        let mut store = self.store();
        let group = store.group()?.ok_or(CoreError::NotJoined)?;
        store.update(
            group.id,
            DocKind::Group,
            |doc| remove_partner(doc, id, Timestamp::now()),
            |_, _| Ok(()),
        )?;
        drop(store);
        self.changed_locally();
        Ok(())
    }

    fn write_partner(&self, id: &str, partner: &NewPartner) -> Result<()> {
        self.require(|r| r == Role::Coordinator, "change the partner directory")?;
        let partner = partner.validate()?;
        let mut store = self.store();
        let group = store.group()?.ok_or(CoreError::NotJoined)?;
        match store.update(
            group.id,
            DocKind::Group,
            |doc| set_partner(doc, id, &partner, Timestamp::now()),
            |_, _| Ok(()),
        ) {
            Ok(_)
            | Err(porchlight_store::StoreError::Crdt(porchlight_crdt::CrdtError::Unchanged)) => {}
            Err(e) => return Err(e.into()),
        }
        drop(store);
        self.changed_locally();
        Ok(())
    }
}
