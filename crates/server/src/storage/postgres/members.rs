//! Groups, members, invites, challenges and sessions.

use deadpool_postgres::{GenericClient, Object};
use porchlight_model::{DeviceId, Role};
use porchlight_protocol::SignedInvite;
use porchlight_protocol::wire::GroupId;

use super::{MEMBER_COLUMNS, group_at, member_from, role_at};
use crate::Error;
use crate::storage::{MemberRecord, NewInvite, NewMember, SessionRecord};

pub(super) async fn put_challenge(
    c: &mut Object,
    nonce: [u8; 32],
    time: i64,
    expires_at: i64,
) -> Result<(), Error> {
    let tx = c.transaction().await?;
    // Unanswered challenges pile up otherwise.
    tx.execute("DELETE FROM challenges WHERE expires_at < $1", &[&time])
        .await?;
    tx.execute(
        "INSERT INTO challenges (nonce, time, expires_at) VALUES ($1, $2, $3)",
        &[&&nonce[..], &time, &expires_at],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn take_challenge(
    c: &impl GenericClient,
    nonce: [u8; 32],
) -> Result<Option<(i64, i64)>, Error> {
    // Deleting and returning in one statement is what makes a challenge single-use, also when
    // two instances receive the same answer at once.
    let row = c
        .query_opt(
            "DELETE FROM challenges WHERE nonce = $1 RETURNING time, expires_at",
            &[&&nonce[..]],
        )
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

async fn insert_member(
    c: &impl GenericClient,
    group: GroupId,
    role: Role,
    m: &NewMember,
    evidence: Option<&[u8]>,
) -> Result<(), Error> {
    c.execute(
        "INSERT INTO members (group_id, device, public_key, display_name, role, joined_at, evidence)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &&group.as_bytes()[..],
            &&m.device.as_bytes()[..],
            &&m.public_key[..],
            &m.display_name,
            &role.as_str(),
            &m.joined_at,
            &evidence,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn create_group(
    c: &mut Object,
    group: GroupId,
    name: &str,
    first: &NewMember,
) -> Result<(), Error> {
    let tx = c.transaction().await?;
    tx.execute(
        "INSERT INTO groups (id, name, created_at) VALUES ($1, $2, $3)",
        &[&&group.as_bytes()[..], &name, &first.joined_at],
    )
    .await?;
    insert_member(&tx, group, Role::Coordinator, first, None).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn member(
    c: &impl GenericClient,
    group: GroupId,
    device: DeviceId,
) -> Result<Option<MemberRecord>, Error> {
    let row = c
        .query_opt(
            &format!("SELECT {MEMBER_COLUMNS} FROM members WHERE group_id = $1 AND device = $2"),
            &[&&group.as_bytes()[..], &&device.as_bytes()[..]],
        )
        .await?;
    row.map(|r| member_from(&r, 0)).transpose()
}

pub(super) async fn members(
    c: &impl GenericClient,
    group: GroupId,
) -> Result<Vec<MemberRecord>, Error> {
    let rows = c
        .query(
            &format!(
                "SELECT {MEMBER_COLUMNS} FROM members WHERE group_id = $1 ORDER BY joined_at, device"
            ),
            &[&&group.as_bytes()[..]],
        )
        .await?;
    rows.iter().map(|r| member_from(r, 0)).collect()
}

pub(super) async fn create_invite(c: &impl GenericClient, i: &NewInvite) -> Result<(), Error> {
    let signed = porchlight_protocol::wire::encode(&i.signed).map_err(Error::Encode)?;
    let inserted = c
        .execute(
            "INSERT INTO invites (id, group_id, signed, role, uses_left, expires_at, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            &[
                &&i.signed.invite[..],
                &&i.signed.group.as_bytes()[..],
                &signed,
                &i.signed.role.as_str(),
                &i64::from(i.signed.uses),
                &i.signed.expires_at,
                &&i.created_by.as_bytes()[..],
                &i.created_at,
            ],
        )
        .await?;
    if inserted == 0 {
        return Err(Error::Conflict(
            "an invite with this id exists already".into(),
        ));
    }
    Ok(())
}

pub(super) async fn invite(
    c: &impl GenericClient,
    invite: [u8; 16],
) -> Result<Option<SignedInvite>, Error> {
    let row = c
        .query_opt("SELECT signed FROM invites WHERE id = $1", &[&&invite[..]])
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    porchlight_protocol::wire::decode(row.try_get::<_, &[u8]>(0)?)
        .map(Some)
        .map_err(|_| Error::InviteInvalid)
}

pub(super) async fn redeem_invite(
    c: &mut Object,
    invite: [u8; 16],
    now: i64,
    m: &NewMember,
    evidence: &[u8],
) -> Result<(GroupId, MemberRecord), Error> {
    let tx = c.transaction().await?;
    // Locking the invite makes two joins through it (on any instances) take turns, so its uses
    // are counted exactly.
    let row = tx
        .query_opt(
            "SELECT group_id, role, uses_left, expires_at FROM invites WHERE id = $1 FOR UPDATE",
            &[&&invite[..]],
        )
        .await?;
    let Some(row) = row else {
        return Err(Error::InviteInvalid);
    };
    let group = group_at(&row, 0)?;
    let role = role_at(&row, 1)?;
    let uses_left: i64 = row.try_get(2)?;
    let expires_at: i64 = row.try_get(3)?;
    if let Some(existing) = member(&tx, group, m.device).await? {
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
        "UPDATE invites SET uses_left = uses_left - 1 WHERE id = $1",
        &[&&invite[..]],
    )
    .await?;
    insert_member(&tx, group, role, m, Some(evidence)).await?;
    let added = member(&tx, group, m.device)
        .await?
        .ok_or(Error::NotMember)?;
    tx.commit().await?;
    Ok((group, added))
}

pub(super) async fn create_session(
    c: &mut Object,
    token_hash: [u8; 32],
    group: GroupId,
    device: DeviceId,
    now: i64,
    expires_at: i64,
) -> Result<(), Error> {
    let tx = c.transaction().await?;
    tx.execute("DELETE FROM sessions WHERE expires_at < $1", &[&now])
        .await?;
    tx.execute(
        "INSERT INTO sessions (token_hash, group_id, device, expires_at) VALUES ($1, $2, $3, $4)",
        &[
            &&token_hash[..],
            &&group.as_bytes()[..],
            &&device.as_bytes()[..],
            &expires_at,
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn session(
    c: &impl GenericClient,
    token_hash: [u8; 32],
) -> Result<Option<SessionRecord>, Error> {
    let columns = MEMBER_COLUMNS
        .split(", ")
        .map(|col| format!("m.{col}"))
        .collect::<Vec<_>>()
        .join(", ");
    // Every authenticated request asks this: keep the statement prepared.
    let stmt = c
        .prepare_cached(&format!(
            "SELECT s.group_id, s.expires_at, {columns} FROM sessions s
             JOIN members m ON m.group_id = s.group_id AND m.device = s.device
             WHERE s.token_hash = $1"
        ))
        .await?;
    let row = c.query_opt(&stmt, &[&&token_hash[..]]).await?;
    row.map(|r| {
        Ok(SessionRecord {
            group: group_at(&r, 0)?,
            expires_at: r.try_get(1)?,
            member: member_from(&r, 2)?,
        })
    })
    .transpose()
}

pub(super) async fn revoke(
    c: &mut Object,
    group: GroupId,
    device: DeviceId,
    now: i64,
) -> Result<MemberRecord, Error> {
    let (g, d) = (&group.as_bytes()[..], &device.as_bytes()[..]);
    let tx = c.transaction().await?;
    // Two coordinators revoking each other at once on two instances must not both succeed and
    // leave the group with none: revocations of one group take turns on its row.
    tx.execute("SELECT 1 FROM groups WHERE id = $1 FOR UPDATE", &[&g])
        .await?;
    let Some(target) = member(&tx, group, device).await? else {
        return Err(Error::NotFound(format!(
            "device {device} is not a member of this group"
        )));
    };
    if target.revoked_at.is_some() {
        return Ok(target);
    }
    if target.role == Role::Coordinator {
        let active: i64 = tx
            .query_one(
                "SELECT count(*) FROM members
                 WHERE group_id = $1 AND role = 'coordinator' AND revoked_at IS NULL",
                &[&g],
            )
            .await?
            .try_get(0)?;
        if active <= 1 {
            return Err(Error::Conflict(
                "this is the group's last coordinator; make another coordinator first".into(),
            ));
        }
    }
    tx.execute(
        "UPDATE members SET revoked_at = $3 WHERE group_id = $1 AND device = $2",
        &[&g, &d, &now],
    )
    .await?;
    // Deleting the sessions is belt and braces: every request also checks revoked_at.
    tx.execute(
        "DELETE FROM sessions WHERE group_id = $1 AND device = $2",
        &[&g, &d],
    )
    .await?;
    // Every instance drops its cached sessions when this commits (decision 63).
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&super::CHANNEL, &super::members_payload(group)],
    )
    .await?;
    tx.commit().await?;
    Ok(MemberRecord {
        revoked_at: Some(now),
        ..target
    })
}
