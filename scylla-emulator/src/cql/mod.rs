//! CQL text: the syntax tree ([`ast`]) and the parser ([`parse`]).

pub mod ast;
mod lexer;
mod parser;

pub use parser::{SyntaxError, parse};
