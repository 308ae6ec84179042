//! Drop-token issuing keys and the members' daily allowances. (The spent list is written with
//! each drop, in `drops.rs`.)

use porchlight_model::DeviceId;
use porchlight_protocol::wire::GroupId;
use rusqlite::{Connection, OptionalExtension, params};

use crate::Error;
use crate::storage::TokenKeyRecord;

pub(super) fn token_key(c: &Connection, group: GroupId) -> Result<Option<TokenKeyRecord>, Error> {
    Ok(c.query_row(
        "SELECT secret_der, public_der FROM token_keys WHERE group_id = ?1",
        [&group.as_bytes()[..]],
        |r| {
            Ok(TokenKeyRecord {
                secret_der: r.get(0)?,
                public_der: r.get(1)?,
            })
        },
    )
    .optional()?)
}

pub(super) fn put_token_key(
    c: &mut Connection,
    group: GroupId,
    key: &TokenKeyRecord,
) -> Result<TokenKeyRecord, Error> {
    let g = &group.as_bytes()[..];
    let tx = c.transaction()?;
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM groups WHERE id = ?1)",
        [g],
        |r| r.get(0),
    )?;
    if !known {
        return Err(Error::UnknownGroup);
    }
    tx.execute(
        "INSERT INTO token_keys (group_id, secret_der, public_der) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        params![g, key.secret_der, key.public_der],
    )?;
    let stored = token_key(&tx, group)?.ok_or(Error::UnknownGroup)?;
    tx.commit()?;
    Ok(stored)
}

pub(super) fn take_allowance(
    c: &mut Connection,
    group: GroupId,
    device: DeviceId,
    day: i64,
    want: u32,
    per_day: u32,
) -> Result<(u32, u32), Error> {
    let (g, d) = (&group.as_bytes()[..], &device.as_bytes()[..]);
    let tx = c.transaction()?;
    // Yesterday's counts are of no use any more.
    tx.execute("DELETE FROM token_issues WHERE day < ?1", [day])?;
    let issued: i64 = tx
        .query_row(
            "SELECT issued FROM token_issues WHERE group_id = ?1 AND device = ?2 AND day = ?3",
            params![g, d, day],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let issued = u32::try_from(issued.max(0)).unwrap_or(u32::MAX);
    let left = per_day.saturating_sub(issued);
    let granted = want.min(left);
    if granted > 0 {
        tx.execute(
            "INSERT INTO token_issues (group_id, device, day, issued) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (group_id, device, day) DO UPDATE SET issued = issued + excluded.issued",
            params![g, d, day, granted],
        )?;
    }
    tx.commit()?;
    Ok((granted, left - granted))
}
