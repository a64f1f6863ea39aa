//! SELECT, INSERT, UPDATE, DELETE and BATCH.

use super::{PResult, Parser};
use crate::cql::ast::{
    Assignment, Batch, BatchKind, Condition, Delete, DeleteTarget, Insert, Literal, Order, Select,
    SelectItem, Selector, Statement, Term, Update, Using,
};
use crate::cql::lexer::TokenKind;

/// Which `USING` options a statement accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UsingKind {
    /// INSERT / UPDATE / BATCH: TTL, TIMESTAMP, TIMEOUT.
    Full,
    /// DELETE: TIMESTAMP, TIMEOUT.
    TimestampTimeout,
}

impl Parser<'_> {
    // ----- SELECT -------------------------------------------------------------------------

    /// Whether the token at `n` can start a selection clause (used to tell `SELECT JSON a`
    /// from `SELECT json FROM t`, where `json` is a column).
    fn starts_selection(&self, n: usize) -> bool {
        match self.kind(n) {
            TokenKind::Star
            | TokenKind::QuotedIdent
            | TokenKind::String
            | TokenKind::Integer
            | TokenKind::Float
            | TokenKind::Boolean
            | TokenKind::Uuid
            | TokenKind::Hex
            | TokenKind::Duration
            | TokenKind::QMark
            | TokenKind::LParen
            | TokenKind::LBracket
            | TokenKind::LBrace
            | TokenKind::Minus => true,
            TokenKind::Ident => {
                let v = &self.tok(n).value;
                !is_reserved_selection_stop(v)
            }
            _ => false,
        }
    }

    pub(super) fn select(&mut self) -> PResult<Select> {
        self.expect_kw("select")?;
        let mut json = false;
        let mut distinct = false;
        if self.at_kw("json") && self.starts_selection(1) {
            self.bump();
            json = true;
        }
        if self.at_kw("distinct") && self.starts_selection(1) {
            self.bump();
            distinct = true;
        }
        let items = if self.eat(TokenKind::Star) {
            None
        } else {
            let mut items = vec![self.select_item()?];
            while self.eat(TokenKind::Comma) {
                items.push(self.select_item()?);
            }
            Some(items)
        };
        self.expect_kw("from")?;
        if self.at_kw("mutation_fragments") && self.kind(1) == TokenKind::LParen {
            return Err(self.unsupported("MUTATION_FRAGMENTS"));
        }
        let from = self.qualified_name("table")?;
        let mut select = Select {
            distinct,
            json,
            items,
            from,
            where_clause: Vec::new(),
            group_by: Vec::new(),
            order_by: Vec::new(),
            per_partition_limit: None,
            limit: None,
            allow_filtering: false,
            bypass_cache: false,
            timeout: None,
        };
        if self.eat_kw("where") {
            select.where_clause = self.where_clause()?;
        }
        if self.at_kw("group") && self.is_kw(1, "by") {
            self.bump();
            self.bump();
            select.group_by = self.ident_list()?;
        }
        if self.eat_kw("order") {
            self.expect_kw("by")?;
            loop {
                if self.is_function_start() {
                    return Err(self.unsupported("ORDER BY a function (similarity ordering)"));
                }
                let col = self.ident()?;
                if self.at_kw("ann") {
                    return Err(self.unsupported("ANN OF ordering"));
                }
                let order = if self.eat_kw("desc") {
                    Order::Desc
                } else {
                    self.eat_kw("asc");
                    Order::Asc
                };
                select.order_by.push((col, order));
                if !self.eat(TokenKind::Comma) {
                    break;
                }
            }
        }
        if self.at_kw("per") {
            self.bump();
            self.expect_kw("partition")?;
            self.expect_kw("limit")?;
            select.per_partition_limit = Some(self.int_value()?);
        }
        if self.eat_kw("limit") {
            select.limit = Some(self.int_value()?);
        }
        if self.eat_kw("allow") {
            self.expect_kw("filtering")?;
            select.allow_filtering = true;
        }
        if self.at_kw("bypass") {
            self.bump();
            self.expect_kw("cache")?;
            select.bypass_cache = true;
        }
        if self.eat_kw("using") {
            loop {
                if self.eat_kw("timeout") {
                    select.timeout = Some(self.timeout_value()?);
                } else if self.at_kw("service_level") || self.at_kw("service") {
                    return Err(self.unsupported("USING SERVICE LEVEL"));
                } else {
                    return Err(self.mismatched("K_TIMEOUT"));
                }
                if !self.eat_kw("and") {
                    break;
                }
            }
        }
        Ok(select)
    }

    /// `unaliasedSelector [AS ident]`.
    pub(super) fn select_item(&mut self) -> PResult<SelectItem> {
        let selector = self.selector()?;
        let alias = if self.eat_kw("as") {
            Some(self.ident()?)
        } else {
            None
        };
        Ok(SelectItem { selector, alias })
    }

    fn selector(&mut self) -> PResult<Selector> {
        self.enter()?;
        let r = self.selector_inner();
        self.leave();
        let s = r?;
        if matches!(self.peek().kind, TokenKind::Dot | TokenKind::LBracket) {
            return Err(self.unsupported("Field or element selection in the select clause"));
        }
        Ok(s)
    }

    fn selector_inner(&mut self) -> PResult<Selector> {
        // COUNT(*) / COUNT(1)
        if self.at_kw("count") && self.kind(1) == TokenKind::LParen {
            if self.kind(2) == TokenKind::Star {
                self.bump();
                self.bump();
                self.bump();
                self.expect(TokenKind::RParen)?;
                return Ok(Selector::CountStar);
            }
            self.bump();
            let args = self.selector_args()?;
            if let [Selector::Literal(Literal::Integer(one))] = args.as_slice()
                && one == "1"
            {
                return Ok(Selector::CountStar);
            }
            return Ok(Selector::Function {
                name: "count".into(),
                args,
            });
        }
        if self.at_kw("cast") && self.kind(1) == TokenKind::LParen {
            return Err(self.unsupported("CAST"));
        }
        if self.is_function_start() {
            let name = self.function_name()?;
            let args = self.selector_args()?;
            return Ok(Selector::Function { name, args });
        }
        if self.is_ident(0) {
            return Ok(Selector::Column(self.ident()?));
        }
        if matches!(self.peek().kind, TokenKind::QMark | TokenKind::Colon) {
            return Err(self.unsupported("A bind marker in the select clause"));
        }
        if let Some(lit) = self.literal()? {
            return Ok(Selector::Literal(lit));
        }
        if matches!(
            self.peek().kind,
            TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace
        ) {
            return Err(self.unsupported("A collection or tuple literal in the select clause"));
        }
        Err(self.no_viable())
    }

    /// `'(' [selector (',' selector)*] ')'`.
    fn selector_args(&mut self) -> PResult<Vec<Selector>> {
        self.expect(TokenKind::LParen)?;
        let mut args = Vec::new();
        if !self.at(TokenKind::RParen) {
            args.push(self.selector()?);
            while self.eat(TokenKind::Comma) {
                args.push(self.selector()?);
            }
        }
        self.expect(TokenKind::RParen)?;
        Ok(args)
    }

    /// The value of `USING TIMEOUT`: a duration literal, kept as written.
    fn timeout_value(&mut self) -> PResult<String> {
        match self.peek().kind {
            TokenKind::Duration => {
                let s = self.text(0).to_string();
                self.bump();
                Ok(s)
            }
            TokenKind::QMark | TokenKind::Colon => {
                Err(self.unsupported("A bind marker for USING TIMEOUT"))
            }
            _ => Err(self.no_viable()),
        }
    }

    // ----- USING --------------------------------------------------------------------------

    /// `USING opt (AND opt)*` (after `USING` was seen).
    fn using_clause(&mut self, kind: UsingKind, using: &mut Using) -> PResult<()> {
        loop {
            if self.at_kw("timestamp") {
                if using.timestamp.is_some() {
                    return Err(self.error("Duplicate USING TIMESTAMP"));
                }
                self.bump();
                using.timestamp = Some(self.int_value()?);
            } else if self.at_kw("ttl") && kind == UsingKind::Full {
                if using.ttl.is_some() {
                    return Err(self.error("Duplicate USING TTL"));
                }
                self.bump();
                using.ttl = Some(self.int_value()?);
            } else if self.at_kw("timeout") {
                if using.timeout.is_some() {
                    return Err(self.error("Duplicate USING TIMEOUT"));
                }
                self.bump();
                using.timeout = Some(self.timeout_value()?);
            } else {
                return Err(self.no_viable());
            }
            if !self.eat_kw("and") {
                return Ok(());
            }
        }
    }

    // ----- INSERT -------------------------------------------------------------------------

    pub(super) fn insert(&mut self) -> PResult<Insert> {
        self.expect_kw("insert")?;
        self.expect_kw("into")?;
        let table = self.qualified_name("table")?;
        if self.at_kw("json") {
            return Err(self.unsupported("INSERT JSON"));
        }
        let columns = self.paren_ident_list()?;
        self.expect_kw("values")?;
        let values = self.tuple_literal()?;
        if values.len() != columns.len() {
            return Err(self.plain("Unmatched column names/values"));
        }
        let if_not_exists = self.if_not_exists()?;
        let mut using = Using::default();
        if self.eat_kw("using") {
            self.using_clause(UsingKind::Full, &mut using)?;
        }
        Ok(Insert {
            table,
            columns,
            values,
            if_not_exists,
            using,
        })
    }

    // ----- UPDATE -------------------------------------------------------------------------

    pub(super) fn update(&mut self) -> PResult<Update> {
        self.expect_kw("update")?;
        let table = self.qualified_name("table")?;
        let mut using = Using::default();
        if self.eat_kw("using") {
            self.using_clause(UsingKind::Full, &mut using)?;
        }
        self.expect_kw("set")?;
        let mut assignments = vec![self.assignment()?];
        while self.eat(TokenKind::Comma) {
            assignments.push(self.assignment()?);
        }
        self.expect_kw("where")?;
        let where_clause = self.where_clause()?;
        let (if_exists, conditions) = self.if_conditions()?;
        Ok(Update {
            table,
            using,
            assignments,
            where_clause,
            if_exists,
            conditions,
        })
    }

    /// One `SET` operation.
    fn assignment(&mut self) -> PResult<Assignment> {
        let column = self.ident()?;
        if self.eat(TokenKind::LBracket) {
            if self.at_kw("scylla_timeuuid_list_index") {
                return Err(self.unsupported("SCYLLA_TIMEUUID_LIST_INDEX"));
            }
            let key = self.term()?;
            self.expect(TokenKind::RBracket)?;
            self.expect(TokenKind::Eq)?;
            let value = self.term()?;
            return Ok(Assignment::SetElement { column, key, value });
        }
        if self.at(TokenKind::Dot) {
            return Err(self.unsupported("Setting user-defined type fields"));
        }
        self.expect(TokenKind::Eq)?;
        if self.at_kw("scylla_counter_shard_list") {
            return Err(self.unsupported("SCYLLA_COUNTER_SHARD_LIST"));
        }
        // `c = c + t`, `c = c - t`, `c = c -1` (the lexer makes `-1` one INTEGER token).
        if self.is_ident(0) && !self.is_function_start() {
            let other = self.ident()?;
            let same = other == column;
            let kind = self.peek().kind;
            let sign = match kind {
                TokenKind::Plus => "+",
                TokenKind::Minus => "-",
                TokenKind::Integer => {
                    if !same {
                        let sign = if self.text(0).starts_with('-') {
                            "-"
                        } else {
                            "+"
                        };
                        return Err(self.plain(&format!(
                            "Only expressions of the form X = X {sign} <value> are supported."
                        )));
                    }
                    let value = Term::Literal(Literal::Integer(self.text(0).to_string()));
                    self.bump();
                    return Ok(Assignment::Append { column, value });
                }
                _ => return Err(self.no_viable()),
            };
            if !same {
                return Err(self.plain(&format!(
                    "Only expressions of the form X = X {sign}<value> are supported."
                )));
            }
            self.bump();
            let value = self.term()?;
            return Ok(if sign == "+" {
                Assignment::Append { column, value }
            } else {
                Assignment::Remove { column, value }
            });
        }
        let value = self.term()?;
        if self.eat(TokenKind::Plus) {
            let other = self.ident()?;
            if other != column {
                return Err(
                    self.plain("Only expressions of the form X = <value> + X are supported.")
                );
            }
            return Ok(Assignment::Prepend { column, value });
        }
        Ok(Assignment::Set { column, value })
    }

    /// `[IF EXISTS | IF cond (AND cond)*]`.
    fn if_conditions(&mut self) -> PResult<(bool, Vec<Condition>)> {
        if !self.eat_kw("if") {
            return Ok((false, Vec::new()));
        }
        // `exists` is unreserved: `IF exists = 1` is a condition on a column named exists.
        let exists_is_column = matches!(
            self.kind(1),
            TokenKind::Eq
                | TokenKind::Neq
                | TokenKind::Lt
                | TokenKind::Lte
                | TokenKind::Gt
                | TokenKind::Gte
                | TokenKind::LBracket
                | TokenKind::Dot
        ) || self.is_kw(1, "in")
            || self.is_kw(1, "not")
            || self.is_kw(1, "like");
        if self.at_kw("exists") && !exists_is_column {
            self.bump();
            return Ok((true, Vec::new()));
        }
        let mut conditions = vec![self.condition()?];
        while self.eat_kw("and") {
            conditions.push(self.condition()?);
        }
        Ok((false, conditions))
    }

    fn condition(&mut self) -> PResult<Condition> {
        let column = self.ident()?;
        if matches!(self.peek().kind, TokenKind::LBracket | TokenKind::Dot) {
            return Err(self.unsupported("A condition on a collection element or field"));
        }
        if self.at_kw("in") || (self.at_kw("not") && self.is_kw(1, "in")) {
            return Err(self.unsupported("An IN condition"));
        }
        let op = self.expect_relation_op()?;
        let value = self.term()?;
        Ok(Condition { column, op, value })
    }

    // ----- DELETE -------------------------------------------------------------------------

    pub(super) fn delete(&mut self) -> PResult<Delete> {
        self.expect_kw("delete")?;
        let mut targets = Vec::new();
        if !self.at_kw("from") {
            loop {
                let column = self.ident()?;
                let element = if self.eat(TokenKind::LBracket) {
                    let t = self.term()?;
                    self.expect(TokenKind::RBracket)?;
                    Some(t)
                } else if self.at(TokenKind::Dot) {
                    return Err(self.unsupported("Deleting user-defined type fields"));
                } else {
                    None
                };
                targets.push(DeleteTarget { column, element });
                if !self.eat(TokenKind::Comma) {
                    break;
                }
            }
        }
        self.expect_kw("from")?;
        let table = self.qualified_name("table")?;
        let mut using = Using::default();
        if self.eat_kw("using") {
            self.using_clause(UsingKind::TimestampTimeout, &mut using)?;
        }
        self.expect_kw("where")?;
        let where_clause = self.where_clause()?;
        let (if_exists, conditions) = self.if_conditions()?;
        // Accepted and ignored, as ScyllaDB's large-data guardrails do not exist here.
        if self.at_kw("bypass") && self.is_kw(1, "large_data_guardrails") {
            self.bump();
            self.bump();
        }
        Ok(Delete {
            targets,
            table,
            using,
            where_clause,
            if_exists,
            conditions,
        })
    }

    // ----- BATCH --------------------------------------------------------------------------

    pub(super) fn batch(&mut self) -> PResult<Batch> {
        self.expect_kw("begin")?;
        let kind = if self.eat_kw("unlogged") {
            BatchKind::Unlogged
        } else if self.eat_kw("counter") {
            BatchKind::Counter
        } else {
            BatchKind::Logged
        };
        self.expect_kw("batch")?;
        let mut using = Using::default();
        if self.eat_kw("using") {
            self.using_clause(UsingKind::Full, &mut using)?;
        }
        let mut statements = Vec::new();
        loop {
            let st = if self.at_kw("insert") {
                Statement::Insert(self.insert()?)
            } else if self.at_kw("update") {
                Statement::Update(self.update()?)
            } else if self.at_kw("delete") {
                Statement::Delete(self.delete()?)
            } else {
                break;
            };
            statements.push(st);
            self.eat(TokenKind::Semicolon);
        }
        self.expect_kw("apply")?;
        self.expect_kw("batch")?;
        Ok(Batch {
            kind,
            using,
            statements,
        })
    }
}

/// Reserved words that end a selection (so `SELECT json FROM t` selects the column `json`).
fn is_reserved_selection_stop(word: &str) -> bool {
    word != "token"
        && word != "cast"
        && word != "null"
        && word != "nan"
        && word != "infinity"
        && super::is_reserved(word)
}
