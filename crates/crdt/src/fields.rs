//! Typed reads of document fields. Documents arrive from other devices, so a missing or mistyped
//! field is an error (or `None`), never a panic.

use automerge::{ObjId, ObjType, ReadDoc, ScalarValue, ScalarValueRef, Value, ValueRef};
use porchlight_model::DocKind;

use crate::error::CrdtError;

fn scalar(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<ScalarValue> {
    match doc.get(obj, key) {
        Ok(Some((Value::Scalar(s), _))) => Some(s.into_owned()),
        _ => None,
    }
}

pub(crate) fn opt_str(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<String> {
    match scalar(doc, obj, key)? {
        ScalarValue::Str(s) => Some(s.to_string()),
        _ => None,
    }
}

pub(crate) fn opt_i64(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<i64> {
    match scalar(doc, obj, key)? {
        ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Some(i),
        ScalarValue::Uint(u) => i64::try_from(u).ok(),
        _ => None,
    }
}

pub(crate) fn opt_f64(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<f64> {
    match scalar(doc, obj, key)? {
        ScalarValue::F64(f) => Some(f),
        ScalarValue::Int(i) => Some(i as f64),
        _ => None,
    }
}

pub(crate) fn opt_bytes(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<Vec<u8>> {
    match scalar(doc, obj, key)? {
        ScalarValue::Bytes(b) => Some(b),
        _ => None,
    }
}

pub(crate) fn opt_obj(doc: &impl ReadDoc, obj: &ObjId, key: &str, ty: ObjType) -> Option<ObjId> {
    match doc.get(obj, key) {
        Ok(Some((Value::Object(t), id))) if t == ty => Some(id),
        _ => None,
    }
}

/// A reader bound to one document kind, so schema errors name it.
pub(crate) struct Fields<'a, D: ReadDoc> {
    pub doc: &'a D,
    pub kind: DocKind,
}

impl<D: ReadDoc> Fields<'_, D> {
    pub fn str(&self, obj: &ObjId, key: &'static str) -> Result<String, CrdtError> {
        opt_str(self.doc, obj, key).ok_or(self.missing(key))
    }

    pub fn i64(&self, obj: &ObjId, key: &'static str) -> Result<i64, CrdtError> {
        opt_i64(self.doc, obj, key).ok_or(self.missing(key))
    }

    pub fn obj(&self, obj: &ObjId, key: &'static str, ty: ObjType) -> Result<ObjId, CrdtError> {
        opt_obj(self.doc, obj, key, ty).ok_or(self.missing(key))
    }

    /// Parses a string field with `FromStr` (enums), mapping failure to a schema error.
    pub fn parsed<T: std::str::FromStr>(
        &self,
        obj: &ObjId,
        key: &'static str,
    ) -> Result<T, CrdtError> {
        self.str(obj, key)?.parse().map_err(|_| self.missing(key))
    }

    /// Reads a JSON-encoded string field (areas, written once).
    pub fn json<T: serde::de::DeserializeOwned>(
        &self,
        obj: &ObjId,
        key: &'static str,
    ) -> Result<T, CrdtError> {
        serde_json::from_str(&self.str(obj, key)?).map_err(|_| self.missing(key))
    }

    pub fn missing(&self, field: &'static str) -> CrdtError {
        CrdtError::Schema {
            kind: self.kind,
            field,
        }
    }
}

/// The string items of a list, skipping anything else.
pub(crate) fn list_strings(doc: &impl ReadDoc, list: &ObjId) -> Vec<String> {
    doc.list_range(list, ..)
        .filter_map(|item| match item.value {
            ValueRef::Scalar(ScalarValueRef::Str(s)) => Some(s.into_owned()),
            _ => None,
        })
        .collect()
}

/// The byte items of a list, skipping anything else.
pub(crate) fn list_bytes(doc: &impl ReadDoc, list: &ObjId) -> Vec<Vec<u8>> {
    doc.list_range(list, ..)
        .filter_map(|item| match item.value {
            ValueRef::Scalar(ScalarValueRef::Bytes(b)) => Some(b.into_owned()),
            _ => None,
        })
        .collect()
}
