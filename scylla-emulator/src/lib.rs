//! An in-memory ScyllaDB emulator speaking the CQL native protocol v4, for tests.

pub mod cql;
