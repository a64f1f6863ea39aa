//! The syntax tree of the CQL the emulator understands.
//!
//! This is the contract between the parser (`cql::parser`) and the engine. Conventions:
//! - Identifiers are already normalised: unquoted identifiers are lower-cased, quoted ones
//!   (`"MyCol"`) keep their case and lose the quotes.
//! - Bind markers `?` are numbered in textual order from 0 ([`Term::Bind`]); the parser reports
//!   how many it saw in [`ParsedStatement::bind_count`]. The engine derives each marker's name and
//!   type from the schema by walking the tree in the same order.
//! - Literals keep their source text where the target type decides the value (numbers), so the
//!   engine can convert against the column type and report ScyllaDB's error on overflow.

/// A parsed statement and the number of `?` markers it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedStatement {
    /// The statement.
    pub statement: Statement,
    /// Number of positional bind markers (`?`), numbered 0.. in textual order.
    pub bind_count: usize,
}

/// One CQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `CREATE KEYSPACE`.
    CreateKeyspace(CreateKeyspace),
    /// `DROP KEYSPACE [IF EXISTS] ks`.
    DropKeyspace {
        /// Keyspace name.
        name: String,
        /// `IF EXISTS` was given.
        if_exists: bool,
    },
    /// `USE ks`.
    Use(String),
    /// `CREATE TABLE` (also `CREATE COLUMNFAMILY`).
    CreateTable(CreateTable),
    /// `DROP TABLE [IF EXISTS] [ks.]t`.
    DropTable {
        /// Table name.
        name: QualifiedName,
        /// `IF EXISTS` was given.
        if_exists: bool,
    },
    /// `ALTER TABLE`.
    AlterTable(AlterTable),
    /// `TRUNCATE [TABLE] [ks.]t`.
    Truncate(QualifiedName),
    /// `CREATE [CUSTOM] INDEX`.
    CreateIndex(CreateIndex),
    /// `DROP INDEX [IF EXISTS] [ks.]name`.
    DropIndex {
        /// Index name.
        name: QualifiedName,
        /// `IF EXISTS` was given.
        if_exists: bool,
    },
    /// `CREATE MATERIALIZED VIEW`.
    CreateView(CreateView),
    /// `DROP MATERIALIZED VIEW [IF EXISTS] [ks.]name`.
    DropView {
        /// View name.
        name: QualifiedName,
        /// `IF EXISTS` was given.
        if_exists: bool,
    },
    /// `INSERT`.
    Insert(Insert),
    /// `UPDATE`.
    Update(Update),
    /// `DELETE`.
    Delete(Delete),
    /// `BEGIN [UNLOGGED|COUNTER] BATCH ... APPLY BATCH`.
    Batch(Batch),
    /// `SELECT`.
    Select(Select),
}

/// `[keyspace.]name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QualifiedName {
    /// Explicit keyspace, if any.
    pub keyspace: Option<String>,
    /// Object name.
    pub name: String,
}

/// A CQL type as written in DDL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CqlType {
    /// A native type.
    Native(NativeType),
    /// `list<T>`.
    List(Box<CqlType>),
    /// `set<T>`.
    Set(Box<CqlType>),
    /// `map<K, V>`.
    Map(Box<CqlType>, Box<CqlType>),
    /// `tuple<...>`.
    Tuple(Vec<CqlType>),
    /// `frozen<T>`.
    Frozen(Box<CqlType>),
}

/// The native CQL types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NativeType {
    /// `ascii`
    Ascii,
    /// `bigint`
    Bigint,
    /// `blob`
    Blob,
    /// `boolean`
    Boolean,
    /// `counter`
    Counter,
    /// `date`
    Date,
    /// `decimal`
    Decimal,
    /// `double`
    Double,
    /// `duration`
    Duration,
    /// `float`
    Float,
    /// `inet`
    Inet,
    /// `int`
    Int,
    /// `smallint`
    Smallint,
    /// `text` (and its alias `varchar`)
    Text,
    /// `time`
    Time,
    /// `timestamp`
    Timestamp,
    /// `timeuuid`
    Timeuuid,
    /// `tinyint`
    Tinyint,
    /// `uuid`
    Uuid,
    /// `varint`
    Varint,
}

/// A `WITH` property: `name = constant` or `name = { map }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// Property name, lower-cased.
    pub name: String,
    /// Its value.
    pub value: PropertyValue,
}

/// The value of a [`Property`].
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    /// A constant (string, number, boolean) or a bare identifier.
    Constant(Literal),
    /// A map literal `{ 'k': 'v', ... }` (keys and values as literals).
    Map(Vec<(Literal, Literal)>),
}

/// `CREATE KEYSPACE [IF NOT EXISTS] ks WITH replication = {...} [AND durable_writes = b] [AND tablets = {...}]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateKeyspace {
    /// Keyspace name.
    pub name: String,
    /// `IF NOT EXISTS` was given.
    pub if_not_exists: bool,
    /// The `WITH ... AND ...` properties in order.
    pub properties: Vec<Property>,
}

/// A column definition in `CREATE TABLE` or `ALTER TABLE ADD`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    /// Column name.
    pub name: String,
    /// Declared type.
    pub ty: CqlType,
    /// `STATIC` was given.
    pub is_static: bool,
    /// `PRIMARY KEY` was given inline after the type (`id int PRIMARY KEY`).
    pub primary_key: bool,
}

/// `PRIMARY KEY ((p1, p2), c1, c2)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryKey {
    /// Partition-key columns in order.
    pub partition: Vec<String>,
    /// Clustering columns in order.
    pub clustering: Vec<String>,
}

/// `ASC` / `DESC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// `CREATE TABLE [IF NOT EXISTS] [ks.]t (...) [WITH ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    /// Table name.
    pub name: QualifiedName,
    /// `IF NOT EXISTS` was given.
    pub if_not_exists: bool,
    /// Column definitions in declared order.
    pub columns: Vec<ColumnDef>,
    /// A `PRIMARY KEY (...)` clause, if given (otherwise an inline `PRIMARY KEY`).
    pub primary_key: Option<PrimaryKey>,
    /// `WITH CLUSTERING ORDER BY (c1 ASC, c2 DESC)`.
    pub clustering_order: Vec<(String, Order)>,
    /// Other `WITH` properties (`COMPACT STORAGE` is a syntax error, as in ScyllaDB).
    pub properties: Vec<Property>,
}

/// `ALTER TABLE [ks.]t ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterTable {
    /// Table name.
    pub name: QualifiedName,
    /// What to change.
    pub op: AlterTableOp,
}

/// The operation of an [`AlterTable`].
#[derive(Debug, Clone, PartialEq)]
pub enum AlterTableOp {
    /// `ADD c type` or `ADD (c1 t1, c2 t2)`.
    Add(Vec<ColumnDef>),
    /// `DROP c` or `DROP (c1, c2)`.
    Drop(Vec<String>),
    /// `WITH prop = value AND ...`.
    With(Vec<Property>),
    /// `RENAME a TO b [AND c TO d]`.
    Rename(Vec<(String, String)>),
    /// `ALTER c TYPE t`.
    AlterType {
        /// Column.
        column: String,
        /// New type.
        ty: CqlType,
    },
}

/// The target of an index: `col`, `VALUES(col)`, `KEYS(col)`, `ENTRIES(col)`, `FULL(col)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexColumn {
    /// How the column is indexed.
    pub kind: IndexKind,
    /// Column name.
    pub column: String,
}

/// The function around an index target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// Bare column name.
    Bare,
    /// `VALUES(c)`.
    Values,
    /// `KEYS(c)`.
    Keys,
    /// `ENTRIES(c)`.
    Entries,
    /// `FULL(c)`.
    Full,
}

/// What a `CREATE INDEX` indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexTarget {
    /// `ON t (target)` — a global index.
    Global(IndexColumn),
    /// `ON t ((p1, p2), target)` — a local index.
    Local {
        /// The partition-key columns listed in the inner parentheses.
        partition: Vec<String>,
        /// The indexed column.
        column: IndexColumn,
    },
}

/// `CREATE [CUSTOM] INDEX [IF NOT EXISTS] [name] ON [ks.]t (target) [USING 'class'] [WITH ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndex {
    /// Explicit index name.
    pub name: Option<String>,
    /// `IF NOT EXISTS` was given.
    pub if_not_exists: bool,
    /// Indexed table.
    pub table: QualifiedName,
    /// What is indexed.
    pub target: IndexTarget,
    /// `CUSTOM ... USING 'class'`.
    pub custom_class: Option<String>,
    /// `WITH` properties.
    pub properties: Vec<Property>,
}

/// `CREATE MATERIALIZED VIEW [IF NOT EXISTS] [ks.]v AS SELECT cols FROM [ks.]t WHERE ... PRIMARY KEY (...) [WITH ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateView {
    /// View name.
    pub name: QualifiedName,
    /// `IF NOT EXISTS` was given.
    pub if_not_exists: bool,
    /// Base table.
    pub base: QualifiedName,
    /// Selected columns; `None` for `*`.
    pub columns: Option<Vec<String>>,
    /// The WHERE clause (normally only `IS NOT NULL` relations).
    pub where_clause: Vec<Relation>,
    /// The view's primary key.
    pub primary_key: PrimaryKey,
    /// `WITH CLUSTERING ORDER BY (...)`.
    pub clustering_order: Vec<(String, Order)>,
    /// Other `WITH` properties (e.g. `synchronous_updates = true`).
    pub properties: Vec<Property>,
}

/// A literal constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `NULL`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal, as written (with its sign).
    Integer(String),
    /// A floating-point literal as written (with its sign), including `NaN` and `Infinity`.
    Float(String),
    /// A string literal (`'...'` with `''` unescaped, or `$$...$$`).
    String(String),
    /// A UUID literal.
    Uuid(String),
    /// A blob literal `0x...`, decoded.
    Blob(Vec<u8>),
    /// A bare identifier in a property value (e.g. `WITH compaction = ...` values), lower-cased.
    Identifier(String),
}

/// A value in DML or a WHERE clause.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// A constant.
    Literal(Literal),
    /// A positional bind marker `?`, numbered in textual order from 0.
    Bind(usize),
    /// `[a, b]`.
    List(Vec<Term>),
    /// `{a, b}` (an empty `{}` is parsed as an empty map; the engine reinterprets by column type).
    Set(Vec<Term>),
    /// `{k: v, ...}`.
    Map(Vec<(Term, Term)>),
    /// `(a, b)`.
    Tuple(Vec<Term>),
    /// `name(args)` such as `now()`, `uuid()`, `toTimestamp(now())`, `token(...)`.
    FunctionCall {
        /// Function name, lower-cased.
        name: String,
        /// Arguments.
        args: Vec<Term>,
    },
}

/// The left side of a relation.
#[derive(Debug, Clone, PartialEq)]
pub enum RelationLhs {
    /// A column.
    Column(String),
    /// `token(c1, c2, ...)`.
    Token(Vec<String>),
    /// `(c1, c2, ...)` — multi-column (clustering tuple) relation.
    Tuple(Vec<String>),
    /// `m[key]` — a map element (served by an `ENTRIES` index).
    MapElement {
        /// Map column.
        column: String,
        /// Key term.
        key: Term,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `=`
    Eq,
    /// `!=`
    Neq,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `CONTAINS`
    Contains,
    /// `CONTAINS KEY`
    ContainsKey,
    /// `LIKE`
    Like,
}

/// One relation of a WHERE clause (relations are joined by `AND`).
#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    /// `lhs op term`.
    Compare {
        /// Left side.
        lhs: RelationLhs,
        /// Operator.
        op: Operator,
        /// Right side.
        rhs: Term,
    },
    /// `lhs IN (t1, t2)` or `lhs IN ?`.
    In {
        /// Left side.
        lhs: RelationLhs,
        /// The values.
        values: InValues,
    },
    /// `c IS NOT NULL` (materialized views).
    IsNotNull(String),
}

/// The right side of `IN`.
#[derive(Debug, Clone, PartialEq)]
pub enum InValues {
    /// `IN (t1, t2, ...)` (each may be a bind marker).
    List(Vec<Term>),
    /// `IN ?` — one marker bound to a whole list.
    Bind(usize),
}

/// `USING TTL t AND TIMESTAMP ts AND TIMEOUT d`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Using {
    /// `TTL`.
    pub ttl: Option<Term>,
    /// `TIMESTAMP`.
    pub timestamp: Option<Term>,
    /// `TIMEOUT` as written (e.g. `30000ms`), accepted and ignored.
    pub timeout: Option<String>,
}

/// `INSERT INTO [ks.]t (cols) VALUES (terms) [IF NOT EXISTS] [USING ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    /// Table.
    pub table: QualifiedName,
    /// Column names.
    pub columns: Vec<String>,
    /// Values, one per column.
    pub values: Vec<Term>,
    /// `IF NOT EXISTS` was given.
    pub if_not_exists: bool,
    /// `USING` options.
    pub using: Using,
}

/// One assignment in `UPDATE ... SET`.
#[derive(Debug, Clone, PartialEq)]
pub enum Assignment {
    /// `c = term`.
    Set {
        /// Column.
        column: String,
        /// New value.
        value: Term,
    },
    /// `c[key] = term` (map entry or list index).
    SetElement {
        /// Column.
        column: String,
        /// Map key or list index.
        key: Term,
        /// New value.
        value: Term,
    },
    /// `c = c + term` (also counters: `c = c + 1`).
    Append {
        /// Column.
        column: String,
        /// What is added.
        value: Term,
    },
    /// `c = term + c` (lists).
    Prepend {
        /// Column.
        column: String,
        /// What is prepended.
        value: Term,
    },
    /// `c = c - term`.
    Remove {
        /// Column.
        column: String,
        /// What is removed.
        value: Term,
    },
}

/// A condition of a lightweight transaction (`IF c = v`).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// Column.
    pub column: String,
    /// Operator.
    pub op: Operator,
    /// Value.
    pub value: Term,
}

/// `UPDATE [ks.]t [USING ...] SET ... WHERE ... [IF EXISTS | IF cond]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// Table.
    pub table: QualifiedName,
    /// `USING` options.
    pub using: Using,
    /// Assignments in order.
    pub assignments: Vec<Assignment>,
    /// WHERE relations.
    pub where_clause: Vec<Relation>,
    /// `IF EXISTS` was given.
    pub if_exists: bool,
    /// `IF c = v AND ...` conditions.
    pub conditions: Vec<Condition>,
}

/// One target of `DELETE a, m[k] FROM ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteTarget {
    /// Column.
    pub column: String,
    /// `m[k]` / `l[i]` element, if any.
    pub element: Option<Term>,
}

/// `DELETE [targets] FROM [ks.]t [USING TIMESTAMP ts] WHERE ... [IF EXISTS | IF cond]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    /// Columns or elements to delete; empty deletes rows.
    pub targets: Vec<DeleteTarget>,
    /// Table.
    pub table: QualifiedName,
    /// `USING` options.
    pub using: Using,
    /// WHERE relations.
    pub where_clause: Vec<Relation>,
    /// `IF EXISTS` was given.
    pub if_exists: bool,
    /// `IF c = v AND ...` conditions.
    pub conditions: Vec<Condition>,
}

/// The kind of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchKind {
    /// `BEGIN BATCH`.
    Logged,
    /// `BEGIN UNLOGGED BATCH`.
    Unlogged,
    /// `BEGIN COUNTER BATCH`.
    Counter,
}

/// `BEGIN [UNLOGGED|COUNTER] BATCH [USING ...] stmt; stmt; ... APPLY BATCH`.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Kind.
    pub kind: BatchKind,
    /// `USING` options applied to every statement.
    pub using: Using,
    /// The statements (only `Insert`, `Update`, `Delete`).
    pub statements: Vec<Statement>,
}

/// A selected expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Selector {
    /// A column.
    Column(String),
    /// `COUNT(*)` or `COUNT(1)`.
    CountStar,
    /// A function call over selectors, e.g. `writetime(c)`, `ttl(c)`, `token(pk)`, `count(c)`,
    /// `min(c)`, `max(c)`, `sum(c)`.
    Function {
        /// Function name, lower-cased.
        name: String,
        /// Arguments.
        args: Vec<Selector>,
    },
    /// A literal used as a selector argument (e.g. the `1` of `COUNT(1)` is normalised to
    /// [`Selector::CountStar`]).
    Literal(Literal),
}

/// A selector with its optional `AS alias`.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectItem {
    /// The expression.
    pub selector: Selector,
    /// `AS alias`.
    pub alias: Option<String>,
}

/// `SELECT [DISTINCT] (* | items) FROM [ks.]t [WHERE ...] [GROUP BY ...] [ORDER BY ...]
/// [PER PARTITION LIMIT n] [LIMIT n] [ALLOW FILTERING] [BYPASS CACHE] [USING TIMEOUT d]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// `DISTINCT` was given.
    pub distinct: bool,
    /// `JSON` was given.
    pub json: bool,
    /// Selected items; `None` for `*`.
    pub items: Option<Vec<SelectItem>>,
    /// Table or view.
    pub from: QualifiedName,
    /// WHERE relations.
    pub where_clause: Vec<Relation>,
    /// `GROUP BY` columns.
    pub group_by: Vec<String>,
    /// `ORDER BY` columns.
    pub order_by: Vec<(String, Order)>,
    /// `PER PARTITION LIMIT`.
    pub per_partition_limit: Option<Term>,
    /// `LIMIT`.
    pub limit: Option<Term>,
    /// `ALLOW FILTERING` was given.
    pub allow_filtering: bool,
    /// `BYPASS CACHE` was given (accepted, no effect).
    pub bypass_cache: bool,
    /// `USING TIMEOUT` as written (accepted, no effect).
    pub timeout: Option<String>,
}
