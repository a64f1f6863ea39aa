//! Errors returned to clients as ERROR frames.

/// The error codes of the CQL native protocol v4.
pub mod code {
    pub const SERVER_ERROR: i32 = 0x0000;
    pub const PROTOCOL_ERROR: i32 = 0x000A;
    pub const BAD_CREDENTIALS: i32 = 0x0100;
    pub const UNAVAILABLE: i32 = 0x1000;
    pub const OVERLOADED: i32 = 0x1001;
    pub const IS_BOOTSTRAPPING: i32 = 0x1002;
    pub const TRUNCATE_ERROR: i32 = 0x1003;
    pub const WRITE_TIMEOUT: i32 = 0x1100;
    pub const READ_TIMEOUT: i32 = 0x1200;
    pub const SYNTAX_ERROR: i32 = 0x2000;
    pub const UNAUTHORIZED: i32 = 0x2100;
    pub const INVALID: i32 = 0x2200;
    pub const CONFIG_ERROR: i32 = 0x2300;
    pub const ALREADY_EXISTS: i32 = 0x2400;
    pub const UNPREPARED: i32 = 0x2500;
}

/// Extra fields some error codes carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorExtra {
    None,
    AlreadyExists {
        keyspace: String,
        table: String,
    },
    Unprepared {
        id: Vec<u8>,
    },
    ReadTimeout {
        consistency: u16,
        received: i32,
        required: i32,
        data_present: bool,
    },
    WriteTimeout {
        consistency: u16,
        received: i32,
        required: i32,
        write_type: String,
    },
    Unavailable {
        consistency: u16,
        required: i32,
        alive: i32,
    },
}

/// An error sent to a client as an ERROR frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("error 0x{code:04x}: {message}")]
pub struct CqlError {
    pub code: i32,
    pub message: String,
    pub extra: ErrorExtra,
}

pub type Result<T, E = CqlError> = std::result::Result<T, E>;

impl CqlError {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        CqlError {
            code,
            message: message.into(),
            extra: ErrorExtra::None,
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(code::INVALID, message)
    }
    pub fn syntax(message: impl Into<String>) -> Self {
        Self::new(code::SYNTAX_ERROR, message)
    }
    pub fn server(message: impl Into<String>) -> Self {
        Self::new(code::SERVER_ERROR, message)
    }
    pub fn protocol(message: impl Into<String>) -> Self {
        Self::new(code::PROTOCOL_ERROR, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(code::CONFIG_ERROR, message)
    }
    pub fn already_exists(keyspace: &str, table: &str, message: impl Into<String>) -> Self {
        CqlError {
            code: code::ALREADY_EXISTS,
            message: message.into(),
            extra: ErrorExtra::AlreadyExists {
                keyspace: keyspace.into(),
                table: table.into(),
            },
        }
    }
    pub fn unprepared(id: &[u8]) -> Self {
        CqlError {
            code: code::UNPREPARED,
            message: format!("Prepared query with ID {} not found", hex(id)),
            extra: ErrorExtra::Unprepared { id: id.to_vec() },
        }
    }
    /// A statement that would need ALLOW FILTERING.
    pub fn filtering() -> Self {
        Self::invalid(FILTERING_MESSAGE)
    }
    /// A feature the emulator does not implement (yet).
    pub fn unsupported(what: impl std::fmt::Display) -> Self {
        Self::invalid(format!(
            "{what} is not supported by the scylla-emulator yet"
        ))
    }
}

/// ScyllaDB's generic filtering error, verbatim.
pub const FILTERING_MESSAGE: &str = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING";

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
