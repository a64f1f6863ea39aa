//! Migration: DDL from model metadata, the live schema read from `system_schema`, and the
//! diff between them.
//!
//! Hidden index columns (`#[hash_index]`, `#[packed_index]`) are ordinary regular columns
//! here: a table created before its index features gets them with `ALTER TABLE ... ADD`, then
//! their indexes and views (see [`names`] for the 48-character name rule). Existing rows are not
//! backfilled: they get hidden values when rewritten.
//!
//! Compatible changes (a new column, a new index, a new view) are applied; incompatible ones
//! (a column's type changed, a column moved in or out of the primary key, key order changed)
//! are refused with a [`MigrationError`] listing every difference. Columns present in the
//! database but not in the model are left alone.

pub mod names;

use std::fmt;

use crate::cql;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::{ColumnKind, TableMeta};

/// One difference between a model and the live table that migration cannot apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaDifference {
    /// The column's CQL type differs.
    TypeChanged {
        /// Column.
        column: String,
        /// Type in the database.
        database: String,
        /// Type in the model.
        model: String,
    },
    /// The column's key role (partition key, clustering, regular) or position differs.
    KeyChanged {
        /// Column.
        column: String,
        /// Role in the database (`kind` and `position` from `system_schema.columns`).
        database: String,
        /// Role in the model.
        model: String,
    },
    /// A key column of the model does not exist in the table.
    MissingKeyColumn {
        /// Column.
        column: String,
        /// Role in the model.
        model: String,
    },
    /// A clustering column's order (`ASC` / `DESC`) differs.
    ClusteringOrderChanged {
        /// Column.
        column: String,
        /// Order in the database.
        database: String,
        /// Order in the model.
        model: String,
    },
    /// A key column of the table is not in the model.
    ExtraKeyColumn {
        /// Column.
        column: String,
        /// Role in the database.
        database: String,
    },
}

impl fmt::Display for SchemaDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaDifference::TypeChanged {
                column,
                database,
                model,
            } => {
                write!(
                    f,
                    "column `{column}` has type {database} in the database but {model} in the model"
                )
            }
            SchemaDifference::KeyChanged {
                column,
                database,
                model,
            } => {
                write!(
                    f,
                    "column `{column}` is {database} in the database but {model} in the model"
                )
            }
            SchemaDifference::MissingKeyColumn { column, model } => {
                write!(
                    f,
                    "key column `{column}` ({model} in the model) does not exist in the database"
                )
            }
            SchemaDifference::ClusteringOrderChanged {
                column,
                database,
                model,
            } => write!(
                f,
                "clustering column `{column}` is ordered {database} in the database but {model} in the model"
            ),
            SchemaDifference::ExtraKeyColumn { column, database } => {
                write!(
                    f,
                    "column `{column}` is {database} in the database but is not in the model"
                )
            }
        }
    }
}

/// Migration failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// The live table is incompatible with the model.
    #[error("table `{keyspace}.{table}` is incompatible with the model: {}", list(.differences))]
    Incompatible {
        /// Keyspace.
        keyspace: String,
        /// Table.
        table: String,
        /// Every difference found.
        differences: Vec<SchemaDifference>,
    },
}

fn list(diffs: &[SchemaDifference]) -> String {
    diffs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a migration did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// The keyspace did not exist and was created.
    pub created_keyspace: bool,
    /// The table did not exist and was created.
    pub created_table: bool,
    /// Columns added with `ALTER TABLE ... ADD`.
    pub added_columns: Vec<String>,
    /// Indexes created.
    pub created_indexes: Vec<String>,
    /// Views created.
    pub created_views: Vec<String>,
}

impl MigrationReport {
    /// Nothing was changed.
    pub fn is_noop(&self) -> bool {
        !self.created_keyspace
            && !self.created_table
            && self.added_columns.is_empty()
            && self.created_indexes.is_empty()
            && self.created_views.is_empty()
    }
}

/// A column as `system_schema.columns` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveColumn {
    /// Name.
    pub name: String,
    /// `partition_key`, `clustering`, `regular` or `static`.
    pub kind: String,
    /// Position in its key, -1 for regular columns.
    pub position: i32,
    /// CQL type.
    pub cql_type: String,
    /// `asc` or `desc` for clustering columns, `none` otherwise.
    pub clustering_order: String,
}

fn describe(kind: &str, position: i32) -> String {
    match kind {
        "partition_key" => format!("partition-key column #{position}"),
        "clustering" => format!("clustering column #{position}"),
        other => format!("a {other} column"),
    }
}

/// Compares the model with the live columns: returns the columns to add (name, type) and
/// the incompatible differences.
pub fn diff(
    meta: &TableMeta,
    live: &[LiveColumn],
) -> (Vec<(&'static str, &'static str)>, Vec<SchemaDifference>) {
    let mut add = Vec::new();
    let mut diffs = Vec::new();
    let wanted = meta
        .columns
        .iter()
        .map(|c| (c.name, c.cql_type, c.kind))
        .chain(
            meta.hidden_columns
                .iter()
                .map(|h| (h.name, h.cql_type, ColumnKind::Regular)),
        );
    for (name, cql_type, kind) in wanted {
        let model_role = describe(kind.schema_kind(), kind.schema_position());
        match live.iter().find(|l| l.name == name) {
            None if kind.is_key() => diffs.push(SchemaDifference::MissingKeyColumn {
                column: name.to_owned(),
                model: model_role,
            }),
            None => add.push((name, cql_type)),
            Some(l) => {
                let live_kind = if l.kind == "static" {
                    "regular"
                } else {
                    l.kind.as_str()
                };
                let same_role = live_kind == kind.schema_kind()
                    && (kind == ColumnKind::Regular || l.position == kind.schema_position());
                if !same_role || l.kind == "static" {
                    diffs.push(SchemaDifference::KeyChanged {
                        column: name.to_owned(),
                        database: describe(&l.kind, l.position),
                        model: model_role,
                    });
                }
                if let ColumnKind::Clustering { desc, .. } = kind
                    && same_role
                {
                    let model = if desc { "desc" } else { "asc" };
                    let database = l.clustering_order.to_ascii_lowercase();
                    if database != model {
                        diffs.push(SchemaDifference::ClusteringOrderChanged {
                            column: name.to_owned(),
                            database: database.to_ascii_uppercase(),
                            model: model.to_ascii_uppercase(),
                        });
                    }
                }
                if cql::normalize_type(&l.cql_type) != cql::normalize_type(cql_type) {
                    diffs.push(SchemaDifference::TypeChanged {
                        column: name.to_owned(),
                        database: l.cql_type.clone(),
                        model: cql_type.to_owned(),
                    });
                }
            }
        }
    }
    for l in live {
        let known =
            meta.column(&l.name).is_some() || meta.hidden_columns.iter().any(|h| h.name == l.name);
        if !known && (l.kind == "partition_key" || l.kind == "clustering") {
            diffs.push(SchemaDifference::ExtraKeyColumn {
                column: l.name.clone(),
                database: describe(&l.kind, l.position),
            });
        }
    }
    (add, diffs)
}

async fn live_columns(db: &Db, table: &str) -> Result<Vec<LiveColumn>> {
    let cql = "SELECT column_name, kind, position, type, clustering_order FROM system_schema.columns \
               WHERE keyspace_name = ? AND table_name = ?";
    let result = db.execute_unpaged(cql, (db.keyspace(), table)).await?;
    let rows = result.into_rows_result().map_err(|e| Error::rows(cql, e))?;
    rows.rows::<(String, String, i32, String, String)>()
        .map_err(|e| Error::rows(cql, e))?
        .map(|r| {
            r.map(
                |(name, kind, position, cql_type, clustering_order)| LiveColumn {
                    name,
                    kind,
                    position,
                    cql_type,
                    clustering_order,
                },
            )
            .map_err(|e| Error::rows(cql, e))
        })
        .collect()
}

async fn live_names(db: &Db, cql: &str, key: &str) -> Result<Vec<String>> {
    let result = db.execute_unpaged(cql, (db.keyspace(), key)).await?;
    let rows = result.into_rows_result().map_err(|e| Error::rows(cql, e))?;
    rows.rows::<(String,)>()
        .map_err(|e| Error::rows(cql, e))?
        .map(|r| r.map(|(n,)| n).map_err(|e| Error::rows(cql, e)))
        .collect()
}

/// Runs the migration of one table (see [`Db::migrate`]).
pub async fn migrate(db: &Db, meta: &'static TableMeta) -> Result<MigrationReport> {
    let ks = db.keyspace().to_owned();
    let mut report = MigrationReport::default();
    // Design 001 §8: the detected index features and their hidden columns.
    for (i, def) in meta.hash_indexes.iter().enumerate() {
        let columns: Vec<&str> = meta
            .hidden_columns
            .iter()
            .filter(|h| matches!(h.kind, crate::model::HiddenKind::BucketHash { index, .. } if index == i))
            .map(|h| h.name)
            .collect();
        tracing::debug!(
            table = meta.table,
            index = def.name,
            bucketed = def.bucketed_column(),
            sizes = ?def.sizes,
            week_code = def.week_code,
            ?columns,
            "composite hash index"
        );
    }
    for (i, def) in meta.packed_indexes.iter().enumerate() {
        let column = meta
            .hidden_columns
            .iter()
            .find(|h| h.kind == crate::model::HiddenKind::Packed { index: i })
            .map(|h| h.name);
        tracing::debug!(
            table = meta.table,
            index = def.name,
            ?column,
            output = %def.layout.output(),
            slot_widths = ?def.layout.slot_widths(),
            backing = %def.backing,
            "packed index"
        );
    }
    let cql = "SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?";
    let result = db.execute_unpaged(cql, (db.keyspace(),)).await?;
    let exists = result
        .into_rows_result()
        .map_err(|e| Error::rows(cql, e))?
        .rows_num()
        > 0;
    if !exists {
        db.create_keyspace().await?;
        report.created_keyspace = true;
    }
    let live = live_columns(db, meta.table).await?;
    if live.is_empty() {
        db.execute_unpaged(&cql::create_table(Some(&ks), meta), ())
            .await?;
        report.created_table = true;
    } else {
        let (add, differences) = diff(meta, &live);
        if !differences.is_empty() {
            return Err(MigrationError::Incompatible {
                keyspace: ks,
                table: meta.table.to_owned(),
                differences,
            }
            .into());
        }
        for (name, cql_type) in add {
            db.execute_unpaged(&cql::add_column(Some(&ks), meta, name, cql_type), ())
                .await?;
            report.added_columns.push(name.to_owned());
        }
    }

    let indexes: Vec<_> = meta.all_indexes().collect();
    if !indexes.is_empty() {
        let existing = if report.created_table {
            Vec::new()
        } else {
            live_names(
                db,
                "SELECT index_name FROM system_schema.indexes WHERE keyspace_name = ? AND table_name = ?",
                meta.table,
            )
            .await?
        };
        for index in indexes {
            if existing.iter().any(|n| n == index.name) {
                continue;
            }
            db.execute_unpaged(&cql::create_index(Some(&ks), meta, index), ())
                .await?;
            report.created_indexes.push(index.name.to_owned());
        }
    }

    if !meta.views.is_empty() {
        let cql =
            "SELECT view_name, base_table_name FROM system_schema.views WHERE keyspace_name = ?";
        let result = db.execute_unpaged(cql, (db.keyspace(),)).await?;
        let rows = result.into_rows_result().map_err(|e| Error::rows(cql, e))?;
        let existing: Vec<(String, String)> = rows
            .rows::<(String, String)>()
            .map_err(|e| Error::rows(cql, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| Error::rows(cql, e))?;
        for view in meta.views {
            if existing.iter().any(|(n, _)| n == view.name) {
                continue;
            }
            db.execute_unpaged(&cql::create_view(Some(&ks), meta, view), ())
                .await?;
            report.created_views.push(view.name.to_owned());
        }
    }
    tracing::debug!(keyspace = %ks, table = meta.table, ?report, "migrated");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ColumnMeta, TypeShape};

    const COLUMNS: &[ColumnMeta] = &[
        ColumnMeta {
            name: "pk",
            field: "pk",
            cql_type: "int",
            kind: ColumnKind::PartitionKey { position: 0 },
            shape: TypeShape::Scalar,
            nullable: false,
        },
        ColumnMeta {
            name: "ck",
            field: "ck",
            cql_type: "bigint",
            kind: ColumnKind::Clustering {
                position: 0,
                desc: false,
            },
            shape: TypeShape::Scalar,
            nullable: false,
        },
        ColumnMeta {
            name: "m",
            field: "m",
            cql_type: "map<int, text>",
            kind: ColumnKind::Regular,
            shape: TypeShape::Map,
            nullable: false,
        },
        ColumnMeta {
            name: "v",
            field: "v",
            cql_type: "text",
            kind: ColumnKind::Regular,
            shape: TypeShape::Scalar,
            nullable: true,
        },
    ];
    const META: TableMeta = TableMeta {
        table: "t",
        columns: COLUMNS,
        partition_key: &["pk"],
        clustering_key: &["ck"],
        indexes: &[],
        hidden_columns: &[],
        views: &[],
        hash_indexes: &[],
        packed_indexes: &[],
    };

    fn live(name: &str, kind: &str, position: i32, t: &str) -> LiveColumn {
        LiveColumn {
            name: name.into(),
            kind: kind.into(),
            position,
            cql_type: t.into(),
            clustering_order: if kind == "clustering" { "asc" } else { "none" }.into(),
        }
    }

    #[test]
    fn clustering_order_change() {
        let mut ck = live("ck", "clustering", 0, "bigint");
        ck.clustering_order = "desc".into();
        let l = [live("pk", "partition_key", 0, "int"), ck];
        let (_, d) = diff(&META, &l);
        assert_eq!(
            d,
            [SchemaDifference::ClusteringOrderChanged {
                column: "ck".into(),
                database: "DESC".into(),
                model: "ASC".into()
            }]
        );
        assert_eq!(
            d[0].to_string(),
            "clustering column `ck` is ordered DESC in the database but ASC in the model"
        );
    }

    #[test]
    fn same_schema_no_diff() {
        let l = [
            live("pk", "partition_key", 0, "int"),
            live("ck", "clustering", 0, "bigint"),
            live("m", "regular", -1, "map<int,text>"),
            live("v", "regular", -1, "text"),
            live("old", "regular", -1, "text"),
        ];
        assert_eq!(diff(&META, &l), (vec![], vec![]));
    }

    #[test]
    fn missing_regular_columns_are_added() {
        let l = [
            live("pk", "partition_key", 0, "int"),
            live("ck", "clustering", 0, "bigint"),
        ];
        let (add, d) = diff(&META, &l);
        assert_eq!(add, [("m", "map<int, text>"), ("v", "text")]);
        assert!(d.is_empty());
    }

    #[test]
    fn type_and_key_changes_are_listed() {
        let l = [
            live("pk", "partition_key", 0, "bigint"),
            live("ck", "regular", -1, "bigint"),
            live("other", "clustering", 0, "int"),
            live("v", "regular", -1, "text"),
        ];
        let (_, d) = diff(&META, &l);
        assert_eq!(d.len(), 3, "{d:?}");
        let err = MigrationError::Incompatible {
            keyspace: "ks".into(),
            table: "t".into(),
            differences: d,
        };
        let msg = err.to_string();
        assert!(
            msg.contains("column `pk` has type bigint in the database but int in the model"),
            "{msg}"
        );
        assert!(msg.contains("column `ck` is a regular column in the database but clustering column #0 in the model"), "{msg}");
        assert!(
            msg.contains(
                "column `other` is clustering column #0 in the database but is not in the model"
            ),
            "{msg}"
        );
    }

    #[test]
    fn missing_key_column() {
        let l = [live("pk", "partition_key", 0, "int")];
        let (_, d) = diff(&META, &l);
        assert_eq!(
            d,
            [SchemaDifference::MissingKeyColumn {
                column: "ck".into(),
                model: "clustering column #0".into()
            }]
        );
    }

    #[test]
    fn ddl() {
        assert_eq!(
            cql::create_table(Some("ks"), &META),
            "CREATE TABLE IF NOT EXISTS ks.t (pk int, ck bigint, m map<int, text>, v text, PRIMARY KEY ((pk), ck))"
        );
        assert_eq!(
            cql::add_column(Some("ks"), &META, "v", "text"),
            "ALTER TABLE ks.t ADD v text"
        );
        let view = crate::model::ViewMeta {
            name: "t_by_v",
            partition_key: &["pk"],
            clustering_key: &["v", "ck"],
        };
        assert_eq!(
            cql::create_view(Some("ks"), &META, &view),
            "CREATE MATERIALIZED VIEW IF NOT EXISTS ks.t_by_v AS SELECT * FROM ks.t WHERE pk IS NOT NULL AND v IS NOT NULL \
             AND ck IS NOT NULL PRIMARY KEY ((pk), v, ck)"
        );
    }
}
