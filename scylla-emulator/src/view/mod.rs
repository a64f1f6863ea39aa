//! Materialized views: `CREATE MATERIALIZED VIEW` validation (ScyllaDB's
//! `create_view_statement::prepare_view`, same checks, same order, same messages), the view's
//! table definition, its `system_schema.views` fields, and the base-row → view-row mapping used
//! to maintain the view on every write.
//!
//! The view's [`TableDef`] reuses the base table's column ids, so a base row's cells can be copied
//! into the view row as they are (timestamps and TTLs included).

use std::collections::{BTreeMap, BTreeSet};

use crate::cql::ast::{CreateView, Literal, Order, PropertyValue, Relation};
use crate::error::{CqlError, Result};
use crate::schema::{ColumnDef, ColumnKind, TableDef};
use crate::storage::{CKey, Cell, Marker, PKey, Partition, Row, TableData};
use crate::types::{ColType, Value};

/// A materialized view's definition beyond its table definition.
#[derive(Debug, Clone)]
pub struct ViewSpec {
    /// The view as a table (its own primary key, base column ids).
    pub def: TableDef,
    /// Base table name (same keyspace).
    pub base: String,
    pub base_id: uuid::Uuid,
    /// `SELECT *`.
    pub include_all_columns: bool,
    /// `where_clause` of `system_schema.views`, e.g. `pk IS NOT NULL AND v IS NOT NULL`.
    pub where_clause: String,
    /// `synchronous_updates` (accepted; every view update is synchronous in the emulator).
    pub synchronous_updates: bool,
    /// The base regular column that is part of the view key, if any.
    pub non_pk_key_column: Option<String>,
}

/// `Cannot directly modify a materialized view` (INSERT/UPDATE/DELETE/BATCH on a view).
pub fn write_to_view_error() -> CqlError {
    CqlError::invalid("Cannot directly modify a materialized view")
}

/// `DROP MATERIALIZED VIEW` of something that does not exist.
pub fn drop_missing_view_error(view: &str, ks: &str) -> CqlError {
    CqlError::config(format!(
        "Cannot drop non existing materialized view '{view}' in keyspace '{ks}'."
    ))
}

/// `DROP MATERIALIZED VIEW` naming a table.
pub fn drop_view_on_table_error() -> CqlError {
    CqlError::invalid("Cannot use DROP MATERIALIZED VIEW on Table")
}

/// `DROP TABLE` naming a view.
pub fn drop_table_on_view_error() -> CqlError {
    CqlError::invalid("Cannot use DROP TABLE on Materialized View")
}

/// `ALTER TABLE` naming a view.
pub fn alter_view_error() -> CqlError {
    CqlError::invalid("Cannot use ALTER TABLE on Materialized View")
}

/// `DROP TABLE` of a base table that still has views.
pub fn drop_base_with_views_error(ks: &str, views: &[String]) -> CqlError {
    CqlError::invalid(format!(
        "Cannot drop table when materialized views still depend on it ({ks}.{{{}}})",
        views.join(", ")
    ))
}

/// `ALTER TABLE base DROP c` where a view needs `c`.
pub fn drop_column_needed_by_view_error(
    ks: &str,
    table: &str,
    column: &str,
    view: &str,
) -> CqlError {
    CqlError::invalid(format!(
        "Cannot drop column {column} from base table {ks}.{table}: materialized view {view} needs this column"
    ))
}

/// Does the view need the base column (selected, key, or a "virtual" column keeping view rows
/// alive)? ScyllaDB refuses to drop such a column from the base table.
pub fn needs_column(view: &ViewSpec, column: &str) -> bool {
    view.def.column(column).is_some() || view.non_pk_key_column.is_none()
}

fn invalid(m: impl Into<String>) -> CqlError {
    CqlError::invalid(m)
}

fn references_duration(t: &ColType) -> bool {
    match t {
        ColType::Duration => true,
        ColType::List(e) | ColType::Set(e) | ColType::Frozen(e) => references_duration(e),
        ColType::Map(k, v) => references_duration(k) || references_duration(v),
        ColType::Tuple(ts) => ts.iter().any(references_duration),
        _ => false,
    }
}

/// Validates `CREATE MATERIALIZED VIEW` against its base table and builds the view.
///
/// `view_ks` is the view's keyspace (after `USE` resolution); the base must live there too.
/// Existence of a table/view with the view's name is the caller's check (ScyllaDB reports it as
/// `AlreadyExists`, after this validation).
pub fn validate_create_view(
    stmt: &CreateView,
    view_ks: &str,
    base: &TableDef,
    base_is_view: bool,
) -> Result<ViewSpec> {
    let name = &stmt.name.name;
    let base_ks = stmt.base.keyspace.as_deref().unwrap_or(view_ks);
    if base_ks != view_ks {
        return Err(invalid(format!(
            "Cannot create a materialized view on a table in a separate keyspace ('{base_ks}' != '{view_ks}')"
        )));
    }
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(invalid(format!(
            "\"{name}\" is not a valid materialized view name (must contain alphanumeric character only: [0-9A-Za-z] or the underscore)"
        )));
    }
    if name.len() > crate::index::create::NAME_LENGTH {
        return Err(invalid(format!(
            "materialized view names shouldn't be more than 48 characters long (got \"{name}\")"
        )));
    }
    if base.columns.iter().any(|c| c.ty == ColType::Counter) {
        return Err(invalid(
            "Materialized views are not supported on counter tables",
        ));
    }
    if base_is_view {
        return Err(invalid(
            "Materialized views cannot be created against other materialized views",
        ));
    }
    if base
        .properties
        .get("gc_grace_seconds")
        .is_some_and(|v| v.trim() == "0")
    {
        return Err(invalid(format!(
            "Cannot create materialized view '{name}' for base table '{}' with gc_grace_seconds of 0, since this value is used to TTL undelivered updates. Setting gc_grace_seconds too low might cause undelivered updates to expire before being replayed.",
            base.name
        )));
    }

    // Selected columns.
    let mut included: BTreeSet<String> = BTreeSet::new();
    if let Some(cols) = &stmt.columns {
        for c in cols {
            if base.column(c).is_none() {
                return Err(invalid(format!(
                    "Unknown column name detected in CREATE MATERIALIZED VIEW statement: {c}"
                )));
            }
            included.insert(c.clone());
        }
    }

    // The WHERE clause (prepared as a SELECT ... ALLOW FILTERING for a view).
    let mut not_null: BTreeSet<String> = BTreeSet::new();
    let mut restricted_non_pk: Vec<String> = Vec::new();
    for rel in &stmt.where_clause {
        match rel {
            Relation::IsNotNull(c) => {
                if base.column(c).is_none() {
                    return Err(invalid(format!("Unrecognized name {c}")));
                }
                not_null.insert(c.clone());
            }
            Relation::Compare {
                lhs: crate::cql::ast::RelationLhs::Column(c),
                ..
            }
            | Relation::In {
                lhs: crate::cql::ast::RelationLhs::Column(c),
                ..
            } => {
                let Some((_, cd)) = base.column(c) else {
                    return Err(invalid(format!("Unrecognized name {c}")));
                };
                if matches!(cd.kind, ColumnKind::Regular | ColumnKind::Static) {
                    restricted_non_pk.push(c.clone());
                } else {
                    return Err(CqlError::unsupported(
                        "Restrictions other than IS NOT NULL in CREATE MATERIALIZED VIEW",
                    ));
                }
            }
            _ => {
                return Err(CqlError::unsupported(
                    "Restrictions other than IS NOT NULL in CREATE MATERIALIZED VIEW",
                ));
            }
        }
    }

    // Primary key.
    let base_pk: BTreeSet<&str> = base
        .columns
        .iter()
        .filter(|c| matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Clustering))
        .map(|c| c.name.as_str())
        .collect();
    let mut target_pk: Vec<String> = Vec::new();
    let mut has_non_pk = false;
    let mut non_pk_key: Option<String> = None;
    for key in stmt
        .primary_key
        .partition
        .iter()
        .chain(stmt.primary_key.clustering.iter())
    {
        let Some((_, cd)) = base.column(key) else {
            return Err(invalid(format!(
                "Unknown column name detected in CREATE MATERIALIZED VIEW statement: {key}"
            )));
        };
        if target_pk.contains(key) {
            return Err(invalid(format!(
                "Duplicate entry found in PRIMARY KEY: {key}"
            )));
        }
        target_pk.push(key.clone());
        if cd.ty.is_multicell() {
            return Err(invalid(format!(
                "Cannot use MultiCell column '{key}' in PRIMARY KEY of materialized view"
            )));
        }
        if references_duration(&cd.ty) {
            return Err(invalid(format!(
                "Cannot use Duration column '{key}' in PRIMARY KEY of materialized view"
            )));
        }
        if cd.kind == ColumnKind::Static {
            return Err(invalid(format!(
                "Cannot use Static column '{key}' in PRIMARY KEY of materialized view"
            )));
        }
        if !base_pk.contains(key.as_str()) {
            if has_non_pk {
                return Err(invalid(format!(
                    "Cannot include more than one non-primary key column '{key}' in materialized view primary key"
                )));
            }
            has_non_pk = true;
            non_pk_key = Some(key.clone());
        }
        let non_composite_pk = cd.kind == ColumnKind::PartitionKey && base.partition_key.len() == 1;
        let restricted = not_null.contains(key) || restricted_non_pk.contains(key);
        if !non_composite_pk && !restricted {
            return Err(invalid(format!(
                "Primary key column '{key}' is required to be filtered by 'IS NOT NULL'"
            )));
        }
    }

    let mut missing: Vec<String> = Vec::new();
    let mut non_pk_cols: Vec<&ColumnDef> = Vec::new();
    for c in &base.columns {
        let inc = included.is_empty() || included.contains(&c.name);
        if inc && c.kind == ColumnKind::Static {
            return Err(invalid(format!(
                "Unable to include static column '{}' which would be included by Materialized View SELECT * statement",
                c.name
            )));
        }
        let in_pk = target_pk.contains(&c.name);
        if inc && !in_pk {
            non_pk_cols.push(c);
        }
        if matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) && !in_pk {
            missing.push(c.name.clone());
        }
    }
    if !missing.is_empty() {
        return Err(invalid(format!(
            "Cannot create Materialized View {name} without primary key columns from base {} ({})",
            base.name,
            missing.join(", ")
        )));
    }
    if stmt.primary_key.partition.is_empty() {
        return Err(invalid(
            "Must select at least a column for a Materialized View",
        ));
    }
    for (c, _) in &stmt.clustering_order {
        if !stmt.primary_key.clustering.contains(c) {
            return Err(invalid(format!(
                "CLUSTERING ORDER BY lists {c} which is not a clustering column in the view"
            )));
        }
    }
    let filter_is_new_key =
        restricted_non_pk.len() == 1 && non_pk_key.as_ref() == restricted_non_pk.first();
    if !restricted_non_pk.is_empty() && !filter_is_new_key {
        return Err(invalid(format!(
            "Non-primary key columns cannot be restricted in the SELECT statement used for materialized view {name} creation (got restrictions on: {})",
            restricted_non_pk.join(", ")
        )));
    }
    let invalid_not_null: Vec<&String> =
        not_null.iter().filter(|c| !target_pk.contains(c)).collect();
    if !invalid_not_null.is_empty() {
        return Err(invalid(format!(
            "The IS NOT NULL restriction is allowed only columns which are part of the view's primary key, found columns: {}. The flag strict_is_not_null_in_views can be used to turn this error into a warning, or to silence it. (true - error, warn - warning, false - silent)",
            invalid_not_null
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }

    // Properties.
    let mut synchronous_updates = false;
    let mut properties = BTreeMap::new();
    for p in &stmt.properties {
        let rendered = match &p.value {
            PropertyValue::Constant(Literal::Bool(b)) => b.to_string(),
            PropertyValue::Constant(Literal::String(s)) => s.clone(),
            PropertyValue::Constant(Literal::Integer(s))
            | PropertyValue::Constant(Literal::Float(s)) => s.clone(),
            PropertyValue::Constant(Literal::Identifier(s)) => s.clone(),
            _ => String::new(),
        };
        if p.name == "synchronous_updates" {
            synchronous_updates = rendered.eq_ignore_ascii_case("true");
        }
        if p.name == "default_time_to_live" && rendered.trim().parse::<i64>().is_ok_and(|n| n > 0) {
            return Err(invalid(
                "Cannot set or alter default_time_to_live for a materialized view. Data in a materialized view always expire at the same time than the corresponding data in the parent table.",
            ));
        }
        properties.insert(p.name.clone(), rendered);
    }

    // The view's table definition: key columns in view order, then the selected columns.
    let mut columns: Vec<ColumnDef> = Vec::new();
    for (pos, k) in stmt.primary_key.partition.iter().enumerate() {
        let (_, cd) = base.column(k).unwrap();
        columns.push(ColumnDef {
            kind: ColumnKind::PartitionKey,
            position: pos as i32,
            desc: false,
            ..cd.clone()
        });
    }
    for (pos, k) in stmt.primary_key.clustering.iter().enumerate() {
        let (_, cd) = base.column(k).unwrap();
        let desc = stmt
            .clustering_order
            .iter()
            .any(|(c, o)| c == k && *o == Order::Desc);
        columns.push(ColumnDef {
            kind: ColumnKind::Clustering,
            position: pos as i32,
            desc,
            ..cd.clone()
        });
    }
    for c in non_pk_cols {
        columns.push(ColumnDef {
            kind: ColumnKind::Regular,
            position: -1,
            desc: false,
            ..c.clone()
        });
    }
    let mut def = TableDef {
        keyspace: view_ks.to_string(),
        name: name.clone(),
        id: uuid::Uuid::new_v4(),
        columns,
        partition_key: vec![],
        clustering: vec![],
        next_column_id: base.next_column_id,
        properties,
        indexes: vec![],
        dropped: BTreeMap::new(),
    };
    def.reindex();

    let where_clause = stmt
        .where_clause
        .iter()
        .filter_map(|r| match r {
            Relation::IsNotNull(c) => Some(format!("{} IS NOT NULL", crate::index::maybe_quote(c))),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    Ok(ViewSpec {
        def,
        base: base.name.clone(),
        base_id: base.id,
        include_all_columns: stmt.columns.is_none(),
        where_clause,
        synchronous_updates,
        non_pk_key_column: non_pk_key,
    })
}

/// A view row computed from a base row.
#[derive(Debug, Clone)]
pub struct ViewRow {
    pub pk_vals: Vec<Value>,
    pub pk: PKey,
    pub ck: CKey,
    pub row: Row,
}

fn desc_mask(def: &TableDef) -> u64 {
    def.ck_cols()
        .enumerate()
        .fold(0u64, |m, (i, c)| if c.desc { m | (1 << i) } else { m })
}

/// The view row of base row `ck` in partition `part` as stored now, or `None` when the base row
/// is dead or a view key column is null.
pub fn view_row(
    view: &ViewSpec,
    base: &TableDef,
    part: &Partition,
    ck: &CKey,
    now: i64,
) -> Option<ViewRow> {
    let row = part.rows.get(ck)?;
    if !row.is_live(now) {
        return None;
    }
    let base_value = |name: &str| -> Option<Value> {
        let (i, _) = base.column(name)?;
        crate::index::store::live_value(base, i, part, Some(ck), Some(row), now)
    };
    let pk_vals: Vec<Value> = view
        .def
        .pk_cols()
        .map(|c| base_value(&c.name))
        .collect::<Option<_>>()?;
    let ck_vals: Vec<Value> = view
        .def
        .ck_cols()
        .map(|c| base_value(&c.name))
        .collect::<Option<_>>()?;
    let mut out = Row::default();
    // Liveness: the base column in the view key decides when there is one; otherwise the base row.
    let marker = match &view.non_pk_key_column {
        Some(k) => {
            let (_, cd) = base.column(k)?;
            match row.cells.get(&cd.id)? {
                Cell::Atom(a) if a.is_live(now) => Marker {
                    ts: a.ts,
                    expiry: a.expiry,
                    ttl: a.ttl,
                },
                _ => return None,
            }
        }
        None => match &row.marker {
            Some(m) if m.expiry.is_none_or(|e| e > now) => m.clone(),
            _ => {
                // Live through cells only: the newest write, alive as long as some cell is.
                let mut ts = i64::MIN;
                let mut expiry: Option<i64> = Some(i64::MIN);
                for c in row.cells.values() {
                    let atoms: Vec<&crate::storage::AtomCell> = match c {
                        Cell::Atom(a) => vec![a],
                        Cell::Coll { elems, .. } => elems.values().collect(),
                    };
                    for a in atoms.into_iter().filter(|a| a.is_live(now)) {
                        ts = ts.max(a.ts);
                        expiry = match (expiry, a.expiry) {
                            (None, _) | (_, None) => None,
                            (Some(x), Some(y)) => Some(x.max(y)),
                        };
                    }
                }
                Marker {
                    ts,
                    expiry: expiry.filter(|e| *e != i64::MIN),
                    ttl: 0,
                }
            }
        },
    };
    out.marker = Some(marker);
    for c in view
        .def
        .columns
        .iter()
        .filter(|c| c.kind == ColumnKind::Regular)
    {
        if let Some(cell) = row.cells.get(&c.id) {
            out.cells.insert(c.id, cell.clone());
        }
    }
    Some(ViewRow {
        pk: PKey::of(&pk_vals),
        pk_vals,
        ck: CKey {
            vals: ck_vals,
            desc: desc_mask(&view.def),
        },
        row: out,
    })
}

/// Base (partition, row) → view (partition, row): where each base row currently sits in the view.
pub type Reverse = BTreeMap<(PKey, CKey), (PKey, CKey)>;

fn remove_view_row(data: &mut TableData, reverse: &mut Reverse, key: &(PKey, CKey)) {
    if let Some((vpk, vck)) = reverse.remove(key)
        && let Some(p) = data.partitions.get_mut(&vpk)
    {
        p.rows.remove(&vck);
        if p.rows.is_empty() {
            data.partitions.remove(&vpk);
        }
    }
}

/// Re-derives the view rows of base partition `pk` for the touched rows (`None`: every row of
/// the partition, including rows that no longer exist). `part` is the base partition as stored
/// now (`None` if it is gone).
#[allow(clippy::too_many_arguments)]
pub fn refresh(
    data: &mut TableData,
    reverse: &mut Reverse,
    view: &ViewSpec,
    base: &TableDef,
    pk: &PKey,
    part: Option<&Partition>,
    touched: Option<&[CKey]>,
    now: i64,
) {
    let mut cks: BTreeSet<CKey> = BTreeSet::new();
    match touched {
        Some(list) => cks.extend(list.iter().cloned()),
        None => {
            let lo = (
                pk.clone(),
                CKey {
                    vals: vec![],
                    desc: 0,
                },
            );
            cks.extend(
                reverse
                    .range(lo..)
                    .take_while(|((p, _), _)| p == pk)
                    .map(|((_, c), _)| c.clone()),
            );
            if let Some(p) = part {
                cks.extend(p.rows.keys().cloned());
            }
        }
    }
    for ck in cks {
        let key = (pk.clone(), ck.clone());
        remove_view_row(data, reverse, &key);
        let Some(p) = part else { continue };
        if let Some(vr) = view_row(view, base, p, &ck, now) {
            let vp = data.partition_mut(&vr.pk, &vr.pk_vals);
            vp.rows.insert(vr.ck.clone(), vr.row);
            reverse.insert(key, (vr.pk, vr.ck));
        }
    }
}

/// The view's data plus where each base row currently sits in it.
#[derive(Debug, Clone, Default)]
pub struct ViewData {
    pub data: TableData,
    pub reverse: Reverse,
}

impl ViewData {
    /// See [`refresh`].
    pub fn refresh(
        &mut self,
        view: &ViewSpec,
        base: &TableDef,
        pk: &PKey,
        part: Option<&Partition>,
        touched: Option<&[CKey]>,
        now: i64,
    ) {
        refresh(
            &mut self.data,
            &mut self.reverse,
            view,
            base,
            pk,
            part,
            touched,
            now,
        );
    }

    /// Builds the view over existing base data.
    pub fn build<'a>(
        view: &ViewSpec,
        base: &TableDef,
        parts: impl Iterator<Item = (&'a PKey, &'a Partition)>,
        now: i64,
    ) -> ViewData {
        let mut v = ViewData::default();
        for (pk, p) in parts {
            v.refresh(view, base, pk, Some(p), None, now);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cql::ast::Statement;
    use crate::index::tests::table;
    use crate::schema::ColumnKind::*;
    use crate::storage::AtomCell;

    fn base() -> TableDef {
        table(&[
            ("pk", ColType::Int, PartitionKey, 0),
            ("id", ColType::Int, Clustering, 0),
            ("packed", ColType::Int, Regular, -1),
            ("other", ColType::Text, Regular, -1),
            ("s", ColType::Set(Box::new(ColType::Int)), Regular, -1),
            ("d", ColType::Duration, Regular, -1),
        ])
    }

    fn parse(cql: &str) -> CreateView {
        match crate::cql::parse(cql).unwrap().statement {
            Statement::CreateView(c) => c,
            o => panic!("{o:?}"),
        }
    }

    fn create(cql: &str) -> Result<ViewSpec> {
        validate_create_view(&parse(cql), "ks", &base(), false)
    }

    fn err(cql: &str) -> String {
        create(cql).unwrap_err().message
    }

    const OK: &str = "CREATE MATERIALIZED VIEW mv AS SELECT * FROM t WHERE pk IS NOT NULL AND packed IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), packed, id)";

    #[test]
    fn accepted() {
        let v = create(OK).unwrap();
        let names: Vec<&str> = v.def.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["pk", "packed", "id", "other", "s", "d"]);
        assert_eq!(v.def.partition_key.len(), 1);
        assert_eq!(v.def.clustering.len(), 2);
        assert_eq!(
            v.where_clause,
            "pk IS NOT NULL AND packed IS NOT NULL AND id IS NOT NULL"
        );
        assert!(v.include_all_columns);
        assert_eq!(v.non_pk_key_column.as_deref(), Some("packed"));
        // Single-column base partition key needs no IS NOT NULL; WITH options accepted.
        let v = create(
            "CREATE MATERIALIZED VIEW mv AS SELECT pk, id, other FROM t WHERE id IS NOT NULL PRIMARY KEY (id, pk) WITH synchronous_updates = true AND CLUSTERING ORDER BY (pk DESC)",
        )
        .unwrap();
        assert!(v.synchronous_updates);
        assert!(!v.include_all_columns);
        assert_eq!(v.def.columns.len(), 3);
        assert!(v.def.columns[1].desc);
    }

    #[test]
    fn rejections() {
        let cases = [
            (
                "CREATE MATERIALIZED VIEW mv AS SELECT * FROM t WHERE pk IS NOT NULL AND packed IS NOT NULL AND other IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), packed, other, id)",
                "Cannot include more than one non-primary key column 'other' in materialized view primary key",
            ),
            (
                "CREATE MATERIALIZED VIEW mv AS SELECT * FROM t WHERE pk IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), packed, id)",
                "Primary key column 'packed' is required to be filtered by 'IS NOT NULL'",
            ),
            (
                "CREATE MATERIALIZED VIEW mv AS SELECT * FROM t WHERE pk IS NOT NULL AND packed IS NOT NULL PRIMARY KEY ((pk), packed, id)",
                "Primary key column 'id' is required to be filtered by 'IS NOT NULL'",
            ),
            (
                "CREATE MATERIALIZED VIEW mv AS SELECT * FROM t WHERE pk IS NOT NULL AND packed IS NOT NULL PRIMARY KEY ((pk), packed)",
                "Cannot create Materialized View mv without primary key columns from base t (id)",
            ),
            (
                "CREATE MATERIALIZED VIEW mv AS SELECT * FROM t WHERE pk IS NOT NULL AND s IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), s, id)",
                "Cannot use MultiCell column 's' in PRIMARY KEY of materialized view",
            ),
            (
                "CREATE MATERIALIZED VIEW mv AS SELECT * FROM t WHERE pk IS NOT NULL AND d IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), d, id)",
                "Cannot use Duration column 'd' in PRIMARY KEY of materialized view",
            ),
            (
                "CREATE MATERIALIZED VIEW mv AS SELECT * FROM t WHERE pk IS NOT NULL AND other IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), id)",
                "The IS NOT NULL restriction is allowed only columns which are part of the view's primary key, found columns: other. The flag strict_is_not_null_in_views can be used to turn this error into a warning, or to silence it. (true - error, warn - warning, false - silent)",
            ),
            (
                "CREATE MATERIALIZED VIEW mv AS SELECT * FROM t WHERE pk IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), id, id)",
                "Duplicate entry found in PRIMARY KEY: id",
            ),
            (
                "CREATE MATERIALIZED VIEW mv AS SELECT nope FROM t WHERE pk IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), id)",
                "Unknown column name detected in CREATE MATERIALIZED VIEW statement: nope",
            ),
            (
                "CREATE MATERIALIZED VIEW mv AS SELECT * FROM t WHERE pk IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), id) WITH CLUSTERING ORDER BY (pk DESC)",
                "CLUSTERING ORDER BY lists pk which is not a clustering column in the view",
            ),
            (
                "CREATE MATERIALIZED VIEW mv AS SELECT * FROM other_ks.t WHERE pk IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), id)",
                "Cannot create a materialized view on a table in a separate keyspace ('other_ks' != 'ks')",
            ),
        ];
        for (cql, msg) in cases {
            assert_eq!(err(cql), msg, "{cql}");
        }
        let e = validate_create_view(&parse(OK), "ks", &base(), true).unwrap_err();
        assert_eq!(
            e.message,
            "Materialized views cannot be created against other materialized views"
        );
        let mut stat = table(&[
            ("pk", ColType::Int, PartitionKey, 0),
            ("id", ColType::Int, Clustering, 0),
            ("st", ColType::Int, Static, -1),
        ]);
        stat.name = "t".into();
        let e = validate_create_view(
            &parse("CREATE MATERIALIZED VIEW mv AS SELECT * FROM t WHERE pk IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), id)"),
            "ks",
            &stat,
            false,
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "Unable to include static column 'st' which would be included by Materialized View SELECT * statement"
        );
    }

    fn atom(v: Value, ts: i64) -> AtomCell {
        AtomCell {
            ts,
            value: Some(v),
            expiry: None,
            ttl: 0,
        }
    }

    #[test]
    fn maintenance() {
        let b = base();
        let v = create(OK).unwrap();
        let pk = PKey::of(&[Value::Int(1)]);
        let ck = |i: i32| CKey {
            vals: vec![Value::Int(i)],
            desc: 0,
        };
        let mut part = Partition {
            key: vec![Value::Int(1)],
            ..Default::default()
        };
        // Row without packed: not in the view.
        part.rows.entry(ck(1)).or_default().write_marker(
            Marker {
                ts: 1,
                expiry: None,
                ttl: 0,
            },
            None,
        );
        let mut vd = ViewData::default();
        vd.refresh(&v, &b, &pk, Some(&part), Some(&[ck(1)]), 0);
        assert!(vd.data.partitions.is_empty());
        // packed set: one view row keyed (pk, packed, id).
        part.rows
            .get_mut(&ck(1))
            .unwrap()
            .write_atom(2, atom(Value::Int(50), 2), None);
        part.rows
            .get_mut(&ck(1))
            .unwrap()
            .write_atom(3, atom(Value::Text("x".into()), 2), None);
        vd.refresh(&v, &b, &pk, Some(&part), Some(&[ck(1)]), 0);
        let vp = &vd.data.partitions[&pk];
        assert_eq!(vp.rows.len(), 1);
        let (k, r) = vp.rows.iter().next().unwrap();
        assert_eq!(k.vals, vec![Value::Int(50), Value::Int(1)]);
        assert!(r.cells.contains_key(&3) && !r.cells.contains_key(&2));
        // packed overwritten: old view row gone, new one present.
        part.rows
            .get_mut(&ck(1))
            .unwrap()
            .write_atom(2, atom(Value::Int(70), 3), None);
        vd.refresh(&v, &b, &pk, Some(&part), Some(&[ck(1)]), 0);
        let keys: Vec<Vec<Value>> = vd.data.partitions[&pk]
            .rows
            .keys()
            .map(|k| k.vals.clone())
            .collect();
        assert_eq!(keys, vec![vec![Value::Int(70), Value::Int(1)]]);
        // packed deleted: row leaves the view even though the base row lives on.
        part.rows.get_mut(&ck(1)).unwrap().write_atom(
            2,
            AtomCell {
                ts: 4,
                value: None,
                expiry: None,
                ttl: 0,
            },
            None,
        );
        vd.refresh(&v, &b, &pk, Some(&part), Some(&[ck(1)]), 0);
        assert!(vd.data.partitions.is_empty());
        // Back, then the partition disappears.
        part.rows
            .get_mut(&ck(1))
            .unwrap()
            .write_atom(2, atom(Value::Int(80), 5), None);
        let vd2 = ViewData::build(&v, &b, std::iter::once((&pk, &part)), 0);
        assert_eq!(vd2.reverse.len(), 1);
        vd.refresh(&v, &b, &pk, Some(&part), None, 0);
        assert_eq!(vd.reverse.len(), 1);
        vd.refresh(&v, &b, &pk, None, None, 0);
        assert!(vd.data.partitions.is_empty() && vd.reverse.is_empty());
    }

    #[test]
    fn messages() {
        assert_eq!(
            write_to_view_error().message,
            "Cannot directly modify a materialized view"
        );
        assert_eq!(
            drop_base_with_views_error("ks", &["a".into(), "b".into()]).message,
            "Cannot drop table when materialized views still depend on it (ks.{a, b})"
        );
        assert_eq!(
            drop_missing_view_error("mv", "ks").message,
            "Cannot drop non existing materialized view 'mv' in keyspace 'ks'."
        );
    }
}
