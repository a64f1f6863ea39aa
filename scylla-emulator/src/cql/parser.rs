//! Recursive-descent parser for the CQL subset of the emulator (stub until the parser lands).

use super::ast::ParsedStatement;

/// A syntax error, reported to clients as ERROR 0x2000 (Syntax) with [`SyntaxError::message`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    /// The message sent to the client, worded as ScyllaDB words it.
    pub message: String,
}

/// Parse one CQL statement (a trailing `;` is allowed).
pub fn parse(text: &str) -> Result<ParsedStatement, SyntaxError> {
    Err(SyntaxError {
        message: format!("parser not built yet: {text}"),
    })
}
