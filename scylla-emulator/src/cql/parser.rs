//! Hand-written recursive-descent parser for the CQL the emulator understands.
//!
//! It follows ScyllaDB's grammar (`cql3/Cql.g`): the same reserved keywords, the same lexical
//! rules, and ANTLR-style error messages (`line L:C mismatched input 'x' expecting K_FROM`).
//! Statements ScyllaDB knows but the emulator does not implement are rejected with
//! "`<what>` is not supported by the emulator". The parser never panics, and expression
//! nesting is capped as in ScyllaDB (`expression nested too deeply`), so hostile input cannot
//! overflow the stack.
//!
//! Layout: this file holds the token cursor, identifiers, terms and WHERE relations;
//! `dml.rs` holds SELECT / INSERT / UPDATE / DELETE / BATCH; `ddl.rs` holds the schema
//! statements.

mod ddl;
mod dml;
#[cfg(test)]
mod tests;

use super::ast::{
    InValues, Literal, Operator, ParsedStatement, QualifiedName, Relation, RelationLhs, Statement,
    Term,
};
use super::lexer::{Token, TokenKind, position, tokenize};

/// A syntax error, reported to clients as ERROR 0x2000 (Syntax) with [`SyntaxError::message`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    /// The message sent to the client, worded as ScyllaDB words it.
    pub message: String,
}

/// Parse one CQL statement (a trailing `;` is allowed).
pub fn parse(text: &str) -> Result<ParsedStatement, SyntaxError> {
    let toks = tokenize(text)?;
    let mut p = Parser {
        src: text,
        toks,
        pos: 0,
        binds: 0,
        depth: 0,
    };
    let statement = p.statement()?;
    while p.eat(TokenKind::Semicolon) {}
    if !p.at(TokenKind::Eof) {
        return Err(p.mismatched("EOF"));
    }
    Ok(ParsedStatement {
        statement,
        bind_count: p.binds,
    })
}

/// ScyllaDB caps expression nesting at 12 (`max_expression_nesting` in `Cql.g`).
const MAX_NESTING: usize = 12;
/// Types are not capped by ScyllaDB; we cap them to keep recursion bounded.
const MAX_TYPE_NESTING: usize = 64;

type PResult<T> = Result<T, SyntaxError>;

/// Keywords ScyllaDB reserves: they cannot be used as unquoted identifiers.
/// (Every `K_*` token of `Cql.g` that is not in `unreserved_keyword`.)
pub(crate) fn is_reserved(word: &str) -> bool {
    matches!(
        word,
        "add"
            | "allow"
            | "alter"
            | "and"
            | "ann"
            | "apply"
            | "asc"
            | "authorize"
            | "batch"
            | "begin"
            | "by"
            | "cast"
            | "columnfamily"
            | "concurrency"
            | "create"
            | "default"
            | "delete"
            | "drop"
            | "entries"
            | "from"
            | "full"
            | "grant"
            | "if"
            | "in"
            | "index"
            | "infinity"
            | "insert"
            | "into"
            | "is"
            | "keyspace"
            | "limit"
            | "materialized"
            | "modify"
            | "nan"
            | "norecursive"
            | "not"
            | "null"
            | "of"
            | "on"
            | "or"
            | "order"
            | "primary"
            | "rename"
            | "replace"
            | "revoke"
            | "schema"
            | "scylla_clustering_bound"
            | "scylla_counter_shard_list"
            | "scylla_timeuuid_list_index"
            | "select"
            | "set"
            | "table"
            | "to"
            | "token"
            | "truncate"
            | "unlogged"
            | "unset"
            | "update"
            | "use"
            | "using"
            | "vector_search_indexing"
            | "view"
            | "where"
            | "with"
    )
}

/// Keywords ScyllaDB does not reserve (`unreserved_keyword` in `Cql.g`). Only these (not
/// arbitrary identifiers) are accepted as bare property values (`WITH x = keyword`).
pub(crate) fn is_unreserved_keyword(word: &str) -> bool {
    matches!(
        word,
        "keys"
            | "as"
            | "cluster"
            | "clustering"
            | "compact"
            | "storage"
            | "tables"
            | "columnfamilies"
            | "type"
            | "types"
            | "values"
            | "map"
            | "list"
            | "filtering"
            | "permission"
            | "permissions"
            | "keyspaces"
            | "all"
            | "user"
            | "users"
            | "role"
            | "roles"
            | "superuser"
            | "nosuperuser"
            | "login"
            | "nologin"
            | "options"
            | "password"
            | "passwords"
            | "hashed"
            | "exists"
            | "custom"
            | "trigger"
            | "distinct"
            | "contains"
            | "internals"
            | "static"
            | "frozen"
            | "tuple"
            | "vector"
            | "function"
            | "functions"
            | "aggregate"
            | "aggregates"
            | "sfunc"
            | "stype"
            | "reducefunc"
            | "finalfunc"
            | "initcond"
            | "returns"
            | "language"
            | "called"
            | "input"
            | "json"
            | "cache"
            | "bypass"
            | "large_data_guardrails"
            | "like"
            | "per"
            | "partition"
            | "service_level"
            | "attach"
            | "detach"
            | "service_levels"
            | "attached"
            | "for"
            | "shares"
            | "group"
            | "timeout"
            | "service"
            | "level"
            | "levels"
            | "prune"
            | "only"
            | "describe"
            | "desc"
            | "execute"
            | "mutation_fragments"
            | "effective"
            | "ascii"
            | "bigint"
            | "blob"
            | "boolean"
            | "counter"
            | "decimal"
            | "double"
            | "duration"
            | "float"
            | "inet"
            | "int"
            | "smallint"
            | "text"
            | "timestamp"
            | "tinyint"
            | "uuid"
            | "varchar"
            | "varint"
            | "timeuuid"
            | "date"
            | "time"
            | "empty"
            | "ttl"
            | "count"
            | "writetime"
            | "key"
    )
}

/// The token cursor and parse state.
pub(crate) struct Parser<'a> {
    src: &'a str,
    /// Tokens; the last one is always `Eof`.
    toks: Vec<Token>,
    pos: usize,
    /// Number of `?` markers consumed so far (the next marker's index).
    binds: usize,
    /// Current expression nesting (terms, selectors, relations).
    depth: usize,
}

impl<'a> Parser<'a> {
    // ----- cursor -------------------------------------------------------------------------

    fn tok(&self, n: usize) -> &Token {
        let i = (self.pos + n).min(self.toks.len() - 1);
        &self.toks[i]
    }

    fn peek(&self) -> &Token {
        self.tok(0)
    }

    fn kind(&self, n: usize) -> TokenKind {
        self.tok(n).kind
    }

    fn at(&self, kind: TokenKind) -> bool {
        self.peek().kind == kind
    }

    fn bump(&mut self) {
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, kind: TokenKind) -> bool {
        if self.at(kind) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, kind: TokenKind) -> PResult<()> {
        if self.eat(kind) {
            Ok(())
        } else {
            Err(self.mismatched(kind.display_name()))
        }
    }

    /// Whether token `n` ahead is the (unquoted, case-insensitive) keyword `kw` (lower-case).
    fn is_kw(&self, n: usize, kw: &str) -> bool {
        let t = self.tok(n);
        t.kind == TokenKind::Ident && t.value == kw
    }

    fn at_kw(&self, kw: &str) -> bool {
        self.is_kw(0, kw)
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.at_kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> PResult<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.mismatched(&kw_name(kw)))
        }
    }

    /// `IF NOT EXISTS` (after the `IF` was seen) or nothing.
    fn if_not_exists(&mut self) -> PResult<bool> {
        if self.eat_kw("if") {
            self.expect_kw("not")?;
            self.expect_kw("exists")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// `IF EXISTS` or nothing.
    fn if_exists(&mut self) -> PResult<bool> {
        if self.eat_kw("if") {
            self.expect_kw("exists")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// The source text of token `n` ahead, or `<EOF>`.
    fn text(&self, n: usize) -> &'a str {
        let t = self.tok(n);
        if t.kind == TokenKind::Eof {
            "<EOF>"
        } else {
            &self.src[t.start..t.end]
        }
    }

    // ----- errors -------------------------------------------------------------------------

    /// Token `n` ahead as ANTLR shows it in messages (strings and quoted names by content).
    fn display(&self, n: usize) -> &str {
        let t = self.tok(n);
        match t.kind {
            TokenKind::String | TokenKind::QuotedIdent => &t.value,
            _ => self.text(n),
        }
    }

    fn error_at_token(&self, n: usize, msg: &str) -> SyntaxError {
        let (line, col) = position(self.src, self.tok(n).start);
        SyntaxError {
            message: format!("line {line}:{col} {msg}"),
        }
    }

    fn mismatched(&self, expecting: &str) -> SyntaxError {
        self.error_at_token(
            0,
            &format!(
                "mismatched input '{}' expecting {expecting}",
                self.display(0)
            ),
        )
    }

    fn no_viable(&self) -> SyntaxError {
        self.no_viable_at(0)
    }

    fn no_viable_at(&self, n: usize) -> SyntaxError {
        self.error_at_token(
            n,
            &format!("no viable alternative at input '{}'", self.display(n)),
        )
    }

    /// "`<what>` is not supported by the emulator", positioned at the current token.
    fn unsupported(&self, what: &str) -> SyntaxError {
        self.error_at_token(0, &format!("{what} is not supported by the emulator"))
    }

    /// A plain message, positioned at token index `idx` (absolute).
    fn error_at_index(&self, idx: usize, msg: &str) -> SyntaxError {
        let start = self.toks.get(idx).map_or(self.src.len(), |t| t.start);
        let (line, col) = position(self.src, start);
        SyntaxError {
            message: format!("line {line}:{col} {msg}"),
        }
    }

    /// A message without position, as ScyllaDB's `add_recognition_error` reports it.
    fn plain(&self, msg: &str) -> SyntaxError {
        SyntaxError {
            message: msg.to_string(),
        }
    }

    /// A plain message, positioned at the current token.
    fn error(&self, msg: &str) -> SyntaxError {
        self.error_at_token(0, msg)
    }

    // ----- nesting guard ------------------------------------------------------------------

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.plain("expression nested too deeply"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ----- identifiers --------------------------------------------------------------------

    /// Whether token `n` ahead can be an identifier (`IDENT`, `"quoted"` or an unreserved
    /// keyword).
    fn is_ident(&self, n: usize) -> bool {
        let t = self.tok(n);
        match t.kind {
            TokenKind::QuotedIdent => true,
            TokenKind::Ident => !is_reserved(&t.value),
            _ => false,
        }
    }

    /// An identifier (unquoted: lower-cased; quoted: as written).
    fn ident(&mut self) -> PResult<String> {
        if self.is_ident(0) {
            let v = self.peek().value.clone();
            self.bump();
            Ok(v)
        } else {
            Err(self.no_viable())
        }
    }

    /// An identifier naming a schema object; `?` gets ScyllaDB's dedicated message.
    fn name_ident(&mut self, what: &str) -> PResult<String> {
        if self.at(TokenKind::QMark) {
            return Err(self.plain(&format!("Bind variables cannot be used for {what} names")));
        }
        self.ident()
    }

    /// `[ks.]name`.
    fn qualified_name(&mut self, what: &str) -> PResult<QualifiedName> {
        let first_what = if self.kind(1) == TokenKind::Dot {
            "keyspace"
        } else {
            what
        };
        let first = self.name_ident(first_what)?;
        if self.eat(TokenKind::Dot) {
            let name = self.name_ident(what)?;
            Ok(QualifiedName {
                keyspace: Some(first),
                name,
            })
        } else {
            Ok(QualifiedName {
                keyspace: None,
                name: first,
            })
        }
    }

    /// `ident (',' ident)*`.
    fn ident_list(&mut self) -> PResult<Vec<String>> {
        let mut v = vec![self.ident()?];
        while self.eat(TokenKind::Comma) {
            v.push(self.ident()?);
        }
        Ok(v)
    }

    /// `'(' ident (',' ident)* ')'`.
    fn paren_ident_list(&mut self) -> PResult<Vec<String>> {
        self.expect(TokenKind::LParen)?;
        let v = self.ident_list()?;
        self.expect(TokenKind::RParen)?;
        Ok(v)
    }

    // ----- statements ---------------------------------------------------------------------

    fn statement(&mut self) -> PResult<Statement> {
        if self.peek().kind != TokenKind::Ident {
            return Err(self.no_viable());
        }
        let kw = self.peek().value.clone();
        match kw.as_str() {
            "select" => Ok(Statement::Select(self.select()?)),
            "insert" => Ok(Statement::Insert(self.insert()?)),
            "update" => Ok(Statement::Update(self.update()?)),
            "delete" => Ok(Statement::Delete(self.delete()?)),
            "begin" => Ok(Statement::Batch(self.batch()?)),
            "use" => {
                self.bump();
                Ok(Statement::Use(self.name_ident("keyspace")?))
            }
            "truncate" => self.truncate(),
            "create" => self.create(),
            "drop" => self.drop(),
            "alter" => self.alter(),
            "grant" => Err(self.unsupported("GRANT")),
            "revoke" => Err(self.unsupported("REVOKE")),
            "list" if self.kind(1) == TokenKind::Ident => {
                Err(self.unsupported(&format!("LIST {}", self.text(1).to_uppercase())))
            }
            "list" => Err(self.unsupported("LIST")),
            "describe" | "desc" => Err(self.unsupported("DESCRIBE")),
            "prune" => Err(self.unsupported("PRUNE MATERIALIZED VIEW")),
            "attach" => Err(self.unsupported("ATTACH SERVICE LEVEL")),
            "detach" => Err(self.unsupported("DETACH SERVICE LEVEL")),
            _ => Err(self.no_viable()),
        }
    }

    // ----- terms --------------------------------------------------------------------------

    /// A bind marker `?` (or a rejected `:name`), if one is next.
    fn marker(&mut self) -> PResult<Option<usize>> {
        match self.peek().kind {
            TokenKind::QMark => {
                self.bump();
                let i = self.binds;
                self.binds += 1;
                Ok(Some(i))
            }
            TokenKind::Colon if self.is_ident(1) => Err(self.error(
                "named bind markers (:name) are not supported by the emulator; use positional ? markers",
            )),
            _ => Ok(None),
        }
    }

    /// A constant literal, if one is next (strings, numbers, booleans, UUIDs, blobs, `NULL`,
    /// `NaN`, `Infinity` and their negations).
    fn literal(&mut self) -> PResult<Option<Literal>> {
        let t = self.peek();
        let text = self.text(0);
        let lit = match t.kind {
            TokenKind::String => Literal::String(t.value.clone()),
            TokenKind::Integer => Literal::Integer(text.to_string()),
            TokenKind::Float => Literal::Float(text.to_string()),
            TokenKind::Boolean => Literal::Bool(t.value == "true"),
            TokenKind::Uuid => Literal::Uuid(text.to_string()),
            TokenKind::Hex => Literal::Blob(self.decode_hex(text)?),
            TokenKind::Duration => return Err(self.unsupported("A duration literal")),
            TokenKind::Ident if t.value == "null" => Literal::Null,
            TokenKind::Ident if t.value == "nan" || t.value == "infinity" => {
                Literal::Float(text.to_string())
            }
            TokenKind::Minus if self.is_kw(1, "nan") || self.is_kw(1, "infinity") => {
                let lit = Literal::Float(format!("-{}", self.text(1)));
                self.bump();
                self.bump();
                return Ok(Some(lit));
            }
            _ => return Ok(None),
        };
        self.bump();
        Ok(Some(lit))
    }

    fn decode_hex(&self, text: &str) -> PResult<Vec<u8>> {
        let digits = text.get(2..).unwrap_or_default().as_bytes();
        if digits.len() % 2 != 0 {
            return Err(self.error(&format!(
                "Invalid blob literal {text}: odd number of hex digits"
            )));
        }
        let val = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
        Ok(digits
            .chunks_exact(2)
            .map(|p| (val(p[0]) << 4) | val(p[1]))
            .collect())
    }

    /// A term: literal, marker, collection, tuple or function call.
    fn term(&mut self) -> PResult<Term> {
        self.enter()?;
        let r = self.term_inner();
        self.leave();
        r
    }

    fn term_inner(&mut self) -> PResult<Term> {
        if let Some(i) = self.marker()? {
            return Ok(Term::Bind(i));
        }
        if let Some(lit) = self.literal()? {
            return Ok(Term::Literal(lit));
        }
        match self.peek().kind {
            TokenKind::LBracket => {
                self.bump();
                let mut items = Vec::new();
                if !self.at(TokenKind::RBracket) {
                    items.push(self.term()?);
                    while self.eat(TokenKind::Comma) {
                        items.push(self.term()?);
                    }
                }
                self.expect(TokenKind::RBracket)?;
                Ok(Term::List(items))
            }
            TokenKind::LBrace => self.brace_term(),
            TokenKind::LParen => {
                // `(type) term` is a cast; `(a, b)` a tuple.
                if self.is_type_start(1)
                    && matches!(self.kind(2), TokenKind::RParen | TokenKind::Lt)
                {
                    return Err(self.unsupported("A type cast"));
                }
                Ok(Term::Tuple(self.tuple_literal()?))
            }
            TokenKind::Ident | TokenKind::QuotedIdent if self.is_function_start() => {
                self.function_call()
            }
            _ => Err(self.no_viable()),
        }
    }

    fn is_type_start(&self, n: usize) -> bool {
        self.is_ident(n) || self.is_kw(n, "set")
    }

    /// `'(' term (',' term)* ')'`.
    fn tuple_literal(&mut self) -> PResult<Vec<Term>> {
        self.expect(TokenKind::LParen)?;
        let mut items = vec![self.term()?];
        while self.eat(TokenKind::Comma) {
            items.push(self.term()?);
        }
        self.expect(TokenKind::RParen)?;
        Ok(items)
    }

    /// `{}` (an empty map), `{a, b}` (a set), `{k: v, ...}` (a map).
    fn brace_term(&mut self) -> PResult<Term> {
        self.expect(TokenKind::LBrace)?;
        if self.eat(TokenKind::RBrace) {
            return Ok(Term::Map(Vec::new()));
        }
        if self.is_ident(0) && self.kind(1) == TokenKind::Colon {
            return Err(self.unsupported("A user-defined type literal"));
        }
        let first = self.term()?;
        if self.eat(TokenKind::Colon) {
            let v = self.term()?;
            let mut entries = vec![(first, v)];
            while self.eat(TokenKind::Comma) {
                let k = self.term()?;
                self.expect(TokenKind::Colon)?;
                let v = self.term()?;
                entries.push((k, v));
            }
            self.expect(TokenKind::RBrace)?;
            Ok(Term::Map(entries))
        } else {
            let mut items = vec![first];
            while self.eat(TokenKind::Comma) {
                items.push(self.term()?);
            }
            self.expect(TokenKind::RBrace)?;
            Ok(Term::Set(items))
        }
    }

    /// Whether a function name followed by `(` starts here (`f(`, `token(`, `ks.f(`).
    fn is_function_start(&self) -> bool {
        let name_ok = |n: usize| self.is_ident(n) || self.is_kw(n, "token");
        (name_ok(0) && self.kind(1) == TokenKind::LParen)
            || (self.is_ident(0)
                && self.kind(1) == TokenKind::Dot
                && name_ok(2)
                && self.kind(3) == TokenKind::LParen)
    }

    /// A function name: `[ks.]name`; the keyspace (if any) must be `system`.
    fn function_name(&mut self) -> PResult<String> {
        if self.kind(1) == TokenKind::Dot {
            let ks = self.ident()?;
            if ks != "system" {
                return Err(self.unsupported("A user-defined function"));
            }
            self.bump();
        }
        if self.at_kw("token") {
            self.bump();
            return Ok("token".into());
        }
        self.ident()
    }

    /// `name '(' [term (',' term)*] ')'`.
    fn function_call(&mut self) -> PResult<Term> {
        let name = self.function_name()?;
        self.expect(TokenKind::LParen)?;
        let mut args = Vec::new();
        if !self.at(TokenKind::RParen) {
            args.push(self.term()?);
            while self.eat(TokenKind::Comma) {
                args.push(self.term()?);
            }
        }
        self.expect(TokenKind::RParen)?;
        Ok(Term::FunctionCall { name, args })
    }

    /// `INTEGER | ?` (LIMIT, TTL, TIMESTAMP values).
    fn int_value(&mut self) -> PResult<Term> {
        if let Some(i) = self.marker()? {
            return Ok(Term::Bind(i));
        }
        if self.at(TokenKind::Integer) {
            let t = Term::Literal(Literal::Integer(self.text(0).to_string()));
            self.bump();
            return Ok(t);
        }
        Err(self.no_viable())
    }

    // ----- relations ----------------------------------------------------------------------

    /// `relation (AND relation)*`.
    fn where_clause(&mut self) -> PResult<Vec<Relation>> {
        let mut v = vec![self.relation()?];
        while self.eat_kw("and") {
            v.push(self.relation()?);
        }
        Ok(v)
    }

    fn relation_op(&mut self) -> Option<Operator> {
        let op = match self.peek().kind {
            TokenKind::Eq => Operator::Eq,
            TokenKind::Neq => Operator::Neq,
            TokenKind::Lt => Operator::Lt,
            TokenKind::Lte => Operator::Lte,
            TokenKind::Gt => Operator::Gt,
            TokenKind::Gte => Operator::Gte,
            TokenKind::Ident if self.peek().value == "like" => Operator::Like,
            _ => return None,
        };
        self.bump();
        Some(op)
    }

    fn expect_relation_op(&mut self) -> PResult<Operator> {
        self.relation_op().ok_or_else(|| self.no_viable())
    }

    fn relation(&mut self) -> PResult<Relation> {
        self.enter()?;
        let r = self.relation_inner();
        self.leave();
        r
    }

    fn relation_inner(&mut self) -> PResult<Relation> {
        if self.at_kw("token") {
            self.bump();
            let cols = self.paren_ident_list()?;
            let op = self.expect_relation_op()?;
            let rhs = self.term()?;
            return Ok(Relation::Compare {
                lhs: RelationLhs::Token(cols),
                op,
                rhs,
            });
        }
        if self.is_ident(0) {
            return self.column_relation();
        }
        if self.at(TokenKind::LParen) {
            let is_tuple =
                self.is_ident(1) && matches!(self.kind(2), TokenKind::Comma | TokenKind::RParen);
            if is_tuple {
                return self.tuple_relation();
            }
            self.bump();
            let r = self.relation()?;
            self.expect(TokenKind::RParen)?;
            return Ok(r);
        }
        Err(self.no_viable())
    }

    fn column_relation(&mut self) -> PResult<Relation> {
        if matches!(self.kind(1), TokenKind::LParen | TokenKind::Dot) {
            return Err(self.unsupported("A function call on the left side of a relation"));
        }
        let column = self.ident()?;
        if let Some(op) = self.relation_op() {
            let rhs = self.term()?;
            return Ok(Relation::Compare {
                lhs: RelationLhs::Column(column),
                op,
                rhs,
            });
        }
        if self.eat_kw("is") {
            self.expect_kw("not")?;
            self.expect_kw("null")?;
            return Ok(Relation::IsNotNull(column));
        }
        if self.eat_kw("in") {
            let values = self.in_values()?;
            return Ok(Relation::In {
                lhs: RelationLhs::Column(column),
                values,
            });
        }
        if self.at_kw("not") && self.is_kw(1, "in") {
            return Err(self.unsupported("NOT IN"));
        }
        if self.eat_kw("contains") {
            let op = if self.at_kw("key") {
                self.bump();
                Operator::ContainsKey
            } else {
                Operator::Contains
            };
            let rhs = self.term()?;
            return Ok(Relation::Compare {
                lhs: RelationLhs::Column(column),
                op,
                rhs,
            });
        }
        if self.eat(TokenKind::LBracket) {
            let key = self.term()?;
            self.expect(TokenKind::RBracket)?;
            let op = self.expect_relation_op()?;
            let rhs = self.term()?;
            return Ok(Relation::Compare {
                lhs: RelationLhs::MapElement { column, key },
                op,
                rhs,
            });
        }
        Err(self.no_viable())
    }

    /// After `IN`: `?` or `'(' [term (',' term)*] ')'`.
    fn in_values(&mut self) -> PResult<InValues> {
        if let Some(i) = self.marker()? {
            return Ok(InValues::Bind(i));
        }
        if !self.at(TokenKind::LParen) {
            return Err(self.no_viable());
        }
        self.bump();
        let mut items = Vec::new();
        if !self.at(TokenKind::RParen) {
            items.push(self.term()?);
            while self.eat(TokenKind::Comma) {
                items.push(self.term()?);
            }
        }
        self.expect(TokenKind::RParen)?;
        Ok(InValues::List(items))
    }

    /// `(c1, c2) op (t1, t2)`, `(c1, c2) op ?`, `(c1, c2) IN (...)`, `(c1, c2) IN ?`.
    fn tuple_relation(&mut self) -> PResult<Relation> {
        let cols = self.paren_ident_list()?;
        let lhs = RelationLhs::Tuple(cols);
        if self.eat_kw("in") {
            if let Some(i) = self.marker()? {
                return Ok(Relation::In {
                    lhs,
                    values: InValues::Bind(i),
                });
            }
            self.expect(TokenKind::LParen)?;
            let mut items = Vec::new();
            if !self.at(TokenKind::RParen) {
                loop {
                    if let Some(i) = self.marker()? {
                        items.push(Term::Bind(i));
                    } else if self.at(TokenKind::LParen) {
                        items.push(Term::Tuple(self.tuple_literal()?));
                    } else {
                        return Err(self.no_viable());
                    }
                    if !self.eat(TokenKind::Comma) {
                        break;
                    }
                }
            }
            self.expect(TokenKind::RParen)?;
            return Ok(Relation::In {
                lhs,
                values: InValues::List(items),
            });
        }
        let op = self.expect_relation_op()?;
        if self.at_kw("scylla_clustering_bound") {
            return Err(self.unsupported("SCYLLA_CLUSTERING_BOUND"));
        }
        let rhs = if let Some(i) = self.marker()? {
            Term::Bind(i)
        } else if self.at(TokenKind::LParen) {
            Term::Tuple(self.tuple_literal()?)
        } else {
            return Err(self.no_viable());
        };
        Ok(Relation::Compare { lhs, op, rhs })
    }
}

/// ANTLR token name of a keyword (`from` → `K_FROM`; `table` → `K_COLUMNFAMILY`).
fn kw_name(kw: &str) -> String {
    match kw {
        "table" => "K_COLUMNFAMILY".into(),
        "schema" => "K_KEYSPACE".into(),
        _ => format!("K_{}", kw.to_ascii_uppercase()),
    }
}
