//! Limits on free text, checked in characters (not bytes) after trimming.

use crate::error::ValidationError;

pub const TITLE_MAX: usize = 120;
pub const BODY_MAX: usize = 4_000;
pub const NAME_MAX: usize = 60;

/// A required single-line text of 1..=`max` characters; returns it trimmed.
pub fn required(field: &'static str, value: &str, max: usize) -> Result<String, ValidationError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ValidationError::Empty { field });
    }
    at_most(field, v, max)
}

/// An optional text of at most `max` characters (may be empty); returns it trimmed.
pub fn at_most(field: &'static str, value: &str, max: usize) -> Result<String, ValidationError> {
    let v = value.trim();
    let len = v.chars().count();
    if len > max {
        return Err(ValidationError::TooLong { field, len, max });
    }
    Ok(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_characters_not_bytes() {
        assert!(required("title", &"ñ".repeat(120), TITLE_MAX).is_ok());
        assert!(matches!(
            required("title", &"ñ".repeat(121), TITLE_MAX),
            Err(ValidationError::TooLong {
                field: "title",
                len: 121,
                max: 120
            })
        ));
        assert!(matches!(
            required("title", "   ", TITLE_MAX),
            Err(ValidationError::Empty { .. })
        ));
        assert_eq!(at_most("body", "  hi ", BODY_MAX).unwrap(), "hi");
    }
}
