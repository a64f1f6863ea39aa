//! Schema statements: keyspaces, tables, ALTER, TRUNCATE.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::{Db, Engine, Keyspace, QueryResult, SchemaChange, Table, resolve_ks};
use crate::cql::ast::{
    AlterTableOp, ColumnDef as AstColumn, CreateTable, Literal, Order, Property, PropertyValue,
    Statement,
};
use crate::error::{CqlError, Result};
use crate::schema::{ColumnDef, ColumnKind, KeyspaceDef, TableDef};
use crate::storage::{TableData, now_secs};
use crate::types::ColType;

/// DDL is validated when executed; PREPARE of DDL always succeeds.
pub fn validate(_db: &Db, _s: &Statement, _ks: Option<&str>) -> Result<()> {
    Ok(())
}

fn is_system_ks(ks: &str) -> bool {
    matches!(
        ks,
        "system" | "system_schema" | "system_auth" | "system_distributed" | "system_traces"
    )
}

fn check_user_ks(ks: &str) -> Result<()> {
    if is_system_ks(ks) {
        return Err(CqlError::new(
            crate::error::code::UNAUTHORIZED,
            format!("{ks} keyspace is not user-modifiable."),
        ));
    }
    Ok(())
}

fn lit_string(l: &Literal) -> String {
    match l {
        Literal::Null => "null".into(),
        Literal::Bool(b) => b.to_string(),
        Literal::Integer(s)
        | Literal::Float(s)
        | Literal::String(s)
        | Literal::Uuid(s)
        | Literal::Identifier(s) => s.clone(),
        Literal::Blob(b) => format!("0x{}", crate::error::hex(b)),
    }
}

fn prop_map(p: &Property) -> Result<BTreeMap<String, String>> {
    match &p.value {
        PropertyValue::Map(m) => Ok(m
            .iter()
            .map(|(k, v)| (lit_string(k), lit_string(v)))
            .collect()),
        PropertyValue::Constant(_) => Err(CqlError::syntax(format!(
            "Invalid value for property '{}'",
            p.name
        ))),
    }
}

fn prop_render(p: &Property) -> String {
    match &p.value {
        PropertyValue::Constant(l) => lit_string(l),
        PropertyValue::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("'{}': '{}'", lit_string(k), lit_string(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.len() <= 48 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

const TABLE_PROPS: &[&str] = &[
    "comment",
    "default_time_to_live",
    "gc_grace_seconds",
    "compaction",
    "compression",
    "caching",
    "bloom_filter_fp_chance",
    "read_repair_chance",
    "dclocal_read_repair_chance",
    "speculative_retry",
    "memtable_flush_period_in_ms",
    "min_index_interval",
    "max_index_interval",
    "crc_check_chance",
    "cdc",
    "paxos_grace_seconds",
    "tombstone_gc",
    "synchronous_updates",
    "id",
    "extensions",
    "in_memory",
    "scylla_encryption_options",
];

fn table_props(props: &[Property], into: &mut BTreeMap<String, String>) -> Result<()> {
    for p in props {
        if !TABLE_PROPS.contains(&p.name.as_str()) {
            return Err(CqlError::syntax(format!("Unknown property '{}'", p.name)));
        }
        if p.name == "default_time_to_live" {
            let v = prop_render(p);
            let n: i64 = v.parse().map_err(|_| {
                CqlError::syntax(format!(
                    "Invalid integer value {v} for 'default_time_to_live'"
                ))
            })?;
            if !(0..=630_720_000).contains(&n) {
                return Err(CqlError::config(format!(
                    "default_time_to_live must be greater than or equal to 0 (got {n})"
                )));
            }
        }
        into.insert(p.name.clone(), prop_render(p));
    }
    Ok(())
}

fn keyspace_def(name: &str, props: &[Property]) -> Result<KeyspaceDef> {
    let mut replication = None;
    let mut durable_writes = true;
    let mut tablets = BTreeMap::new();
    for p in props {
        match p.name.as_str() {
            "replication" => replication = Some(prop_map(p)?),
            "durable_writes" => {
                durable_writes = match prop_render(p).to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    o => {
                        return Err(CqlError::syntax(format!(
                            "Invalid boolean value {o} for 'durable_writes'"
                        )));
                    }
                }
            }
            "tablets" => tablets = prop_map(p)?,
            o => return Err(CqlError::syntax(format!("Unknown property '{o}'"))),
        }
    }
    let mut replication = replication
        .ok_or_else(|| CqlError::config("Missing mandatory replication strategy class"))?;
    let class = replication
        .remove("class")
        .ok_or_else(|| CqlError::config("Missing mandatory replication strategy class"))?;
    let short = class.rsplit('.').next().unwrap_or(&class).to_string();
    let mut out = BTreeMap::new();
    match short.as_str() {
        "SimpleStrategy" => {
            let rf = replication.remove("replication_factor").ok_or_else(|| {
                CqlError::config("SimpleStrategy requires a replication_factor strategy option.")
            })?;
            if rf.parse::<u32>().is_err() {
                return Err(CqlError::config(format!(
                    "Replication factor must be non-negative integer; found {rf}"
                )));
            }
            if let Some(k) = replication.keys().next() {
                return Err(CqlError::config(format!(
                    "Unrecognized strategy option {{{k}}} passed to SimpleStrategy"
                )));
            }
            out.insert("replication_factor".to_string(), rf);
        }
        "NetworkTopologyStrategy" => {
            if let Some(rf) = replication.remove("replication_factor") {
                out.insert("datacenter1".to_string(), rf);
            }
            for (k, v) in replication {
                if v.parse::<u32>().is_err() {
                    return Err(CqlError::config(format!(
                        "Replication factor must be non-negative integer; found {v}"
                    )));
                }
                out.insert(k, v);
            }
        }
        "LocalStrategy" | "EverywhereStrategy" => {}
        _ => {
            return Err(CqlError::config(format!(
                "Unable to find replication strategy class '{class}'"
            )));
        }
    }
    out.insert(
        "class".to_string(),
        format!("org.apache.cassandra.locator.{short}"),
    );
    Ok(KeyspaceDef {
        name: name.to_string(),
        replication: out,
        durable_writes,
        tablets,
    })
}

fn created(target: &'static str, ks: &str, name: Option<&str>) -> QueryResult {
    QueryResult::SchemaChange(SchemaChange {
        change: "CREATED",
        target,
        keyspace: ks.to_string(),
        name: name.map(str::to_string),
    })
}

fn change(change: &'static str, target: &'static str, ks: &str, name: Option<&str>) -> QueryResult {
    QueryResult::SchemaChange(SchemaChange {
        change,
        target,
        keyspace: ks.to_string(),
        name: name.map(str::to_string),
    })
}

/// Executes a schema statement.
pub fn execute(
    engine: &Engine,
    db: &mut Db,
    s: &Statement,
    current: Option<&str>,
) -> Result<QueryResult> {
    let r = match s {
        Statement::CreateKeyspace(c) => {
            if !valid_name(&c.name) {
                return Err(CqlError::invalid(format!(
                    "Keyspace name must not be empty, more than 48 characters long, or contain non-alphanumeric-underscore characters (got \"{}\")",
                    c.name
                )));
            }
            let def = keyspace_def(&c.name, &c.properties)?;
            if db.keyspaces.contains_key(&c.name) {
                if c.if_not_exists {
                    return Ok(QueryResult::Void);
                }
                return Err(CqlError::already_exists(
                    &c.name,
                    "",
                    format!("Cannot add existing keyspace \"{}\"", c.name),
                ));
            }
            check_user_ks(&c.name)?;
            db.keyspaces.insert(
                c.name.clone(),
                Keyspace {
                    def,
                    tables: BTreeMap::new(),
                    system: false,
                },
            );
            created("KEYSPACE", &c.name, None)
        }
        Statement::DropKeyspace { name, if_exists } => {
            check_user_ks(name)?;
            if db.keyspaces.remove(name).is_none() {
                if *if_exists {
                    return Ok(QueryResult::Void);
                }
                return Err(CqlError::config(format!(
                    "Cannot drop non existing keyspace '{name}'."
                )));
            }
            change("DROPPED", "KEYSPACE", name, None)
        }
        Statement::CreateTable(c) => {
            let ks = resolve_ks(&c.name.keyspace, current)?.to_string();
            check_user_ks(&ks)?;
            let Some(k) = db.keyspaces.get(&ks) else {
                return Err(CqlError::invalid(format!("Keyspace {ks} does not exist")));
            };
            if !valid_name(&c.name.name) {
                return Err(CqlError::invalid(format!(
                    "Table name must not be empty, more than 48 characters long, or contain non-alphanumeric-underscore characters (got \"{}\")",
                    c.name.name
                )));
            }
            let def = table_def(&ks, c)?;
            if k.tables.contains_key(&c.name.name) {
                if c.if_not_exists {
                    return Ok(QueryResult::Void);
                }
                return Err(CqlError::already_exists(
                    &ks,
                    &c.name.name,
                    format!(
                        "Cannot add already existing table \"{}\" to keyspace \"{}\"",
                        c.name.name, ks
                    ),
                ));
            }
            let k = db.keyspaces.get_mut(&ks).unwrap();
            k.tables
                .insert(c.name.name.clone(), Table::new(Arc::new(def)));
            created("TABLE", &ks, Some(&c.name.name))
        }
        Statement::DropTable { name, if_exists } => {
            let ks = resolve_ks(&name.keyspace, current)?.to_string();
            check_user_ks(&ks)?;
            let exists = db
                .keyspaces
                .get(&ks)
                .is_some_and(|k| k.tables.contains_key(&name.name));
            if !exists {
                if *if_exists {
                    return Ok(QueryResult::Void);
                }
                if !db.keyspaces.contains_key(&ks) {
                    return Err(CqlError::invalid(format!("Keyspace {ks} does not exist")));
                }
                return Err(CqlError::config(format!(
                    "Cannot drop non existing table '{}' in keyspace '{ks}'.",
                    name.name
                )));
            }
            let k = db.keyspaces.get_mut(&ks).unwrap();
            if k.tables[&name.name].is_view() {
                return Err(crate::view::drop_table_on_view_error());
            }
            let views = views_of(k, &name.name);
            if !views.is_empty() {
                return Err(crate::view::drop_base_with_views_error(&ks, &views));
            }
            // Its indexes go with it.
            k.tables.remove(&name.name);
            change("DROPPED", "TABLE", &ks, Some(&name.name))
        }
        Statement::Truncate(name) => {
            let ks = resolve_ks(&name.keyspace, current)?.to_string();
            check_user_ks(&ks)?;
            let t = db.table_mut(&ks, &name.name)?;
            if t.is_view() {
                return Err(CqlError::invalid(
                    "Cannot TRUNCATE materialized view directly; must truncate base table instead",
                ));
            }
            t.data = TableData::default();
            for d in t.indexes.values_mut() {
                d.clear();
            }
            // The base table's views are truncated with it.
            let k = db.keyspaces.get_mut(&ks).unwrap();
            for v in views_of(k, &name.name) {
                let vt = k.tables.get_mut(&v).unwrap();
                vt.data = TableData::default();
                if let Some(st) = vt.view.as_mut() {
                    st.reverse.clear();
                }
            }
            return Ok(QueryResult::Void);
        }
        Statement::AlterTable(a) => {
            let ks = resolve_ks(&a.name.keyspace, current)?.to_string();
            check_user_ks(&ks)?;
            let ts = engine.next_timestamp();
            check_alter_dependencies(db, &ks, &a.name.name, &a.op)?;
            let t = db.table_mut(&ks, &a.name.name)?;
            let mut def = (*t.def).clone();
            alter(&mut def, &a.op, ts)?;
            if let AlterTableOp::Drop(cols) = &a.op {
                let ids: Vec<u32> = cols
                    .iter()
                    .filter_map(|c| t.def.column(c).map(|(_, d)| d.id))
                    .collect();
                for p in t.data.partitions.values_mut() {
                    for id in &ids {
                        p.static_row.cells.remove(id);
                        for r in p.rows.values_mut() {
                            r.cells.remove(id);
                        }
                    }
                }
            }
            t.def = Arc::new(def);
            let new_def = t.def.clone();
            propagate_alter_to_views(db, &ks, &a.name.name, &a.op, &new_def);
            change("UPDATED", "TABLE", &ks, Some(&a.name.name))
        }
        Statement::CreateIndex(c) => {
            let ks = resolve_ks(&c.table.keyspace, current)?.to_string();
            check_user_ks(&ks)?;
            let t = db.table(&ks, &c.table.name)?;
            let k = &db.keyspaces[&ks];
            let index_names: BTreeSet<String> = k
                .tables
                .values()
                .flat_map(|t| t.def.indexes.iter().map(|i| i.name.clone()))
                .collect();
            let has_table = |n: &str| k.tables.contains_key(n);
            let view = crate::index::create::KeyspaceView {
                index_names: &index_names,
                has_table: &has_table,
            };
            let table = crate::index::create::IndexedTable {
                def: &t.def,
                is_view: t.is_view(),
            };
            let Some(spec) = crate::index::create::validate_create_index(c, table, &view)? else {
                return Ok(QueryResult::Void);
            };
            let t = db.table_mut(&ks, &c.table.name)?;
            let mut def = (*t.def).clone();
            def.indexes.push(spec.to_def(&def));
            let data =
                crate::index::store::build(&def, &spec, t.data.partitions.iter(), now_secs());
            t.def = Arc::new(def);
            t.indexes.insert(spec.name.clone(), data);
            change("UPDATED", "TABLE", &ks, Some(&c.table.name))
        }
        Statement::DropIndex { name, if_exists } => {
            let ks = resolve_ks(&name.keyspace, current)?.to_string();
            check_user_ks(&ks)?;
            let Some(k) = db.keyspaces.get_mut(&ks) else {
                return Err(CqlError::invalid(format!("Keyspace {ks} does not exist")));
            };
            let owner = k
                .tables
                .iter()
                .find(|(_, t)| t.def.indexes.iter().any(|i| i.name == name.name))
                .map(|(n, _)| n.clone());
            let Some(owner) = owner else {
                if *if_exists {
                    return Ok(QueryResult::Void);
                }
                return Err(crate::index::create::index_not_found(&name.name, &ks));
            };
            let t = k.tables.get_mut(&owner).unwrap();
            let mut def = (*t.def).clone();
            def.indexes.retain(|i| i.name != name.name);
            t.def = Arc::new(def);
            t.indexes.remove(&name.name);
            change("UPDATED", "TABLE", &ks, Some(&owner))
        }
        Statement::CreateView(c) => {
            let ks = resolve_ks(&c.name.keyspace, current)?.to_string();
            check_user_ks(&ks)?;
            if !db.keyspaces.contains_key(&ks) {
                return Err(CqlError::invalid(format!("Keyspace {ks} does not exist")));
            }
            let base_ks = c.base.keyspace.clone().unwrap_or_else(|| ks.clone());
            if base_ks != ks {
                return Err(CqlError::invalid(format!(
                    "Cannot create a materialized view on a table in a separate keyspace ('{base_ks}' != '{ks}')"
                )));
            }
            let base = db.table(&ks, &c.base.name)?;
            let spec = crate::view::validate_create_view(c, &ks, &base.def, base.is_view())?;
            let k = db.keyspaces.get_mut(&ks).unwrap();
            if k.tables.contains_key(&c.name.name) {
                if c.if_not_exists {
                    // ScyllaDB announces the creation anyway (scylladb#16909).
                    return Ok(created("TABLE", &ks, Some(&c.name.name)));
                }
                return Err(CqlError::already_exists(
                    &ks,
                    &c.name.name,
                    format!(
                        "Cannot add already existing table \"{}\" to keyspace \"{}\"",
                        c.name.name, ks
                    ),
                ));
            }
            let base = &k.tables[&c.base.name];
            let mut reverse = crate::view::Reverse::new();
            let mut data = TableData::default();
            let now = now_secs();
            for (pk, part) in &base.data.partitions {
                crate::view::refresh(
                    &mut data,
                    &mut reverse,
                    &spec,
                    &base.def,
                    pk,
                    Some(part),
                    None,
                    now,
                );
            }
            let mut t = Table::new(Arc::new(spec.def.clone()));
            t.data = data;
            t.view = Some(super::ViewState {
                spec: Arc::new(spec),
                reverse,
            });
            k.tables.insert(c.name.name.clone(), t);
            created("TABLE", &ks, Some(&c.name.name))
        }
        Statement::DropView { name, if_exists } => {
            let ks = resolve_ks(&name.keyspace, current)?.to_string();
            check_user_ks(&ks)?;
            let found = db.keyspaces.get(&ks).and_then(|k| k.tables.get(&name.name));
            match found {
                None => {
                    if *if_exists {
                        return Ok(QueryResult::Void);
                    }
                    return Err(crate::view::drop_missing_view_error(&name.name, &ks));
                }
                Some(t) if !t.is_view() => return Err(crate::view::drop_view_on_table_error()),
                Some(_) => {}
            }
            db.keyspaces.get_mut(&ks).unwrap().tables.remove(&name.name);
            change("DROPPED", "TABLE", &ks, Some(&name.name))
        }
        _ => return Err(CqlError::server("not a schema statement")),
    };
    engine.schema_changed(db);
    Ok(r)
}

/// Names of the materialized views built on `base` (sorted).
pub fn views_of(k: &Keyspace, base: &str) -> Vec<String> {
    k.tables
        .iter()
        .filter(|(_, t)| t.view.as_ref().is_some_and(|v| v.spec.base == base))
        .map(|(n, _)| n.clone())
        .collect()
}

/// ALTER TABLE checks that involve indexes and views (ScyllaDB's `alter_table_statement`).
fn check_alter_dependencies(db: &Db, ks: &str, table: &str, op: &AlterTableOp) -> Result<()> {
    let t = db.table(ks, table)?;
    if t.is_view() {
        return Err(crate::view::alter_view_error());
    }
    let k = &db.keyspaces[ks];
    match op {
        AlterTableOp::Drop(cols) => {
            for c in cols {
                let Some((_, cd)) = t.def.column(c) else {
                    continue;
                };
                if matches!(cd.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) {
                    continue;
                }
                for v in views_of(k, table) {
                    let spec = &k.tables[&v].view.as_ref().unwrap().spec;
                    if crate::view::needs_column(spec, c) {
                        return Err(crate::view::drop_column_needed_by_view_error(
                            ks, table, c, &v,
                        ));
                    }
                }
                for spec in crate::index::IndexSpec::of_table(&t.def) {
                    if spec.column == *c {
                        return Err(crate::index::create::drop_indexed_column_error(
                            ks, table, c, &spec.name,
                        ));
                    }
                }
            }
        }
        AlterTableOp::Rename(pairs) => {
            for (from, _) in pairs {
                let deps: Vec<String> = crate::index::IndexSpec::of_table(&t.def)
                    .into_iter()
                    .filter(|i| i.column == *from)
                    .map(|i| i.name)
                    .collect();
                if !deps.is_empty() {
                    return Err(CqlError::invalid(format!(
                        "Cannot rename column {from} because it has dependent secondary indexes ({})",
                        deps.join(", ")
                    )));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Keeps the base table's views in step with ALTER TABLE ADD / RENAME.
fn propagate_alter_to_views(
    db: &mut Db,
    ks: &str,
    table: &str,
    op: &AlterTableOp,
    base: &TableDef,
) {
    let k = db.keyspaces.get_mut(ks).unwrap();
    for v in views_of(k, table) {
        let vt = k.tables.get_mut(&v).unwrap();
        let st = vt.view.as_mut().unwrap();
        let mut spec = (*st.spec).clone();
        match op {
            AlterTableOp::Add(cols) if spec.include_all_columns => {
                for c in cols {
                    if let Some((_, cd)) = base.column(&c.name)
                        && cd.kind == ColumnKind::Regular
                        && spec.def.column(&c.name).is_none()
                    {
                        spec.def.columns.push(cd.clone());
                    }
                }
            }
            AlterTableOp::Rename(pairs) => {
                for (from, to) in pairs {
                    if let Some((i, _)) = spec.def.column(from) {
                        spec.def.columns[i].name = to.clone();
                    }
                    if spec.non_pk_key_column.as_deref() == Some(from.as_str()) {
                        spec.non_pk_key_column = Some(to.clone());
                    }
                }
            }
            _ => continue,
        }
        spec.def.next_column_id = base.next_column_id;
        spec.def.reindex();
        vt.def = Arc::new(spec.def.clone());
        st.spec = Arc::new(spec);
    }
}

fn column_type(c: &AstColumn) -> Result<ColType> {
    ColType::from_ast(&c.ty)
}

/// Builds a table definition from `CREATE TABLE`.
pub fn table_def(ks: &str, c: &CreateTable) -> Result<TableDef> {
    let mut columns: Vec<ColumnDef> = Vec::new();
    for (i, col) in c.columns.iter().enumerate() {
        if columns.iter().any(|x| x.name == col.name) {
            return Err(CqlError::invalid(format!(
                "Multiple definition of identifier {}",
                col.name
            )));
        }
        columns.push(ColumnDef {
            id: i as u32,
            name: col.name.clone(),
            ty: column_type(col)?,
            kind: if col.is_static {
                ColumnKind::Static
            } else {
                ColumnKind::Regular
            },
            position: -1,
            desc: false,
        });
    }
    let inline: Vec<&AstColumn> = c.columns.iter().filter(|c| c.primary_key).collect();
    let pk = match (&c.primary_key, inline.len()) {
        (Some(pk), 0) => pk.clone(),
        (None, 1) => crate::cql::ast::PrimaryKey {
            partition: vec![inline[0].name.clone()],
            clustering: vec![],
        },
        (None, 0) => {
            return Err(CqlError::invalid(
                "No PRIMARY KEY specifed (exactly one required)",
            ));
        }
        _ => {
            return Err(CqlError::invalid(
                "Multiple PRIMARY KEYs specifed (exactly one required)",
            ));
        }
    };
    if pk.partition.is_empty() {
        return Err(CqlError::invalid(
            "No PRIMARY KEY specifed (exactly one required)",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (kind, names) in [
        (ColumnKind::PartitionKey, &pk.partition),
        (ColumnKind::Clustering, &pk.clustering),
    ] {
        for (pos, n) in names.iter().enumerate() {
            if !seen.insert(n.clone()) {
                return Err(CqlError::invalid(format!(
                    "Duplicate column {n} in PRIMARY KEY"
                )));
            }
            let Some(col) = columns.iter_mut().find(|c| &c.name == n) else {
                return Err(CqlError::invalid(format!(
                    "Unknown definition {n} referenced in PRIMARY KEY"
                )));
            };
            if col.kind == ColumnKind::Static {
                return Err(CqlError::invalid(format!(
                    "Static column {n} cannot be part of the PRIMARY KEY"
                )));
            }
            if col.ty.is_multicell() {
                return Err(CqlError::invalid(format!(
                    "Invalid non-frozen collection type for PRIMARY KEY component {n}"
                )));
            }
            if col.ty == ColType::Counter {
                return Err(CqlError::invalid(format!(
                    "counter type is not supported for PRIMARY KEY part {n}"
                )));
            }
            if col.ty == ColType::Duration {
                return Err(CqlError::invalid(format!(
                    "duration type is not supported for PRIMARY KEY part {n}"
                )));
            }
            col.kind = kind;
            col.position = pos as i32;
        }
    }
    if pk.clustering.is_empty() && columns.iter().any(|c| c.kind == ColumnKind::Static) {
        return Err(CqlError::invalid(
            "Static columns are only useful (and thus allowed) if the table has at least one clustering column",
        ));
    }
    // CLUSTERING ORDER BY must list clustering columns in order.
    for (i, (name, order)) in c.clustering_order.iter().enumerate() {
        let Some(col) = columns.iter_mut().find(|c| &c.name == name) else {
            return Err(CqlError::invalid(format!(
                "Unknown definition {name} referenced in CLUSTERING ORDER"
            )));
        };
        if col.kind != ColumnKind::Clustering {
            return Err(CqlError::invalid(format!(
                "Only clustering key columns can be defined in CLUSTERING ORDER directive but {name} is not"
            )));
        }
        if col.position != i as i32 {
            return Err(CqlError::invalid(
                "The order of columns in the CLUSTERING ORDER directive must be the one of the clustering key",
            ));
        }
        col.desc = *order == Order::Desc;
    }
    let n = columns.len() as u32;
    let mut def = TableDef {
        keyspace: ks.to_string(),
        name: c.name.name.clone(),
        id: uuid::Uuid::new_v4(),
        columns,
        partition_key: vec![],
        clustering: vec![],
        next_column_id: n,
        properties: BTreeMap::new(),
        indexes: vec![],
        dropped: BTreeMap::new(),
    };
    table_props(&c.properties, &mut def.properties)?;
    if def.clustering.len() > 63 {
        return Err(CqlError::invalid("Too many clustering columns"));
    }
    def.reindex();
    Ok(def)
}

fn alter(def: &mut TableDef, op: &AlterTableOp, ts: i64) -> Result<()> {
    match op {
        AlterTableOp::Add(cols) => {
            for c in cols {
                if def.column(&c.name).is_some() {
                    return Err(CqlError::invalid(format!(
                        "Invalid column name {} because it conflicts with an existing column",
                        c.name
                    )));
                }
                if c.is_static && def.clustering.is_empty() {
                    return Err(CqlError::invalid(format!(
                        "Static columns are not allowed in tables with no clustering columns (column {})",
                        c.name
                    )));
                }
                if c.primary_key {
                    return Err(CqlError::invalid(format!(
                        "Cannot add new PRIMARY KEY column {}",
                        c.name
                    )));
                }
                let ty = column_type(c)?;
                let id = def.next_column_id;
                def.next_column_id += 1;
                def.columns.push(ColumnDef {
                    id,
                    name: c.name.clone(),
                    ty,
                    kind: if c.is_static {
                        ColumnKind::Static
                    } else {
                        ColumnKind::Regular
                    },
                    position: -1,
                    desc: false,
                });
            }
        }
        AlterTableOp::Drop(names) => {
            for n in names {
                let Some((i, col)) = def.column(n) else {
                    return Err(CqlError::invalid(format!(
                        "Column {n} was not found in table {}",
                        def.name
                    )));
                };
                if matches!(col.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) {
                    return Err(CqlError::invalid(format!(
                        "Cannot drop PRIMARY KEY part {n}"
                    )));
                }
                let ty = col.ty.clone();
                def.columns.remove(i);
                def.dropped.insert(n.clone(), (ty, ts));
            }
        }
        AlterTableOp::With(props) => {
            let mut p = def.properties.clone();
            table_props(props, &mut p)?;
            def.properties = p;
        }
        AlterTableOp::Rename(pairs) => {
            for (from, to) in pairs {
                let Some((i, col)) = def.column(from) else {
                    return Err(CqlError::invalid(format!(
                        "Cannot rename unknown column {from} in table {}",
                        def.name
                    )));
                };
                if !matches!(col.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) {
                    return Err(CqlError::invalid(format!(
                        "Cannot rename non PRIMARY KEY part {from}"
                    )));
                }
                if def.column(to).is_some() {
                    return Err(CqlError::invalid(format!(
                        "Cannot rename column {from} to {to} in keyspace {}; another column of that name already exist",
                        def.keyspace
                    )));
                }
                def.columns[i].name = to.clone();
            }
        }
        AlterTableOp::AlterType { .. } => {
            return Err(CqlError::invalid("Altering of types is not allowed"));
        }
    }
    def.reindex();
    Ok(())
}
