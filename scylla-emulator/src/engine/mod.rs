//! Statement execution: schema (DDL), writes, reads, prepared statements.
//!
//! One shared [`Db`] behind a read/write lock; every statement is analysed against the current
//! schema (validation and bind-marker metadata) and then executed under the lock.
//! Secondary indexes and materialized views: `modify::write` calls [`secondary::maintain`] once
//! per written partition; `select::plan` asks `crate::index::plan::decide` whether an index
//! serves the query; a view is a [`Table`] with a [`ViewState`].

pub mod ddl;
pub mod eval;
pub mod modify;
pub mod secondary;
pub mod select;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::cql::ast::{ParsedStatement, Statement};
use crate::error::{CqlError, Result};
use crate::instruments::{Instruments, StatementKind};
use crate::schema::{KeyspaceDef, TableDef};
use crate::storage::TableData;
use crate::types::Value;
pub use eval::{ColSpec, RawValue};

/// A table (or materialized view): schema and data.
#[derive(Debug, Clone)]
pub struct Table {
    pub def: Arc<TableDef>,
    pub data: TableData,
    /// Secondary-index data by index name (one entry per `def.indexes`).
    pub indexes: BTreeMap<String, crate::index::store::IndexData>,
    /// Set when this table is a materialized view.
    pub view: Option<ViewState>,
}

/// What makes a table a materialized view.
#[derive(Debug, Clone)]
pub struct ViewState {
    pub spec: Arc<crate::view::ViewSpec>,
    /// Where each base row currently sits in the view.
    pub reverse: crate::view::Reverse,
}

impl Table {
    /// An empty table.
    pub fn new(def: Arc<TableDef>) -> Table {
        Table {
            def,
            data: TableData::default(),
            indexes: BTreeMap::new(),
            view: None,
        }
    }

    /// Is this table a materialized view?
    pub fn is_view(&self) -> bool {
        self.view.is_some()
    }
}

/// A keyspace with its tables.
#[derive(Debug, Clone)]
pub struct Keyspace {
    pub def: KeyspaceDef,
    pub tables: BTreeMap<String, Table>,
    /// A system keyspace (read-only to clients).
    pub system: bool,
}

/// The whole database.
#[derive(Debug)]
pub struct Db {
    pub keyspaces: BTreeMap<String, Keyspace>,
    pub schema_version: uuid::Uuid,
}

impl Db {
    pub fn table(&self, ks: &str, t: &str) -> Result<&Table> {
        let k = self
            .keyspaces
            .get(ks)
            .ok_or_else(|| CqlError::invalid(format!("Keyspace {ks} does not exist")))?;
        k.tables
            .get(t)
            .ok_or_else(|| CqlError::invalid(format!("unconfigured table {t}")))
    }

    pub fn table_mut(&mut self, ks: &str, t: &str) -> Result<&mut Table> {
        let k = self
            .keyspaces
            .get_mut(ks)
            .ok_or_else(|| CqlError::invalid(format!("Keyspace {ks} does not exist")))?;
        k.tables
            .get_mut(t)
            .ok_or_else(|| CqlError::invalid(format!("unconfigured table {t}")))
    }
}

/// Result of one statement.
#[derive(Debug, Clone)]
pub enum QueryResult {
    Void,
    Rows(RowsResult),
    SetKeyspace(String),
    SchemaChange(SchemaChange),
}

/// A `SCHEMA_CHANGE` result.
#[derive(Debug, Clone)]
pub struct SchemaChange {
    /// `CREATED`, `UPDATED`, `DROPPED`.
    pub change: &'static str,
    /// `KEYSPACE`, `TABLE`.
    pub target: &'static str,
    pub keyspace: String,
    pub name: Option<String>,
}

/// A `ROWS` result.
#[derive(Debug, Clone, Default)]
pub struct RowsResult {
    pub columns: Vec<ColSpec>,
    pub rows: Vec<Vec<Option<Value>>>,
    pub paging_state: Option<Vec<u8>>,
    /// Omit the column specs (the client asked to skip metadata).
    pub no_metadata: bool,
    /// Warnings sent with the response.
    pub warnings: Vec<String>,
}

/// A prepared statement.
#[derive(Debug)]
pub struct Prepared {
    pub id: Vec<u8>,
    pub text: String,
    pub parsed: ParsedStatement,
    /// Keyspace in effect when it was prepared (for unqualified names).
    pub keyspace: Option<String>,
    pub bind_specs: Vec<ColSpec>,
    pub pk_indexes: Vec<u16>,
    pub result_columns: Vec<ColSpec>,
    /// Tables the statement uses (prepared statements are invalidated when they change).
    pub tables: Vec<(String, String)>,
}

/// Per-request options.
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    pub values: Vec<RawValue>,
    pub page_size: Option<i32>,
    pub paging_state: Option<Vec<u8>>,
    pub timestamp: Option<i64>,
    pub skip_metadata: bool,
}

/// The statement analysis result shared by PREPARE and execution.
pub struct Analysis {
    pub bind_specs: Vec<Option<ColSpec>>,
    pub pk_indexes: Vec<u16>,
    pub result_columns: Vec<ColSpec>,
}

/// The emulator's engine.
pub struct Engine {
    pub db: RwLock<Db>,
    prepared: Mutex<HashMap<Vec<u8>, Arc<Prepared>>>,
    pub instruments: Arc<Instruments>,
    clock: AtomicI64,
    pub rpc_address: Mutex<std::net::IpAddr>,
    list_seq: AtomicI64,
    /// ScyllaDB's `strict_allow_filtering: true` (default `warn`, i.e. false here).
    pub strict_allow_filtering: std::sync::atomic::AtomicBool,
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

impl Engine {
    pub fn new(instruments: Arc<Instruments>, rpc_address: std::net::IpAddr) -> Engine {
        let e = Engine {
            db: RwLock::new(Db {
                keyspaces: BTreeMap::new(),
                schema_version: uuid::Uuid::new_v4(),
            }),
            prepared: Mutex::new(HashMap::new()),
            instruments,
            clock: AtomicI64::new(0),
            rpc_address: Mutex::new(rpc_address),
            list_seq: AtomicI64::new(1 << 40),
            strict_allow_filtering: std::sync::atomic::AtomicBool::new(false),
        };
        {
            let mut db = e.write_db();
            crate::system_tables::create_system_keyspaces(&mut db);
            crate::system_tables::refresh(&mut db, rpc_address);
        }
        e
    }

    pub fn read_db(&self) -> std::sync::RwLockReadGuard<'_, Db> {
        self.db.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write_db(&self) -> std::sync::RwLockWriteGuard<'_, Db> {
        self.db.write().unwrap_or_else(|e| e.into_inner())
    }

    /// A strictly increasing server timestamp in microseconds.
    pub fn next_timestamp(&self) -> i64 {
        let now = now_micros();
        let prev = self.clock.fetch_max(now, Ordering::SeqCst);
        if prev >= now {
            self.clock.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            now
        }
    }

    /// A fresh key for a list element (appends grow, prepends shrink).
    pub fn list_key(&self, prepend: bool) -> Value {
        let n = self.list_seq.fetch_add(1, Ordering::SeqCst);
        Value::Bigint(if prepend { -n } else { n })
    }

    pub fn set_rpc_address(&self, addr: std::net::IpAddr) {
        *self.rpc_address.lock().unwrap_or_else(|e| e.into_inner()) = addr;
        let mut db = self.write_db();
        crate::system_tables::refresh(&mut db, addr);
    }

    fn rpc(&self) -> std::net::IpAddr {
        *self.rpc_address.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called after every schema change.
    pub(crate) fn schema_changed(&self, db: &mut Db) {
        db.schema_version = uuid::Uuid::new_v4();
        crate::system_tables::refresh(db, self.rpc());
    }

    /// PREPARE.
    pub fn prepare(&self, text: &str, keyspace: Option<&str>) -> Result<Arc<Prepared>> {
        let mut h = md5::Context::new();
        if let Some(ks) = keyspace {
            h.consume(ks.as_bytes());
        }
        h.consume(text.as_bytes());
        let id = h.finalize().0.to_vec();
        if let Some(p) = self.lookup(&id) {
            return Ok(p);
        }
        let parsed = crate::cql::parse(text).map_err(|e| CqlError::syntax(e.message))?;
        let parsed_tables = parsed.statement.clone();
        let analysis = {
            let db = self.read_db();
            self.analyze(&db, &parsed, keyspace)?
        };
        let mut bind_specs = Vec::new();
        for (i, s) in analysis.bind_specs.into_iter().enumerate() {
            bind_specs
                .push(s.ok_or_else(|| CqlError::server(format!("bind marker {i} has no type")))?);
        }
        let p = Arc::new(Prepared {
            id: id.clone(),
            text: text.to_string(),
            parsed,
            keyspace: keyspace.map(str::to_string),
            bind_specs,
            pk_indexes: analysis.pk_indexes,
            result_columns: analysis.result_columns,
            tables: statement_tables(&parsed_tables, keyspace),
        });
        self.prepared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, p.clone());
        Ok(p)
    }

    pub fn lookup(&self, id: &[u8]) -> Option<Arc<Prepared>> {
        self.prepared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Validates a statement and derives bind-marker and result metadata.
    pub fn analyze(
        &self,
        db: &Db,
        parsed: &ParsedStatement,
        keyspace: Option<&str>,
    ) -> Result<Analysis> {
        let mut binds = eval::Binds::new(None, parsed.bind_count);
        let mut result_columns = Vec::new();
        match &parsed.statement {
            Statement::Select(s) => {
                let plan = select::plan(self, db, s, keyspace, &mut binds)?;
                result_columns = plan.result_columns.clone();
            }
            Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => {
                let p = modify::plan(self, db, &parsed.statement, keyspace, &mut binds, None)?;
                result_columns = p.result_columns();
            }
            Statement::Batch(b) => {
                for s in &b.statements {
                    modify::plan(self, db, s, keyspace, &mut binds, Some(&b.using))?;
                }
            }
            _ => {
                ddl::validate(db, &parsed.statement, keyspace)?;
            }
        }
        let pk_indexes = pk_indexes(db, &parsed.statement, keyspace, &binds);
        Ok(Analysis {
            bind_specs: binds.specs,
            pk_indexes,
            result_columns,
        })
    }

    /// Executes a parsed statement.
    pub fn execute(
        &self,
        parsed: &ParsedStatement,
        keyspace: Option<&str>,
        opts: &QueryOptions,
        result_columns: Option<&[ColSpec]>,
    ) -> Result<QueryResult> {
        let kind = statement_kind(&parsed.statement);
        let is_system = touches_system(&parsed.statement, keyspace);
        if !is_system {
            self.instruments.count_statement(kind);
        }
        match &parsed.statement {
            Statement::Select(s) => {
                if s.allow_filtering && !is_system {
                    self.instruments.count_allow_filtering();
                }
                let db = self.read_db();
                let mut binds = eval::Binds::new(Some(&opts.values), parsed.bind_count);
                let plan = select::plan(self, &db, s, keyspace, &mut binds)?;
                let mut rows = select::execute(self, &db, &plan, opts, !is_system)?;
                if opts.skip_metadata && result_columns.is_some_and(|c| !c.is_empty()) {
                    rows.no_metadata = true;
                }
                Ok(QueryResult::Rows(rows))
            }
            Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => {
                let mut db = self.write_db();
                let mut binds = eval::Binds::new(Some(&opts.values), parsed.bind_count);
                let p = modify::plan(self, &db, &parsed.statement, keyspace, &mut binds, None)?;
                let ts = opts.timestamp;
                modify::apply(self, &mut db, p, ts)
            }
            Statement::Batch(b) => {
                let mut db = self.write_db();
                let mut binds = eval::Binds::new(Some(&opts.values), parsed.bind_count);
                let mut plans = Vec::new();
                for s in &b.statements {
                    plans.push(modify::plan(
                        self,
                        &db,
                        s,
                        keyspace,
                        &mut binds,
                        Some(&b.using),
                    )?);
                }
                let ts = opts.timestamp.unwrap_or_else(|| self.next_timestamp());
                modify::apply_batch(self, &mut db, plans, ts)
            }
            Statement::Use(ks) => {
                let db = self.read_db();
                if !db.keyspaces.contains_key(ks) {
                    return Err(CqlError::invalid(format!("Keyspace '{ks}' does not exist")));
                }
                Ok(QueryResult::SetKeyspace(ks.clone()))
            }
            _ => {
                let mut db = self.write_db();
                let r = ddl::execute(self, &mut db, &parsed.statement, keyspace)?;
                if let QueryResult::SchemaChange(sc) = &r {
                    self.invalidate(&sc.keyspace, sc.name.as_deref());
                }
                Ok(r)
            }
        }
    }

    /// Forgets prepared statements using a changed table (or any table of a dropped
    /// keyspace); clients get Unprepared and re-prepare, as with ScyllaDB.
    fn invalidate(&self, ks: &str, table: Option<&str>) {
        let mut p = self.prepared.lock().unwrap_or_else(|e| e.into_inner());
        p.retain(|_, st| {
            !st.tables
                .iter()
                .any(|(k, t)| k == ks && table.is_none_or(|n| n == t))
        });
    }

    /// Executes a batch of independently prepared/parsed statements (protocol BATCH).
    pub fn execute_batch(
        &self,
        stmts: &[(ParsedStatement, Option<String>, Vec<RawValue>)],
        timestamp: Option<i64>,
    ) -> Result<QueryResult> {
        let is_system = stmts
            .iter()
            .any(|(p, ks, _)| touches_system(&p.statement, ks.as_deref()));
        if !is_system {
            self.instruments.count_statement(StatementKind::Batch);
        }
        let mut db = self.write_db();
        let mut plans = Vec::new();
        for (parsed, ks, values) in stmts {
            match &parsed.statement {
                Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => {}
                _ => {
                    return Err(CqlError::invalid(
                        "Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.",
                    ));
                }
            }
            let mut binds = eval::Binds::new(Some(values), parsed.bind_count);
            plans.push(modify::plan(
                self,
                &db,
                &parsed.statement,
                ks.as_deref(),
                &mut binds,
                None,
            )?);
        }
        let ts = timestamp.unwrap_or_else(|| self.next_timestamp());
        modify::apply_batch(self, &mut db, plans, ts)
    }
}

fn statement_tables(s: &Statement, current: Option<&str>) -> Vec<(String, String)> {
    let names: Vec<&crate::cql::ast::QualifiedName> = match s {
        Statement::Select(s) => vec![&s.from],
        Statement::Insert(i) => vec![&i.table],
        Statement::Update(u) => vec![&u.table],
        Statement::Delete(d) => vec![&d.table],
        Statement::Batch(b) => {
            return b
                .statements
                .iter()
                .flat_map(|s| statement_tables(s, current))
                .collect();
        }
        _ => vec![],
    };
    names
        .into_iter()
        .filter_map(|n| {
            resolve_ks(&n.keyspace, current)
                .ok()
                .map(|k| (k.to_string(), n.name.clone()))
        })
        .collect()
}

/// Resolves `[ks.]name` against the current keyspace.
pub fn resolve_ks<'a>(explicit: &'a Option<String>, current: Option<&'a str>) -> Result<&'a str> {
    match explicit {
        Some(k) => Ok(k.as_str()),
        None => current.ok_or_else(|| {
            CqlError::invalid("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
        }),
    }
}

fn statement_kind(s: &Statement) -> StatementKind {
    match s {
        Statement::Select(_) => StatementKind::Select,
        Statement::Insert(_) => StatementKind::Insert,
        Statement::Update(_) => StatementKind::Update,
        Statement::Delete(_) => StatementKind::Delete,
        Statement::Batch(_) => StatementKind::Batch,
        Statement::Use(_) => StatementKind::Use,
        _ => StatementKind::Ddl,
    }
}

fn touches_system(s: &Statement, current: Option<&str>) -> bool {
    let ks = match s {
        Statement::Select(s) => s.from.keyspace.as_deref().or(current),
        _ => return false,
    };
    matches!(
        ks,
        Some("system")
            | Some("system_schema")
            | Some("system_auth")
            | Some("system_distributed")
            | Some("system_traces")
    )
}

/// `pk_indexes`: for each partition-key column, the marker named after it (from an `=`
/// relation or an INSERT value); empty unless every component is bound.
fn pk_indexes(db: &Db, s: &Statement, current: Option<&str>, binds: &eval::Binds) -> Vec<u16> {
    let name = match s {
        Statement::Select(s) => &s.from,
        Statement::Insert(i) => &i.table,
        Statement::Update(u) => &u.table,
        Statement::Delete(d) => &d.table,
        _ => return vec![],
    };
    let Ok(ks) = resolve_ks(&name.keyspace, current) else {
        return vec![];
    };
    let Ok(t) = db.table(ks, &name.name) else {
        return vec![];
    };
    let mut out = Vec::new();
    for c in t.def.pk_cols() {
        let found = binds
            .specs
            .iter()
            .position(|s| s.as_ref().is_some_and(|s| s.name == c.name && s.ty == c.ty));
        match found {
            Some(i) => out.push(i as u16),
            None => return vec![],
        }
    }
    out
}
