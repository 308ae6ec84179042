//! Running the store's statements through the connection's statement cache: parsing SQL again
//! for every row was a sixth of applying a pulled page.

use rusqlite::{Connection, Params};

/// Executes `sql` with a cached prepared statement.
pub(crate) fn exec(conn: &Connection, sql: &str, params: impl Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}
