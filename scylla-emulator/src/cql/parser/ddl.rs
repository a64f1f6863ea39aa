//! Schema statements: keyspaces, tables, indexes, materialized views, TRUNCATE.

use super::{MAX_TYPE_NESTING, PResult, Parser, is_unreserved_keyword};
use crate::cql::ast::{
    AlterTable, AlterTableOp, ColumnDef, CqlType, CreateIndex, CreateKeyspace, CreateTable,
    CreateView, IndexColumn, IndexKind, IndexTarget, Literal, NativeType, Order, PrimaryKey,
    Property, PropertyValue, SelectItem, Selector, Statement, Term,
};
use crate::cql::lexer::TokenKind;

/// One target inside `CREATE INDEX ... ON t (...)`.
enum RawIndexTarget {
    Column(IndexColumn),
    /// `(p1, p2)` — the partition key of a local index.
    Columns(Vec<String>),
}

/// The collected `WITH` clause of CREATE TABLE / VIEW / INDEX.
#[derive(Default)]
struct CfProperties {
    clustering_order: Vec<(String, Order)>,
    properties: Vec<Property>,
}

impl Parser<'_> {
    // ----- dispatch -----------------------------------------------------------------------

    pub(super) fn create(&mut self) -> PResult<Statement> {
        self.expect_kw("create")?;
        if self.peek().kind != TokenKind::Ident {
            return Err(self.no_viable());
        }
        let word = self.peek().value.clone();
        match word.as_str() {
            "keyspace" | "schema" => {
                self.bump();
                self.create_keyspace()
            }
            "table" | "columnfamily" => {
                self.bump();
                Ok(Statement::CreateTable(self.create_table()?))
            }
            "custom" => {
                self.bump();
                self.expect_kw("index")?;
                Ok(Statement::CreateIndex(self.create_index(true)?))
            }
            "index" => {
                self.bump();
                Ok(Statement::CreateIndex(self.create_index(false)?))
            }
            "materialized" => {
                self.bump();
                self.expect_kw("view")?;
                Ok(Statement::CreateView(self.create_view()?))
            }
            "type" => Err(self.unsupported("CREATE TYPE")),
            "function" => Err(self.unsupported("CREATE FUNCTION")),
            "aggregate" => Err(self.unsupported("CREATE AGGREGATE")),
            "or" if self.is_kw(1, "replace") => {
                if self.is_kw(2, "aggregate") {
                    Err(self.unsupported("CREATE AGGREGATE"))
                } else {
                    Err(self.unsupported("CREATE FUNCTION"))
                }
            }
            "user" => Err(self.unsupported("CREATE USER")),
            "role" => Err(self.unsupported("CREATE ROLE")),
            "service_level" | "service" => Err(self.unsupported("CREATE SERVICE LEVEL")),
            "trigger" => Err(self.unsupported("CREATE TRIGGER")),
            _ => Err(self.no_viable()),
        }
    }

    pub(super) fn drop(&mut self) -> PResult<Statement> {
        self.expect_kw("drop")?;
        if self.peek().kind != TokenKind::Ident {
            return Err(self.no_viable());
        }
        let word = self.peek().value.clone();
        match word.as_str() {
            "keyspace" | "schema" => {
                self.bump();
                let if_exists = self.if_exists()?;
                let name = self.name_ident("keyspace")?;
                Ok(Statement::DropKeyspace { name, if_exists })
            }
            "table" | "columnfamily" => {
                self.bump();
                let if_exists = self.if_exists()?;
                let name = self.qualified_name("table")?;
                Ok(Statement::DropTable { name, if_exists })
            }
            "index" => {
                self.bump();
                let if_exists = self.if_exists()?;
                let name = self.qualified_name("index")?;
                Ok(Statement::DropIndex { name, if_exists })
            }
            "materialized" => {
                self.bump();
                self.expect_kw("view")?;
                let if_exists = self.if_exists()?;
                let name = self.qualified_name("table")?;
                Ok(Statement::DropView { name, if_exists })
            }
            "type" => Err(self.unsupported("DROP TYPE")),
            "function" => Err(self.unsupported("DROP FUNCTION")),
            "aggregate" => Err(self.unsupported("DROP AGGREGATE")),
            "user" => Err(self.unsupported("DROP USER")),
            "role" => Err(self.unsupported("DROP ROLE")),
            "service_level" | "service" => Err(self.unsupported("DROP SERVICE LEVEL")),
            "trigger" => Err(self.unsupported("DROP TRIGGER")),
            _ => Err(self.no_viable()),
        }
    }

    pub(super) fn alter(&mut self) -> PResult<Statement> {
        self.expect_kw("alter")?;
        if self.peek().kind != TokenKind::Ident {
            return Err(self.no_viable());
        }
        let word = self.peek().value.clone();
        match word.as_str() {
            "table" | "columnfamily" => {
                self.bump();
                Ok(Statement::AlterTable(self.alter_table()?))
            }
            "keyspace" | "schema" => Err(self.unsupported("ALTER KEYSPACE")),
            "type" => Err(self.unsupported("ALTER TYPE")),
            "materialized" => Err(self.unsupported("ALTER MATERIALIZED VIEW")),
            "user" => Err(self.unsupported("ALTER USER")),
            "role" => Err(self.unsupported("ALTER ROLE")),
            "service_level" | "service" => Err(self.unsupported("ALTER SERVICE LEVEL")),
            _ => Err(self.no_viable()),
        }
    }

    pub(super) fn truncate(&mut self) -> PResult<Statement> {
        self.expect_kw("truncate")?;
        if !self.eat_kw("table") {
            self.eat_kw("columnfamily");
        }
        let name = self.qualified_name("table")?;
        if self.eat_kw("using") {
            self.expect_kw("timeout")?;
            // Accepted and ignored.
            self.timeout_value_ddl()?;
        }
        Ok(Statement::Truncate(name))
    }

    fn timeout_value_ddl(&mut self) -> PResult<()> {
        if self.at(TokenKind::Duration) {
            self.bump();
            Ok(())
        } else if self.at(TokenKind::QMark) {
            Err(self.unsupported("A bind marker for USING TIMEOUT"))
        } else {
            Err(self.no_viable())
        }
    }

    // ----- keyspaces ----------------------------------------------------------------------

    fn create_keyspace(&mut self) -> PResult<Statement> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.name_ident("keyspace")?;
        let properties = if self.eat_kw("with") {
            self.properties()?
        } else {
            Vec::new()
        };
        Ok(Statement::CreateKeyspace(CreateKeyspace {
            name,
            if_not_exists,
            properties,
        }))
    }

    // ----- properties ---------------------------------------------------------------------

    /// `property (AND property)*`.
    fn properties(&mut self) -> PResult<Vec<Property>> {
        let mut v = vec![self.property()?];
        while self.eat_kw("and") {
            v.push(self.property()?);
        }
        Ok(v)
    }

    /// `name = constant | name = unreserved_keyword | name = { map }`.
    fn property(&mut self) -> PResult<Property> {
        let name = self.ident()?;
        self.expect(TokenKind::Eq)?;
        if self.at(TokenKind::LBrace) {
            let start = self.pos;
            let term = self.term()?;
            let Term::Map(entries) = term else {
                let (line, col) = super::position(self.src, self.toks[start].start);
                return Err(super::SyntaxError {
                    message: format!(
                        "line {line}:{col} Invalid value for property '{name}': expected a map"
                    ),
                });
            };
            let mut map = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                match (k, v) {
                    (Term::Literal(k), Term::Literal(v)) => map.push((k, v)),
                    _ => {
                        let (line, col) = super::position(self.src, self.toks[start].start);
                        return Err(super::SyntaxError {
                            message: format!(
                                "line {line}:{col} Invalid value for property '{name}': map keys and values must be constants"
                            ),
                        });
                    }
                }
            }
            return Ok(Property {
                name,
                value: PropertyValue::Map(map),
            });
        }
        if let Some(lit) = self.literal()? {
            return Ok(Property {
                name,
                value: PropertyValue::Constant(lit),
            });
        }
        let t = self.peek();
        if t.kind == TokenKind::Ident && is_unreserved_keyword(&t.value) {
            let v = t.value.clone();
            self.bump();
            return Ok(Property {
                name,
                value: PropertyValue::Constant(Literal::Identifier(v)),
            });
        }
        Err(self.no_viable())
    }

    /// `cfamProperty (AND cfamProperty)*`: properties, `CLUSTERING ORDER BY (...)`, and the
    /// rejected `COMPACT STORAGE`.
    fn cf_properties(&mut self) -> PResult<CfProperties> {
        let mut out = CfProperties::default();
        loop {
            if self.at_kw("compact") && self.is_kw(1, "storage") {
                return Err(self.unsupported("COMPACT STORAGE"));
            }
            if self.at_kw("clustering") && self.is_kw(1, "order") {
                self.bump();
                self.bump();
                self.expect_kw("by")?;
                self.expect(TokenKind::LParen)?;
                loop {
                    let col = self.ident()?;
                    let order = if self.eat_kw("asc") {
                        Order::Asc
                    } else if self.eat_kw("desc") {
                        Order::Desc
                    } else {
                        return Err(self.no_viable());
                    };
                    out.clustering_order.push((col, order));
                    if !self.eat(TokenKind::Comma) {
                        break;
                    }
                }
                self.expect(TokenKind::RParen)?;
            } else {
                out.properties.push(self.property()?);
            }
            if !self.eat_kw("and") {
                return Ok(out);
            }
        }
    }

    // ----- types --------------------------------------------------------------------------

    pub(super) fn cql_type(&mut self) -> PResult<CqlType> {
        self.cql_type_at(0)
    }

    fn cql_type_at(&mut self, depth: usize) -> PResult<CqlType> {
        if depth > MAX_TYPE_NESTING {
            return Err(self.error("type nested too deeply"));
        }
        let t = self.peek();
        if t.kind == TokenKind::QuotedIdent {
            return Err(self.unsupported("A user-defined type"));
        }
        if t.kind != TokenKind::Ident {
            return Err(self.no_viable());
        }
        let word = t.value.clone();
        let native = match word.as_str() {
            "ascii" => Some(NativeType::Ascii),
            "bigint" => Some(NativeType::Bigint),
            "blob" => Some(NativeType::Blob),
            "boolean" => Some(NativeType::Boolean),
            "counter" => Some(NativeType::Counter),
            "date" => Some(NativeType::Date),
            "decimal" => Some(NativeType::Decimal),
            "double" => Some(NativeType::Double),
            "duration" => Some(NativeType::Duration),
            "float" => Some(NativeType::Float),
            "inet" => Some(NativeType::Inet),
            "int" => Some(NativeType::Int),
            "smallint" => Some(NativeType::Smallint),
            "text" | "varchar" => Some(NativeType::Text),
            "time" => Some(NativeType::Time),
            "timestamp" => Some(NativeType::Timestamp),
            "timeuuid" => Some(NativeType::Timeuuid),
            "tinyint" => Some(NativeType::Tinyint),
            "uuid" => Some(NativeType::Uuid),
            "varint" => Some(NativeType::Varint),
            _ => None,
        };
        if let Some(n) = native {
            self.bump();
            return Ok(CqlType::Native(n));
        }
        let generic = self.kind(1) == TokenKind::Lt;
        match word.as_str() {
            "map" if generic => {
                self.bump();
                self.bump();
                let k = self.cql_type_at(depth + 1)?;
                self.expect(TokenKind::Comma)?;
                let v = self.cql_type_at(depth + 1)?;
                self.expect(TokenKind::Gt)?;
                Ok(CqlType::Map(Box::new(k), Box::new(v)))
            }
            "list" | "set" | "frozen" if generic => {
                self.bump();
                self.bump();
                let inner = Box::new(self.cql_type_at(depth + 1)?);
                self.expect(TokenKind::Gt)?;
                Ok(match word.as_str() {
                    "list" => CqlType::List(inner),
                    "set" => CqlType::Set(inner),
                    _ => CqlType::Frozen(inner),
                })
            }
            "tuple" if generic => {
                self.bump();
                self.bump();
                let mut items = vec![self.cql_type_at(depth + 1)?];
                while self.eat(TokenKind::Comma) {
                    items.push(self.cql_type_at(depth + 1)?);
                }
                self.expect(TokenKind::Gt)?;
                Ok(CqlType::Tuple(items))
            }
            "vector" if generic => Err(self.unsupported("The vector type")),
            "empty" => Err(self.plain("Invalid (reserved) user type name empty")),
            "set" => {
                self.bump();
                Err(self.mismatched("'<'"))
            }
            w if super::is_reserved(w) => Err(self.no_viable()),
            _ => Err(self.unsupported("A user-defined type")),
        }
    }

    // ----- tables -------------------------------------------------------------------------

    fn create_table(&mut self) -> PResult<CreateTable> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.qualified_name("table")?;
        self.expect(TokenKind::LParen)?;
        let mut columns = Vec::new();
        let mut primary_key = None;
        let mut first = true;
        loop {
            // `(',' cfamColumns?)*`: empty entries (trailing commas) are allowed.
            let empty = !first && matches!(self.peek().kind, TokenKind::Comma | TokenKind::RParen);
            first = false;
            if !empty {
                if self.at_kw("primary") {
                    self.bump();
                    self.expect_kw("key")?;
                    let pk = self.primary_key_def()?;
                    if primary_key.is_some() {
                        return Err(
                            self.plain("Multiple PRIMARY KEYs specified (exactly one required)")
                        );
                    }
                    primary_key = Some(pk);
                } else {
                    columns.push(self.column_def(true)?);
                }
            }
            if !self.eat(TokenKind::Comma) {
                break;
            }
        }
        self.expect(TokenKind::RParen)?;
        let props = if self.eat_kw("with") {
            self.cf_properties()?
        } else {
            CfProperties::default()
        };
        Ok(CreateTable {
            name,
            if_not_exists,
            columns,
            primary_key,
            clustering_order: props.clustering_order,
            properties: props.properties,
        })
    }

    /// `name type [STATIC] [PRIMARY KEY]` (PRIMARY KEY only in CREATE TABLE).
    fn column_def(&mut self, allow_pk: bool) -> PResult<ColumnDef> {
        let name = self.ident()?;
        let ty = self.cql_type()?;
        if allow_pk && self.at_kw("ttl") {
            return Err(self.unsupported("Column TTL"));
        }
        let is_static = self.eat_kw("static");
        let mut primary_key = false;
        if allow_pk && self.eat_kw("primary") {
            self.expect_kw("key")?;
            primary_key = true;
        }
        Ok(ColumnDef {
            name,
            ty,
            is_static,
            primary_key,
        })
    }

    /// `'(' (p | '(' p1, p2 ')') (',' c)* ')'` after `PRIMARY KEY`.
    fn primary_key_def(&mut self) -> PResult<PrimaryKey> {
        self.expect(TokenKind::LParen)?;
        let partition = if self.at(TokenKind::LParen) {
            self.paren_ident_list()?
        } else {
            vec![self.ident()?]
        };
        let mut clustering = Vec::new();
        while self.eat(TokenKind::Comma) {
            clustering.push(self.ident()?);
        }
        self.expect(TokenKind::RParen)?;
        Ok(PrimaryKey {
            partition,
            clustering,
        })
    }

    fn alter_table(&mut self) -> PResult<AlterTable> {
        let name = self.qualified_name("table")?;
        let op = if self.eat_kw("alter") {
            let column = self.ident()?;
            self.expect_kw("type")?;
            let ty = self.cql_type()?;
            AlterTableOp::AlterType { column, ty }
        } else if self.eat_kw("add") {
            let mut cols = Vec::new();
            if self.eat(TokenKind::LParen) {
                cols.push(self.column_def(false)?);
                while self.eat(TokenKind::Comma) {
                    cols.push(self.column_def(false)?);
                }
                self.expect(TokenKind::RParen)?;
            } else {
                cols.push(self.column_def(false)?);
            }
            AlterTableOp::Add(cols)
        } else if self.eat_kw("drop") {
            let cols = if self.at(TokenKind::LParen) {
                self.paren_ident_list()?
            } else {
                vec![self.ident()?]
            };
            if self.at_kw("using") {
                return Err(self.unsupported("ALTER TABLE DROP ... USING TIMESTAMP"));
            }
            AlterTableOp::Drop(cols)
        } else if self.eat_kw("with") {
            AlterTableOp::With(self.properties()?)
        } else if self.eat_kw("rename") {
            let mut pairs = Vec::new();
            loop {
                let from = self.ident()?;
                self.expect_kw("to")?;
                let to = self.ident()?;
                pairs.push((from, to));
                if !self.eat_kw("and") {
                    break;
                }
            }
            AlterTableOp::Rename(pairs)
        } else if self.at_kw("ttl") {
            return Err(self.unsupported("ALTER TABLE ... TTL"));
        } else {
            return Err(self.no_viable());
        };
        Ok(AlterTable { name, op })
    }

    // ----- indexes ------------------------------------------------------------------------

    fn create_index(&mut self, custom: bool) -> PResult<CreateIndex> {
        let if_not_exists = self.if_not_exists()?;
        let name = if self.at_kw("on") {
            None
        } else {
            Some(self.name_ident("index")?)
        };
        self.expect_kw("on")?;
        let table = self.qualified_name("table")?;
        let open_tok = self.pos;
        self.expect(TokenKind::LParen)?;
        let mut raw = Vec::new();
        if !self.at(TokenKind::RParen) {
            raw.push(self.index_target()?);
            while self.eat(TokenKind::Comma) {
                raw.push(self.index_target()?);
            }
        }
        self.expect(TokenKind::RParen)?;
        let target = match raw.as_mut_slice() {
            [RawIndexTarget::Column(c)] => IndexTarget::Global(c.clone()),
            [RawIndexTarget::Columns(p), RawIndexTarget::Column(c)] => IndexTarget::Local {
                partition: std::mem::take(p),
                column: c.clone(),
            },
            [] => {
                return Err(self.error_at_index(open_tok, "CREATE INDEX needs a target column"));
            }
            _ => {
                return Err(self.error_at_index(
                    open_tok,
                    "A multi-column index is not supported by the emulator (only `(col)` or a local index `((pk), col)`)",
                ));
            }
        };
        let mut custom_class = None;
        if self.eat_kw("using") {
            if !self.at(TokenKind::String) {
                return Err(self.mismatched("STRING_LITERAL"));
            }
            custom_class = Some(self.peek().value.clone());
            self.bump();
        }
        let _ = custom;
        let properties = if self.eat_kw("with") {
            let p = self.cf_properties()?;
            if !p.clustering_order.is_empty() {
                return Err(self.unsupported("CLUSTERING ORDER BY on an index"));
            }
            p.properties
        } else {
            Vec::new()
        };
        Ok(CreateIndex {
            name,
            if_not_exists,
            table,
            target,
            custom_class,
            properties,
        })
    }

    fn index_target(&mut self) -> PResult<RawIndexTarget> {
        if self.kind(1) == TokenKind::LParen {
            let kind = match self.peek().value.as_str() {
                _ if self.peek().kind != TokenKind::Ident => None,
                "values" => Some(IndexKind::Values),
                "keys" => Some(IndexKind::Keys),
                "entries" => Some(IndexKind::Entries),
                "full" => Some(IndexKind::Full),
                _ => None,
            };
            if let Some(kind) = kind {
                self.bump();
                self.bump();
                let column = self.ident()?;
                self.expect(TokenKind::RParen)?;
                return Ok(RawIndexTarget::Column(IndexColumn { kind, column }));
            }
        }
        if self.at(TokenKind::LParen) {
            return Ok(RawIndexTarget::Columns(self.paren_ident_list()?));
        }
        let column = self.ident()?;
        Ok(RawIndexTarget::Column(IndexColumn {
            kind: IndexKind::Bare,
            column,
        }))
    }

    // ----- materialized views -------------------------------------------------------------

    fn create_view(&mut self) -> PResult<CreateView> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.qualified_name("table")?;
        self.expect_kw("as")?;
        self.expect_kw("select")?;
        let columns = if self.eat(TokenKind::Star) {
            None
        } else {
            let mut cols = Vec::new();
            loop {
                let start = self.pos;
                let item = self.select_item_for_view()?;
                match item {
                    Some(c) => cols.push(c),
                    None => {
                        return Err(self.error_at_index(
                            start,
                            "A function or alias in a materialized view's select clause is not supported by the emulator",
                        ));
                    }
                }
                if !self.eat(TokenKind::Comma) {
                    break;
                }
            }
            Some(cols)
        };
        self.expect_kw("from")?;
        let base = self.qualified_name("table")?;
        let where_clause = if self.eat_kw("where") {
            self.where_clause()?
        } else {
            Vec::new()
        };
        self.expect_kw("primary")?;
        self.expect_kw("key")?;
        let primary_key = self.primary_key_def()?;
        let props = if self.eat_kw("with") {
            self.cf_properties()?
        } else {
            CfProperties::default()
        };
        Ok(CreateView {
            name,
            if_not_exists,
            base,
            columns,
            where_clause,
            primary_key,
            clustering_order: props.clustering_order,
            properties: props.properties,
        })
    }

    /// A view's selector: `Some(column)` for a plain column without alias, `None` otherwise.
    fn select_item_for_view(&mut self) -> PResult<Option<String>> {
        let item = self.select_item()?;
        Ok(match item {
            SelectItem {
                selector: Selector::Column(c),
                alias: None,
            } => Some(c),
            _ => None,
        })
    }
}
