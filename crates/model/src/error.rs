use thiserror::Error;

/// A record or value that breaks one of the model's rules. Every variant names the field, so the
/// CLI and the UI can say exactly what to fix.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ValidationError {
    #[error("{field}: latitude {value} is outside -90..90")]
    Latitude { field: &'static str, value: f64 },
    #[error("{field}: longitude {value} is outside -180..180")]
    Longitude { field: &'static str, value: f64 },
    #[error("{field}: {what} must be a finite number")]
    NotFinite {
        field: &'static str,
        what: &'static str,
    },
    #[error("{field}: radius {value} m is outside {min}..{max} m")]
    Radius {
        field: &'static str,
        value: f64,
        min: f64,
        max: f64,
    },
    #[error("{field}: a polygon needs {min}..{max} distinct vertices, got {count}")]
    PolygonVertices {
        field: &'static str,
        count: usize,
        min: usize,
        max: usize,
    },
    #[error("{field}: the polygon is not closed (first and last vertex differ)")]
    PolygonNotClosed { field: &'static str },
    #[error("{field}: the polygon's edges cross each other")]
    PolygonSelfIntersecting { field: &'static str },
    #[error("{field}: must not be empty")]
    Empty { field: &'static str },
    #[error("{field}: {len} characters is more than the {max} allowed")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{field}: {value:?} is not an RFC 3339 time (like 2026-05-01T18:30:00Z)")]
    Time { field: &'static str, value: String },
    #[error("{field}: must be after {after}")]
    NotAfter {
        field: &'static str,
        after: &'static str,
    },
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(
        "person: say what the person did, and give at least 2 details other than race or \
         ethnicity (clothing, vehicle, direction, build, hair, what they carried); \
         {distinguishing} given"
    )]
    PersonDetails { distinguishing: usize },
}

impl ValidationError {
    /// The field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            ValidationError::Latitude { field, .. }
            | ValidationError::Longitude { field, .. }
            | ValidationError::NotFinite { field, .. }
            | ValidationError::Radius { field, .. }
            | ValidationError::PolygonVertices { field, .. }
            | ValidationError::PolygonNotClosed { field }
            | ValidationError::PolygonSelfIntersecting { field }
            | ValidationError::Empty { field }
            | ValidationError::TooLong { field, .. }
            | ValidationError::Time { field, .. }
            | ValidationError::NotAfter { field, .. }
            | ValidationError::Invalid { field, .. } => field,
            ValidationError::PersonDetails { .. } => "person",
        }
    }
}
