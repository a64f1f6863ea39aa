//! Shared helpers for the integration tests and the main example.
