//! An in-memory ScyllaDB emulator speaking the CQL native protocol v4, for tests.
//!
//! ```no_run
//! # async fn f() -> std::io::Result<()> {
//! use scylla_emulator::Emulator;
//! let handle = Emulator::builder().start().await?;
//! println!("listening on {}", handle.addr());
//! handle.shutdown().await;
//! # Ok(()) }
//! ```

pub mod cql;
pub mod engine;
pub mod error;
pub mod index;
pub mod instruments;
pub mod murmur3;
pub mod protocol;
pub mod schema;
pub mod server;
pub mod storage;
pub mod system_tables;
pub mod types;
pub mod view;

pub use error::CqlError;
pub use instruments::{FaultError, Stats};
pub use server::{Emulator, EmulatorBuilder, EmulatorHandle};
