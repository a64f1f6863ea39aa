//! Validation of fields and of the whole model. Errors carry the span of the offending token
//! and are all reported together.

use proc_macro2::Span;
use syn::{Ident, Type};

use super::ty::{CqlKind, MappedType};
use super::{Field, FieldAttrs, Index, IndexTarget, Model, Role};

/// CQL reserved keywords (cannot be unquoted identifiers).
const RESERVED: &[&str] = &[
    "add",
    "allow",
    "alter",
    "and",
    "apply",
    "asc",
    "authorize",
    "batch",
    "begin",
    "by",
    "columnfamily",
    "create",
    "delete",
    "desc",
    "describe",
    "drop",
    "entries",
    "execute",
    "from",
    "full",
    "grant",
    "if",
    "in",
    "index",
    "infinity",
    "insert",
    "into",
    "is",
    "keyspace",
    "limit",
    "materialized",
    "modify",
    "nan",
    "norecursive",
    "not",
    "null",
    "of",
    "on",
    "or",
    "order",
    "primary",
    "rename",
    "revoke",
    "schema",
    "select",
    "set",
    "table",
    "to",
    "token",
    "truncate",
    "unlogged",
    "update",
    "use",
    "using",
    "view",
    "where",
    "with",
];

/// Checks a CQL identifier; `what` is "column" or "table".
pub fn check_identifier(name: &str, what: &str, span: Span) -> darling::Result<()> {
    let mut chars = name.chars();
    let valid = matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'));
    if !valid {
        return Err(darling::Error::custom(format!(
            "invalid {what} name `{name}`: expected a lowercase CQL identifier ([a-z][a-z0-9_]*)"
        ))
        .with_span(&span));
    }
    if name.len() > 48 && what == "table" {
        return Err(darling::Error::custom(format!(
            "table name `{name}` is longer than 48 characters"
        ))
        .with_span(&span));
    }
    if RESERVED.contains(&name) {
        let fix = if what == "column" {
            "rename it with `#[column(name = \"...\")]`"
        } else {
            "choose another with `#[model(table = \"...\")]`"
        };
        return Err(darling::Error::custom(format!(
            "`{name}` is a reserved CQL keyword and cannot be a {what} name; {fix}"
        ))
        .with_span(&span));
    }
    if what == "column" && name.starts_with("zz_") {
        return Err(darling::Error::custom(format!(
            "column name `{name}`: the `zz_` prefix is reserved for hidden index columns"
        ))
        .with_span(&span));
    }
    Ok(())
}

pub(crate) fn build_field(
    ident: Ident,
    ty: Type,
    column: String,
    column_span: Span,
    attrs: FieldAttrs,
    mapped: MappedType,
    table: &str,
) -> darling::Result<Field> {
    let mut errors = darling::Error::accumulator();
    errors.handle(check_identifier(&column, "column", column_span));

    let role = match (attrs.partition_key, &attrs.clustering_key) {
        (Some(_), Some((span, _))) => {
            errors.push(
                darling::Error::custom(
                    "a field cannot be both a partition-key and a clustering column",
                )
                .with_span(span),
            );
            Role::PartitionKey
        }
        (Some(_), None) => Role::PartitionKey,
        (None, Some((_, args))) => {
            if args.desc.is_present() && args.asc.is_present() {
                errors.push(
                    darling::Error::custom("`desc` and `asc` are mutually exclusive")
                        .with_span(&args.asc.span()),
                );
            }
            Role::Clustering {
                desc: args.desc.is_present(),
            }
        }
        (None, None) => Role::Regular,
    };

    if role != Role::Regular {
        let which = if role == Role::PartitionKey {
            "partition-key"
        } else {
            "clustering"
        };
        if let Some(span) = mapped.option_span {
            errors.push(
                darling::Error::custom(format!(
                    "a {which} column cannot be `Option`: primary-key columns are never null"
                ))
                .with_span(&span),
            );
        } else if mapped.kind.is_collection() {
            errors.push(
                darling::Error::custom(format!(
                    "a {which} column cannot be a collection ({}): use a scalar type",
                    mapped.kind.cql()
                ))
                .with_span(&ty),
            );
        } else if mapped.kind == CqlKind::Native("duration") {
            errors.push(
                darling::Error::custom(format!("a {which} column cannot be a duration"))
                    .with_span(&ty),
            );
        }
    }

    let mut index = None;
    if let Some((span, args)) = &attrs.index {
        if role != Role::Regular {
            errors.push(
                darling::Error::custom(format!(
                    "`#[index]` on primary-key column `{column}`: key columns are served by the primary key, \
                     index a regular column instead"
                ))
                .with_span(span),
            );
        }
        let is_map = matches!(mapped.kind, CqlKind::Map(..));
        let mut target = if mapped.kind.is_collection() {
            IndexTarget::Values
        } else {
            IndexTarget::Value
        };
        if args.keys.is_present() {
            if is_map {
                target = IndexTarget::Keys;
            } else {
                errors.push(
                    darling::Error::custom(
                        "`keys` applies only to a map column (it indexes the map's keys)",
                    )
                    .with_span(&args.keys.span()),
                );
            }
        }
        if args.values.is_present() {
            if !mapped.kind.is_collection() {
                errors.push(
                    darling::Error::custom("`values` applies only to a collection column")
                        .with_span(&args.values.span()),
                );
            } else if args.keys.is_present() {
                errors.push(
                    darling::Error::custom(
                        "`keys` and `values` are mutually exclusive: one index per column",
                    )
                    .with_span(&args.values.span()),
                );
            }
        }
        if args.local.is_present() && mapped.kind.is_collection() {
            errors.push(
                darling::Error::custom(format!(
                    "a local index on collection column `{column}` is not implemented by ScyllaDB; \
                     use a global `#[index]`"
                ))
                .with_span(&args.local.span()),
            );
        }
        if mapped.kind == CqlKind::Native("duration") {
            errors.push(
                darling::Error::custom("a duration column cannot be indexed").with_span(span),
            );
        }
        let local = args.local.is_present();
        let name = if local {
            format!("{table}_{column}_local_idx")
        } else {
            format!("{table}_{column}_idx")
        };
        index = Some(Index {
            local,
            target,
            name,
        });
    }

    errors.finish()?;
    Ok(Field {
        ident,
        ty,
        column,
        column_span,
        role,
        index,
        mapped,
    })
}

pub(crate) fn check_model(
    model: &Model,
    table_span: Span,
    declared_pk: usize,
    errors: &mut darling::error::Accumulator,
) {
    errors.handle(check_identifier(&model.table, "table", table_span));
    if declared_pk == 0 {
        errors.push(
            darling::Error::custom(format!(
                "model `{}` has no partition key: mark at least one field `#[partition_key]`",
                model.ident
            ))
            .with_span(&model.ident),
        );
    }
    for (i, f) in model.fields.iter().enumerate() {
        if let Some(prev) = model.fields[..i].iter().find(|p| p.column == f.column) {
            errors.push(
                darling::Error::custom(format!(
                    "duplicate column name `{}`: field `{}` already maps to it",
                    f.column, prev.ident
                ))
                .with_span(&f.column_span),
            );
        }
    }
}
