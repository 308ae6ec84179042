//! Placeholder: filled in by the sync work (issue 3).
