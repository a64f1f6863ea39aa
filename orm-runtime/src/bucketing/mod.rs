//! Composite bucketing math (lands with the foundation issue).
