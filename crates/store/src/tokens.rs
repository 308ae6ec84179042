//! The drop-token stash and each queued envelope's token. Local only: tokens are spent
//! anonymously, so they must never travel with anything that names this device.

use porchlight_model::Timestamp;
use rusqlite::{OptionalExtension, params};

use crate::Store;
use crate::error::Result;

impl Store {
    /// Adds freshly issued tokens (encoded) to the stash.
    pub fn add_drop_tokens(&mut self, tokens: &[Vec<u8>]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for token in tokens {
            tx.execute("INSERT INTO drop_tokens (token) VALUES (?1)", [token])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Unspent tokens in the stash (not counting those already given to a queued envelope).
    pub fn drop_tokens_left(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM drop_tokens", [], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }

    /// The token queued envelope `drop` spends: the one it was given before, or else one taken
    /// from the stash now. `None` when it has none and the stash is empty.
    pub fn drop_token_for(&mut self, drop: i64) -> Result<Option<Vec<u8>>> {
        let tx = self.conn.transaction()?;
        let given: Option<Option<Vec<u8>>> = tx
            .query_row("SELECT token FROM drop_queue WHERE id = ?1", [drop], |r| {
                r.get(0)
            })
            .optional()?;
        let token = match given {
            None => None,
            Some(Some(token)) => Some(token),
            Some(None) => {
                let next: Option<(i64, Vec<u8>)> = tx
                    .query_row(
                        "SELECT id, token FROM drop_tokens ORDER BY id LIMIT 1",
                        [],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                if let Some((id, token)) = &next {
                    tx.execute("DELETE FROM drop_tokens WHERE id = ?1", [id])?;
                    tx.execute(
                        "UPDATE drop_queue SET token = ?2 WHERE id = ?1",
                        params![drop, token],
                    )?;
                }
                next.map(|(_, token)| token)
            }
        };
        tx.commit()?;
        Ok(token)
    }

    /// The queued envelope due first at `now`, if any: `(id, sealed, not_before)`.
    pub fn first_due_drop(&self, now: Timestamp) -> Result<Option<(i64, Vec<u8>, Timestamp)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, sealed, not_before FROM drop_queue WHERE not_before <= ?1
                 ORDER BY not_before, id LIMIT 1",
                [now.millis()],
                |r| Ok((r.get(0)?, r.get(1)?, Timestamp::from_millis(r.get(2)?))),
            )
            .optional()?)
    }

    /// Queued envelopes with their departure times, soonest first.
    pub fn drop_schedule(&self) -> Result<Vec<(i64, Timestamp)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, not_before FROM drop_queue ORDER BY not_before, id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, Timestamp::from_millis(r.get(1)?))))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Moves queued envelopes to new departure times, all in one step.
    pub fn reschedule_drops(&mut self, times: &[(i64, Timestamp)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (id, at) in times {
            tx.execute(
                "UPDATE drop_queue SET not_before = ?2 WHERE id = ?1",
                params![id, at.millis()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The index of the next published status the reporter of `report` asks for.
    pub fn set_reply_next(&mut self, report: porchlight_model::DocId, next: u64) -> Result<()> {
        self.conn.execute(
            "UPDATE receipts SET reply_next = ?2 WHERE report = ?1",
            params![report.as_bytes(), i64::try_from(next).unwrap_or(i64::MAX)],
        )?;
        Ok(())
    }

    pub fn reply_next(&self, report: porchlight_model::DocId) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT reply_next FROM receipts WHERE report = ?1",
            [report.as_bytes()],
            |r| r.get(0),
        )?;
        Ok(n.max(0).unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue_drop_in;

    #[test]
    fn a_queued_envelope_keeps_the_token_it_was_given_and_an_empty_stash_gives_none() {
        let mut store = Store::open_in_memory().unwrap();
        queue_drop_in(&store.conn, b"first", Timestamp::from_millis(1)).unwrap();
        queue_drop_in(&store.conn, b"second", Timestamp::from_millis(2)).unwrap();
        let ids: Vec<i64> = store
            .drop_schedule()
            .unwrap()
            .iter()
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(store.drop_token_for(ids[0]).unwrap(), None);

        store.add_drop_tokens(&[b"t1".to_vec()]).unwrap();
        assert_eq!(store.drop_tokens_left().unwrap(), 1);
        assert_eq!(
            store.drop_token_for(ids[0]).unwrap().as_deref(),
            Some(&b"t1"[..])
        );
        assert_eq!(store.drop_tokens_left().unwrap(), 0);
        // Asked again (a retry), the same envelope gets the same token; the next gets none.
        assert_eq!(
            store.drop_token_for(ids[0]).unwrap().as_deref(),
            Some(&b"t1"[..])
        );
        assert_eq!(store.drop_token_for(ids[1]).unwrap(), None);
        assert_eq!(store.drop_token_for(999).unwrap(), None);

        store
            .reschedule_drops(&[(ids[1], Timestamp::from_millis(0))])
            .unwrap();
        let (first, sealed, _) = store
            .first_due_drop(Timestamp::from_millis(1))
            .unwrap()
            .unwrap();
        assert_eq!((first, sealed.as_slice()), (ids[1], &b"second"[..]));
    }
}
