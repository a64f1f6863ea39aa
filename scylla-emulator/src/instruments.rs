//! Instruments for tests and benchmarks: statement counters, injected latency, fault injection.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::{CqlError, ErrorExtra, code};

/// Statement kinds counted by [`Stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    Select,
    Insert,
    Update,
    Delete,
    Batch,
    Ddl,
    Use,
}

/// A snapshot of the counters. Statements reading only system keyspaces (the driver's
/// metadata queries) are not counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// All counted statements (the sum of the per-kind counters below).
    pub statements: u64,
    pub selects: u64,
    pub inserts: u64,
    pub updates: u64,
    pub deletes: u64,
    pub batches: u64,
    pub ddl: u64,
    pub uses: u64,
    /// SELECTs that carried ALLOW FILTERING.
    pub allow_filtering_statements: u64,
    /// Live rows read from storage by SELECTs (before filtering).
    pub rows_examined: u64,
    /// Rows returned to clients by SELECTs.
    pub rows_returned: u64,
    /// Secondary-index entries read by SELECTs served by an index.
    pub index_entries_read: u64,
}

impl Stats {
    /// All counted statements.
    pub fn statements(&self) -> u64 {
        self.selects
            + self.inserts
            + self.updates
            + self.deletes
            + self.batches
            + self.ddl
            + self.uses
    }
}

/// The error an injected fault produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultError {
    /// ServerError (0x0000) with this message.
    ServerError(String),
    /// Invalid (0x2200) with this message.
    Invalid(String),
    /// Overloaded (0x1001).
    Overloaded,
    /// ReadTimeout (0x1200) at LOCAL_QUORUM-like consistency ONE, 0 of 1 received.
    ReadTimeout,
    /// WriteTimeout (0x1100), write type SIMPLE.
    WriteTimeout,
    /// Unavailable (0x1000).
    Unavailable,
    /// Drop the connection instead of answering.
    DropConnection,
}

impl FaultError {
    /// The ERROR to send (`None` for [`FaultError::DropConnection`]).
    pub fn to_error(&self) -> Option<CqlError> {
        Some(match self {
            FaultError::ServerError(m) => CqlError::server(m.clone()),
            FaultError::Invalid(m) => CqlError::invalid(m.clone()),
            FaultError::Overloaded => CqlError::new(code::OVERLOADED, "Injected fault: overloaded"),
            FaultError::ReadTimeout => CqlError {
                code: code::READ_TIMEOUT,
                message:
                    "Operation timed out for a read - received only 0 responses from 1 CL=ONE."
                        .into(),
                extra: ErrorExtra::ReadTimeout {
                    consistency: 1,
                    received: 0,
                    required: 1,
                    data_present: false,
                },
            },
            FaultError::WriteTimeout => CqlError {
                code: code::WRITE_TIMEOUT,
                message:
                    "Operation timed out for a write - received only 0 responses from 1 CL=ONE."
                        .into(),
                extra: ErrorExtra::WriteTimeout {
                    consistency: 1,
                    received: 0,
                    required: 1,
                    write_type: "SIMPLE".into(),
                },
            },
            FaultError::Unavailable => CqlError {
                code: code::UNAVAILABLE,
                message: "Cannot achieve consistency level for cl ONE. Requires 1, alive 0".into(),
                extra: ErrorExtra::Unavailable {
                    consistency: 1,
                    required: 1,
                    alive: 0,
                },
            },
            FaultError::DropConnection => return None,
        })
    }
}

#[derive(Debug)]
struct Fault {
    remaining: u64,
    pattern: String,
    error: FaultError,
}

/// Counters, latency and faults shared by the server and the engine.
#[derive(Debug, Default)]
pub struct Instruments {
    selects: AtomicU64,
    inserts: AtomicU64,
    updates: AtomicU64,
    deletes: AtomicU64,
    batches: AtomicU64,
    ddl: AtomicU64,
    uses: AtomicU64,
    allow_filtering: AtomicU64,
    rows_examined: AtomicU64,
    rows_returned: AtomicU64,
    index_entries_read: AtomicU64,
    latency_micros: AtomicU64,
    faults: Mutex<Vec<Fault>>,
}

impl Instruments {
    pub fn count_statement(&self, k: StatementKind) {
        let c = match k {
            StatementKind::Select => &self.selects,
            StatementKind::Insert => &self.inserts,
            StatementKind::Update => &self.updates,
            StatementKind::Delete => &self.deletes,
            StatementKind::Batch => &self.batches,
            StatementKind::Ddl => &self.ddl,
            StatementKind::Use => &self.uses,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_allow_filtering(&self) {
        self.allow_filtering.fetch_add(1, Ordering::Relaxed);
    }
    pub fn add_rows(&self, examined: u64, returned: u64) {
        self.rows_examined.fetch_add(examined, Ordering::Relaxed);
        self.rows_returned.fetch_add(returned, Ordering::Relaxed);
    }
    pub fn add_index_entries(&self, n: u64) {
        self.index_entries_read.fetch_add(n, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Stats {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut st = Stats {
            selects: g(&self.selects),
            inserts: g(&self.inserts),
            updates: g(&self.updates),
            deletes: g(&self.deletes),
            batches: g(&self.batches),
            ddl: g(&self.ddl),
            uses: g(&self.uses),
            allow_filtering_statements: g(&self.allow_filtering),
            rows_examined: g(&self.rows_examined),
            rows_returned: g(&self.rows_returned),
            index_entries_read: g(&self.index_entries_read),
            statements: 0,
        };
        st.statements =
            st.selects + st.inserts + st.updates + st.deletes + st.batches + st.ddl + st.uses;
        st
    }

    pub fn reset(&self) {
        for a in [
            &self.selects,
            &self.inserts,
            &self.updates,
            &self.deletes,
            &self.batches,
            &self.ddl,
            &self.uses,
            &self.allow_filtering,
            &self.rows_examined,
            &self.rows_returned,
            &self.index_entries_read,
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }

    pub fn set_latency(&self, d: Duration) {
        self.latency_micros
            .store(d.as_micros() as u64, Ordering::Relaxed);
    }
    pub fn latency(&self) -> Duration {
        Duration::from_micros(self.latency_micros.load(Ordering::Relaxed))
    }

    pub fn add_fault(&self, n: u64, pattern: &str, error: FaultError) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Fault {
                remaining: n,
                pattern: pattern.to_string(),
                error,
            });
    }

    pub fn clear_faults(&self) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// If a pending fault matches this statement text, consume one and return its error.
    pub fn take_fault(&self, text: &str) -> Option<FaultError> {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let pos = faults
            .iter()
            .position(|f| f.remaining > 0 && text.contains(&f.pattern))?;
        faults[pos].remaining -= 1;
        let e = faults[pos].error.clone();
        if faults[pos].remaining == 0 {
            faults.remove(pos);
        }
        Some(e)
    }
}
