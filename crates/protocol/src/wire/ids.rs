//! Ids on the wire. In CBOR every id travels as a byte string (16 bytes, not 22 characters of
//! base58); in human-readable formats (JSON for the CLI) as the same text people see elsewhere.
//! Document and device ids do this by themselves (see `porchlight_model`); the group id is
//! declared the same way.

porchlight_model::base58_id!(
    /// The id of a group on a server: the scope of one change log, one member list, one cursor.
    GroupId,
    "group",
    "group"
);
