//! Groups, members, invites, challenges and sessions.

use porchlight_model::{DeviceId, Role};
use porchlight_protocol::SignedInvite;
use porchlight_protocol::wire::GroupId;
use rusqlite::{Connection, OptionalExtension, params};

use super::{MEMBER_COLUMNS, group_at, member_from, role_at};
use crate::Error;
use crate::storage::{MemberRecord, NewInvite, NewMember, SessionRecord};

pub(super) fn put_challenge(
    c: &mut Connection,
    nonce: [u8; 32],
    time: i64,
    expires_at: i64,
) -> Result<(), Error> {
    let tx = c.transaction()?;
    // Unanswered challenges pile up otherwise; dropping the stale ones here keeps the table as
    // small as the number of sign-ins in flight.
    tx.execute("DELETE FROM challenges WHERE expires_at < ?1", [time])?;
    tx.execute(
        "INSERT INTO challenges (nonce, time, expires_at) VALUES (?1, ?2, ?3)",
        params![&nonce[..], time, expires_at],
    )?;
    tx.commit()?;
    Ok(())
}

pub(super) fn take_challenge(
    c: &mut Connection,
    nonce: [u8; 32],
) -> Result<Option<(i64, i64)>, Error> {
    Ok(c.query_row(
        "DELETE FROM challenges WHERE nonce = ?1 RETURNING time, expires_at",
        [&nonce[..]],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?)
}

fn insert_member(
    c: &Connection,
    group: GroupId,
    role: Role,
    m: &NewMember,
    evidence: Option<&[u8]>,
) -> Result<(), rusqlite::Error> {
    c.execute(
        "INSERT INTO members (group_id, device, public_key, display_name, role, joined_at, evidence)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            &group.as_bytes()[..],
            &m.device.as_bytes()[..],
            &m.public_key[..],
            m.display_name,
            role.as_str(),
            m.joined_at,
            evidence
        ],
    )?;
    Ok(())
}

pub(super) fn create_group(
    c: &mut Connection,
    group: GroupId,
    name: &str,
    first: &NewMember,
) -> Result<(), Error> {
    let tx = c.transaction()?;
    tx.execute(
        "INSERT INTO groups (id, name, created_at) VALUES (?1, ?2, ?3)",
        params![&group.as_bytes()[..], name, first.joined_at],
    )?;
    insert_member(&tx, group, Role::Coordinator, first, None)?;
    tx.commit()?;
    Ok(())
}

pub(super) fn member(
    c: &Connection,
    group: GroupId,
    device: DeviceId,
) -> Result<Option<MemberRecord>, Error> {
    Ok(c.query_row(
        &format!("SELECT {MEMBER_COLUMNS} FROM members WHERE group_id = ?1 AND device = ?2"),
        params![&group.as_bytes()[..], &device.as_bytes()[..]],
        |r| member_from(r, 0),
    )
    .optional()?)
}

pub(super) fn members(c: &mut Connection, group: GroupId) -> Result<Vec<MemberRecord>, Error> {
    let mut stmt = c.prepare(&format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE group_id = ?1 ORDER BY joined_at, device"
    ))?;
    let rows = stmt.query_map([&group.as_bytes()[..]], |r| member_from(r, 0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn create_invite(c: &mut Connection, i: &NewInvite) -> Result<(), Error> {
    let signed = porchlight_protocol::wire::encode(&i.signed).map_err(Error::Encode)?;
    let inserted = c.execute(
        "INSERT OR IGNORE INTO invites (id, group_id, signed, role, uses_left, expires_at, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            &i.signed.invite[..],
            &i.signed.group.as_bytes()[..],
            signed,
            i.signed.role.as_str(),
            i.signed.uses,
            i.signed.expires_at,
            &i.created_by.as_bytes()[..],
            i.created_at
        ],
    )?;
    if inserted == 0 {
        return Err(Error::Conflict(
            "an invite with this id exists already".into(),
        ));
    }
    Ok(())
}

pub(super) fn invite(c: &Connection, invite: [u8; 16]) -> Result<Option<SignedInvite>, Error> {
    let bytes: Option<Vec<u8>> = c
        .query_row(
            "SELECT signed FROM invites WHERE id = ?1",
            [&invite[..]],
            |r| r.get(0),
        )
        .optional()?;
    bytes
        .map(|b| porchlight_protocol::wire::decode(&b))
        .transpose()
        .map_err(|_| Error::InviteInvalid)
}

pub(super) fn redeem_invite(
    c: &mut Connection,
    invite: [u8; 16],
    now: i64,
    m: &NewMember,
    evidence: &[u8],
) -> Result<(GroupId, MemberRecord), Error> {
    let tx = c.transaction()?;
    let found = tx
        .query_row(
            "SELECT group_id, role, uses_left, expires_at FROM invites WHERE id = ?1",
            [&invite[..]],
            |r| {
                Ok((
                    group_at(r, 0)?,
                    role_at(r, 1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((group, role, uses_left, expires_at)) = found else {
        return Err(Error::InviteInvalid);
    };
    if let Some(existing) = member(&tx, group, m.device)? {
        if existing.revoked_at.is_some() {
            return Err(Error::Revoked);
        }
        return Ok((group, existing));
    }
    if now >= expires_at {
        return Err(Error::InviteExpired);
    }
    if uses_left <= 0 {
        return Err(Error::InviteUsedUp);
    }
    tx.execute(
        "UPDATE invites SET uses_left = uses_left - 1 WHERE id = ?1",
        [&invite[..]],
    )?;
    insert_member(&tx, group, role, m, Some(evidence))?;
    let added = member(&tx, group, m.device)?.ok_or(Error::NotMember)?;
    tx.commit()?;
    Ok((group, added))
}

pub(super) fn create_session(
    c: &mut Connection,
    token_hash: [u8; 32],
    group: GroupId,
    device: DeviceId,
    now: i64,
    expires_at: i64,
) -> Result<(), Error> {
    let tx = c.transaction()?;
    tx.execute("DELETE FROM sessions WHERE expires_at < ?1", [now])?;
    tx.execute(
        "INSERT INTO sessions (token_hash, group_id, device, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            &token_hash[..],
            &group.as_bytes()[..],
            &device.as_bytes()[..],
            expires_at
        ],
    )?;
    tx.commit()?;
    Ok(())
}

pub(super) fn session(
    c: &mut Connection,
    token_hash: [u8; 32],
) -> Result<Option<SessionRecord>, Error> {
    let columns = MEMBER_COLUMNS
        .split(", ")
        .map(|col| format!("m.{col}"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(c.query_row(
        &format!(
            "SELECT s.group_id, s.expires_at, {columns} FROM sessions s
             JOIN members m ON m.group_id = s.group_id AND m.device = s.device
             WHERE s.token_hash = ?1"
        ),
        [&token_hash[..]],
        |r| {
            Ok(SessionRecord {
                group: group_at(r, 0)?,
                expires_at: r.get(1)?,
                member: member_from(r, 2)?,
            })
        },
    )
    .optional()?)
}

pub(super) fn revoke(
    c: &mut Connection,
    group: GroupId,
    device: DeviceId,
    now: i64,
) -> Result<MemberRecord, Error> {
    let tx = c.transaction()?;
    let Some(target) = member(&tx, group, device)? else {
        return Err(Error::NotFound(format!(
            "device {device} is not a member of this group"
        )));
    };
    if target.revoked_at.is_some() {
        return Ok(target);
    }
    if target.role == Role::Coordinator {
        let active: i64 = tx.query_row(
            "SELECT count(*) FROM members WHERE group_id = ?1 AND role = 'coordinator' AND revoked_at IS NULL",
            [&group.as_bytes()[..]],
            |r| r.get(0),
        )?;
        if active <= 1 {
            return Err(Error::Conflict(
                "this is the group's last coordinator; make another coordinator first".into(),
            ));
        }
    }
    let (g, d) = (&group.as_bytes()[..], &device.as_bytes()[..]);
    tx.execute(
        "UPDATE members SET revoked_at = ?3 WHERE group_id = ?1 AND device = ?2",
        params![g, d, now],
    )?;
    // Deleting the sessions is belt and braces: every request also checks revoked_at.
    tx.execute(
        "DELETE FROM sessions WHERE group_id = ?1 AND device = ?2",
        params![g, d],
    )?;
    tx.commit()?;
    Ok(MemberRecord {
        revoked_at: Some(now),
        ..target
    })
}
