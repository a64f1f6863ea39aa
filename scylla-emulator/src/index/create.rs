//! `CREATE INDEX` validation, following ScyllaDB's `create_index_statement.cc`
//! (`validate_while_executing`, `validate_for_local_index`, `build_index_schema`) check by check
//! and in the same order, with the same messages.

use std::collections::BTreeSet;

use super::{IndexSpec, TargetType, backing_table_name};
use crate::cql::ast::{CreateIndex, IndexColumn, IndexKind, IndexTarget};
use crate::error::{CqlError, Result};
use crate::schema::{ColumnKind, TableDef};
use crate::types::ColType;

/// `schema::NAME_LENGTH`.
pub const NAME_LENGTH: usize = 48;

/// What the keyspace around the indexed table looks like.
pub struct KeyspaceView<'a> {
    /// Every index name in the keyspace (all tables).
    pub index_names: &'a BTreeSet<String>,
    /// Is there a table or view of this name in the keyspace?
    pub has_table: &'a dyn Fn(&str) -> bool,
}

/// The table being indexed.
pub struct IndexedTable<'a> {
    pub def: &'a TableDef,
    /// It is a materialized view.
    pub is_view: bool,
}

fn invalid(m: impl Into<String>) -> CqlError {
    CqlError::invalid(m)
}

/// ScyllaDB's `target_type_name()` used in the frozen/non-collection messages.
fn target_type_name(t: TargetType) -> &'static str {
    match t {
        TargetType::Keys => "keys()",
        TargetType::Entries => "entries()",
        TargetType::CollectionValues => "values()",
        TargetType::RegularValues => "value",
        TargetType::Full => "full()",
    }
}

fn raw_target(c: &IndexColumn) -> TargetType {
    match c.kind {
        IndexKind::Bare => TargetType::RegularValues,
        IndexKind::Values => TargetType::CollectionValues,
        IndexKind::Keys => TargetType::Keys,
        IndexKind::Entries => TargetType::Entries,
        IndexKind::Full => TargetType::Full,
    }
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

/// ScyllaDB's default index name: `<table>_<column>_idx` with non-word characters dropped from
/// the column name, then `_1`, `_2`, ... until neither the name nor `<name>_index` is taken.
pub fn default_index_name(table: &str, column: &str, ks: &KeyspaceView) -> String {
    let root: String = column
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let base = format!("{table}_{root}_idx");
    let mut name = base.clone();
    let mut i = 0;
    while ks.index_names.contains(&name) || (ks.has_table)(&backing_table_name(&name)) {
        i += 1;
        name = format!("{base}_{i}");
    }
    name
}

/// Validates `CREATE INDEX` against the table. `Ok(None)` means `IF NOT EXISTS` found an
/// equivalent index (nothing to do); `Ok(Some(spec))` is the index to add.
///
/// The schema change ScyllaDB announces for a created index is `UPDATED TABLE ks.table`.
pub fn validate_create_index(
    stmt: &CreateIndex,
    table: IndexedTable<'_>,
    ks: &KeyspaceView<'_>,
) -> Result<Option<IndexSpec>> {
    let def = table.def;
    let index_name = stmt.name.clone().unwrap_or_default();
    if def.columns.iter().any(|c| c.ty == ColType::Counter) {
        return Err(invalid(
            "Secondary indexes are not supported on counter tables",
        ));
    }
    if table.is_view {
        return Err(invalid(
            "Secondary indexes are not supported on materialized views",
        ));
    }
    if index_name.len() > NAME_LENGTH {
        return Err(invalid(format!(
            "index names shouldn't be more than {NAME_LENGTH} characters long (got \"{index_name}\")"
        )));
    }
    if let Some(class) = &stmt.custom_class {
        return Err(invalid(format!(
            "Non-supported custom class '{class}' provided"
        )));
    }

    // validate_for_local_index
    let (column, local) = match &stmt.target {
        IndexTarget::Global(c) => (c, false),
        IndexTarget::Local { partition, column } => {
            let pk: Vec<&str> = def.pk_cols().map(|c| c.name.as_str()).collect();
            let mut next = 0usize;
            for ident in partition {
                let is_pk = def
                    .column(ident)
                    .is_some_and(|(_, c)| c.kind == ColumnKind::PartitionKey);
                if !is_pk {
                    return Err(invalid(format!(
                        "Local index definition must contain full partition key only. Redundant column: {ident}"
                    )));
                }
                if next == pk.len() {
                    return Err(invalid(format!(
                        "Duplicate column definition in local index: {ident}"
                    )));
                }
                if pk[next] != ident {
                    break;
                }
                next += 1;
            }
            if next != pk.len() {
                return Err(invalid(format!(
                    "Local index definition must contain full partition key only. Missing column: {}",
                    pk[next]
                )));
            }
            if def
                .column(&column.column)
                .is_some_and(|(_, c)| c.kind == ColumnKind::Static)
            {
                return Err(invalid(
                    "Local indexes containing static columns are not supported.",
                ));
            }
            (column, true)
        }
    };

    let Some((_, cd)) = def.column(&column.column) else {
        return Err(invalid(format!(
            "No column definition found for column {}",
            column.column
        )));
    };
    let mut target = raw_target(column);
    if references_duration(&cd.ty) {
        if cd.ty.is_collection() {
            return Err(invalid(
                "Secondary indexes are not supported on collections containing durations",
            ));
        }
        if matches!(cd.ty, ColType::Tuple(_)) {
            return Err(invalid(
                "Secondary indexes are not supported on tuples containing durations",
            ));
        }
        return Err(invalid(
            "Secondary indexes are not supported on duration columns",
        ));
    }
    if cd.kind == ColumnKind::PartitionKey && def.partition_key.len() == 1 {
        return Err(invalid(format!(
            "Cannot create secondary index on partition key column {}",
            cd.name
        )));
    }
    if cd.ty.is_multicell() {
        if local {
            return Err(invalid(format!(
                "Local secondary index on collection column {} is not implemented yet.",
                cd.name
            )));
        }
        if target == TargetType::Full {
            return Err(invalid(
                "full() indexes can only be created on frozen collections",
            ));
        }
        if matches!(target, TargetType::Keys | TargetType::Entries)
            && !matches!(cd.ty, ColType::Map(..))
        {
            return Err(invalid(format!(
                "Cannot create secondary index on {} of column {} with non-map type",
                target.as_str(),
                cd.name
            )));
        }
        // rewrite_target_for_collection: values of a set are its keys.
        if matches!(
            target,
            TargetType::RegularValues | TargetType::CollectionValues
        ) {
            target = match cd.ty {
                ColType::Set(_) => TargetType::Keys,
                _ => TargetType::CollectionValues,
            };
        }
    } else if cd.ty.is_collection() {
        if target != TargetType::Full {
            return Err(invalid(format!(
                "Cannot create index on {} of frozen collection column {}",
                target_type_name(target),
                cd.name
            )));
        }
    } else {
        if target == TargetType::Full {
            return Err(invalid(
                "full() indexes can only be created on frozen collections",
            ));
        }
        if target != TargetType::RegularValues {
            let n = target_type_name(target);
            return Err(invalid(format!(
                "Cannot create index on {n} of column {}; only non-frozen collections support {n} indexes",
                cd.name
            )));
        }
    }
    if local && cd.kind == ColumnKind::PartitionKey {
        return Err(invalid(
            "Local indexing based on partition key column is not allowed, since whole base partition key must be used in queries anyway. Use global indexing instead.",
        ));
    }

    if !index_name.is_empty() && ks.index_names.contains(&index_name) && !stmt.if_not_exists {
        return Err(invalid("Index already exists"));
    }
    let accepted = if index_name.is_empty() {
        default_index_name(&def.name, &cd.name, ks)
    } else {
        index_name
    };
    let spec = IndexSpec {
        name: accepted.clone(),
        column: cd.name.clone(),
        target,
        local,
    };
    let new_target = spec.target_option(def);
    for existing in &def.indexes {
        if existing.kind == "COMPOSITES" && existing.options.get("target") == Some(&new_target) {
            if stmt.if_not_exists {
                return Ok(None);
            }
            return Err(invalid(format!(
                "Index {accepted} is a duplicate of existing index {}",
                existing.name
            )));
        }
    }
    let backing = backing_table_name(&accepted);
    if (ks.has_table)(&backing) {
        return Err(invalid(format!(
            "Index {accepted} cannot be created, because table {backing} already exists"
        )));
    }
    Ok(Some(spec))
}

/// `DROP INDEX` of an unknown index without `IF EXISTS`.
pub fn index_not_found(name: &str, keyspace: &str) -> CqlError {
    invalid(format!(
        "Index '{name}' could not be found in any of the tables of keyspace '{keyspace}'"
    ))
}

/// `ALTER TABLE ... DROP v` of an indexed column: ScyllaDB refuses because the view behind the
/// index needs the column.
pub fn drop_indexed_column_error(ks: &str, table: &str, column: &str, index: &str) -> CqlError {
    invalid(format!(
        "Cannot drop column {column} from base table {ks}.{table}: materialized view {} needs this column",
        backing_table_name(index)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cql::ast::{QualifiedName, Statement};
    use crate::index::tests::table;
    use crate::schema::ColumnKind::*;

    fn tab() -> TableDef {
        table(&[
            ("p", ColType::Int, PartitionKey, 0),
            ("c", ColType::Int, Clustering, 0),
            ("v", ColType::Int, Regular, -1),
            ("s", ColType::Set(Box::new(ColType::Int)), Regular, -1),
            ("l", ColType::List(Box::new(ColType::Int)), Regular, -1),
            (
                "m",
                ColType::Map(Box::new(ColType::Int), Box::new(ColType::Text)),
                Regular,
                -1,
            ),
            (
                "f",
                ColType::Frozen(Box::new(ColType::Set(Box::new(ColType::Int)))),
                Regular,
                -1,
            ),
            ("d", ColType::Duration, Regular, -1),
            ("st", ColType::Int, Static, -1),
        ])
    }

    fn parse(cql: &str) -> CreateIndex {
        match crate::cql::parse(cql).unwrap().statement {
            Statement::CreateIndex(c) => c,
            other => panic!("{other:?}"),
        }
    }

    fn run(
        def: &mut TableDef,
        names: &mut BTreeSet<String>,
        cql: &str,
    ) -> Result<Option<IndexSpec>> {
        let stmt = parse(cql);
        let has_table = |n: &str| n == "taken_index";
        let ks = KeyspaceView {
            index_names: names,
            has_table: &has_table,
        };
        let r = validate_create_index(
            &stmt,
            IndexedTable {
                def,
                is_view: false,
            },
            &ks,
        )?;
        if let Some(spec) = &r {
            let d = spec.to_def(def);
            def.indexes.push(d);
            names.insert(spec.name.clone());
        }
        Ok(r)
    }

    fn err(def: &mut TableDef, cql: &str) -> String {
        let mut names = BTreeSet::new();
        run(def, &mut names, cql).unwrap_err().message
    }

    #[test]
    fn accepted_targets_and_names() {
        let mut d = tab();
        let mut names = BTreeSet::new();
        let s = run(&mut d, &mut names, "CREATE INDEX ON t (v)")
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.name.as_str(), s.target),
            ("t_v_idx", TargetType::RegularValues)
        );
        let s = run(&mut d, &mut names, "CREATE INDEX ON t (VALUES(s))")
            .unwrap()
            .unwrap();
        assert_eq!((s.name.as_str(), s.target), ("t_s_idx", TargetType::Keys));
        assert_eq!(d.indexes[1].options["target"], "keys(s)");
        let s = run(&mut d, &mut names, "CREATE INDEX ON t (l)")
            .unwrap()
            .unwrap();
        assert_eq!(d.indexes[2].options["target"], "values(l)");
        assert_eq!(s.target, TargetType::CollectionValues);
        run(&mut d, &mut names, "CREATE INDEX ON t (KEYS(m))")
            .unwrap()
            .unwrap();
        // Same column again: the default name gets a suffix.
        let s = run(&mut d, &mut names, "CREATE INDEX ON t (ENTRIES(m))")
            .unwrap()
            .unwrap();
        assert_eq!(s.name, "t_m_idx_1");
        assert_eq!(d.indexes[4].options["target"], "entries(m)");
        let s = run(&mut d, &mut names, "CREATE INDEX ON t (VALUES(m))")
            .unwrap()
            .unwrap();
        assert_eq!(s.name, "t_m_idx_2");
        let s = run(&mut d, &mut names, "CREATE INDEX named ON t (FULL(f))")
            .unwrap()
            .unwrap();
        assert_eq!((s.name.as_str(), s.target), ("named", TargetType::Full));
        assert_eq!(d.indexes[6].options["target"], "f");
        let s = run(&mut d, &mut names, "CREATE INDEX ON t ((p), c)")
            .unwrap()
            .unwrap();
        assert!(s.local);
        assert_eq!(
            d.indexes[7].options["target"],
            "{\"pk\":[\"p\"],\"ck\":[\"c\"]}"
        );
        run(&mut d, &mut names, "CREATE INDEX ON t (st)")
            .unwrap()
            .unwrap();
        run(&mut d, &mut names, "CREATE INDEX ON t (c)")
            .unwrap()
            .unwrap();
    }

    #[test]
    fn duplicates_and_if_not_exists() {
        let mut d = tab();
        let mut names = BTreeSet::new();
        run(&mut d, &mut names, "CREATE INDEX ON t (s)")
            .unwrap()
            .unwrap();
        let e = run(&mut d, &mut names, "CREATE INDEX ON t (VALUES(s))").unwrap_err();
        assert_eq!(
            e.message,
            "Index t_s_idx_1 is a duplicate of existing index t_s_idx"
        );
        assert_eq!(e.code, crate::error::code::INVALID);
        assert_eq!(
            run(
                &mut d,
                &mut names,
                "CREATE INDEX IF NOT EXISTS ON t (VALUES(s))"
            )
            .unwrap(),
            None
        );
        let e = run(&mut d, &mut names, "CREATE INDEX other ON t (s)").unwrap_err();
        assert_eq!(
            e.message,
            "Index other is a duplicate of existing index t_s_idx"
        );
        // Same name, different target.
        let e = run(&mut d, &mut names, "CREATE INDEX t_s_idx ON t (v)").unwrap_err();
        assert_eq!(e.message, "Index already exists");
        assert_eq!(
            run(
                &mut d,
                &mut names,
                "CREATE INDEX IF NOT EXISTS t_s_idx ON t (s)"
            )
            .unwrap(),
            None
        );
        let e = run(&mut d, &mut names, "CREATE INDEX taken ON t (v)").unwrap_err();
        assert_eq!(
            e.message,
            "Index taken cannot be created, because table taken_index already exists"
        );
        // Local and global on the same column are different indexes.
        run(&mut d, &mut names, "CREATE INDEX ON t (v)")
            .unwrap()
            .unwrap();
        run(&mut d, &mut names, "CREATE INDEX ON t ((p), v)")
            .unwrap()
            .unwrap();
        let e = run(&mut d, &mut names, "CREATE INDEX ON t ((p), v)").unwrap_err();
        assert_eq!(
            e.message,
            "Index t_v_idx_2 is a duplicate of existing index t_v_idx_1"
        );
    }

    #[test]
    fn rejections() {
        let mut d = tab();
        let cases = [
            (
                "CREATE INDEX ON t (KEYS(s))",
                "Cannot create secondary index on keys of column s with non-map type",
            ),
            (
                "CREATE INDEX ON t (ENTRIES(s))",
                "Cannot create secondary index on entries of column s with non-map type",
            ),
            (
                "CREATE INDEX ON t (ENTRIES(l))",
                "Cannot create secondary index on entries of column l with non-map type",
            ),
            (
                "CREATE INDEX ON t ((p), VALUES(s))",
                "Local secondary index on collection column s is not implemented yet.",
            ),
            (
                "CREATE INDEX ON t ((p), s)",
                "Local secondary index on collection column s is not implemented yet.",
            ),
            (
                "CREATE INDEX ON t (FULL(s))",
                "full() indexes can only be created on frozen collections",
            ),
            (
                "CREATE INDEX ON t (FULL(v))",
                "full() indexes can only be created on frozen collections",
            ),
            (
                "CREATE INDEX ON t (f)",
                "Cannot create index on value of frozen collection column f",
            ),
            (
                "CREATE INDEX ON t (VALUES(f))",
                "Cannot create index on values() of frozen collection column f",
            ),
            (
                "CREATE INDEX ON t (KEYS(f))",
                "Cannot create index on keys() of frozen collection column f",
            ),
            (
                "CREATE INDEX ON t (VALUES(v))",
                "Cannot create index on values() of column v; only non-frozen collections support values() indexes",
            ),
            (
                "CREATE INDEX ON t (KEYS(v))",
                "Cannot create index on keys() of column v; only non-frozen collections support keys() indexes",
            ),
            (
                "CREATE INDEX ON t (p)",
                "Cannot create secondary index on partition key column p",
            ),
            (
                "CREATE INDEX ON t (nope)",
                "No column definition found for column nope",
            ),
            (
                "CREATE INDEX ON t (d)",
                "Secondary indexes are not supported on duration columns",
            ),
            (
                "CREATE INDEX ON t ((p), st)",
                "Local indexes containing static columns are not supported.",
            ),
            (
                "CREATE INDEX ON t ((c), v)",
                "Local index definition must contain full partition key only. Redundant column: c",
            ),
            (
                "CREATE INDEX ON t ((p, p), v)",
                "Duplicate column definition in local index: p",
            ),
            (
                "CREATE INDEX a_very_long_index_name_that_is_longer_than_fourty_eight ON t (v)",
                "index names shouldn't be more than 48 characters long (got \"a_very_long_index_name_that_is_longer_than_fourty_eight\")",
            ),
        ];
        for (cql, msg) in cases {
            assert_eq!(err(&mut d, cql), msg, "{cql}");
        }
        let mut view = tab();
        let stmt = parse("CREATE INDEX ON t (v)");
        let names = BTreeSet::new();
        let no = |_: &str| false;
        let e = validate_create_index(
            &stmt,
            IndexedTable {
                def: &mut view,
                is_view: true,
            },
            &KeyspaceView {
                index_names: &names,
                has_table: &no,
            },
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "Secondary indexes are not supported on materialized views"
        );
        let _ = QualifiedName {
            keyspace: None,
            name: String::new(),
        };
    }

    #[test]
    fn composite_partition_key() {
        let mut d = table(&[
            ("a", ColType::Int, PartitionKey, 0),
            ("b", ColType::Int, PartitionKey, 1),
            ("v", ColType::Int, Regular, -1),
        ]);
        assert_eq!(
            err(&mut d, "CREATE INDEX ON t ((a), v)"),
            "Local index definition must contain full partition key only. Missing column: b"
        );
        assert_eq!(
            err(&mut d, "CREATE INDEX ON t ((b, a), v)"),
            "Local index definition must contain full partition key only. Missing column: a"
        );
        assert_eq!(
            err(&mut d, "CREATE INDEX ON t ((a, b), a)"),
            "Local indexing based on partition key column is not allowed, since whole base partition key must be used in queries anyway. Use global indexing instead."
        );
        let mut names = BTreeSet::new();
        let s = run(&mut d, &mut names, "CREATE INDEX ON t (a)")
            .unwrap()
            .unwrap();
        assert_eq!(s.name, "t_a_idx");
        run(&mut d, &mut names, "CREATE INDEX ON t ((a, b), v)")
            .unwrap()
            .unwrap();
        assert_eq!(
            d.indexes[1].options["target"],
            "{\"pk\":[\"a\",\"b\"],\"ck\":[\"v\"]}"
        );
    }

    #[test]
    fn counter_table() {
        let mut d = table(&[
            ("p", ColType::Int, PartitionKey, 0),
            ("n", ColType::Counter, Regular, -1),
        ]);
        assert_eq!(
            err(&mut d, "CREATE INDEX ON t (n)"),
            "Secondary indexes are not supported on counter tables"
        );
    }

    #[test]
    fn messages() {
        assert_eq!(
            index_not_found("i", "ks").message,
            "Index 'i' could not be found in any of the tables of keyspace 'ks'"
        );
        assert_eq!(
            drop_indexed_column_error("ks", "t", "v", "t_v_idx").message,
            "Cannot drop column v from base table ks.t: materialized view t_v_idx_index needs this column"
        );
    }
}
