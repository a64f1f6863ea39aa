//! `#[hash_index(...)]` and `#[packed_index(...)]`: grouping the field attributes into index
//! declarations, validating them (every error spanned on the offending token, all
//! accumulated), and deriving the hidden columns, their indexes and views.
//!
//! Names follow `shared/specs/index-math.md` exactly for hidden columns; index and view names
//! longer than ScyllaDB's 48-character limit are shortened by [`schema_object_name`] (the same
//! rule as `orm_runtime::schema::names`).

use proc_macro2::Span;

use super::attr::{HashIndexArgs, PackedIndexArgs};
use super::ty::{CqlKind, MappedType};
use super::{Field, HiddenColumn, HiddenIndex, HiddenKind, IndexTarget, Role, View};

/// The hash and packed index attributes of one field.
pub(crate) struct IndexAttrs {
    /// Position of the field in `Model::fields`; `None` if the field itself was invalid (its
    /// errors are already reported; group-level checks are skipped for its groups).
    pub field: Option<usize>,
    pub hash: Vec<(Span, HashIndexArgs)>,
    pub packed: Vec<(Span, PackedIndexArgs)>,
}

/// A validated composite bucketing hash index.
#[derive(Debug)]
pub struct HashIndex {
    /// The first attribute of the group (for errors).
    pub span: Span,
    /// The group name (`name = "..."`), or the source columns joined by `_`.
    pub name: String,
    /// `(field position, column, is a collection)`, in field order.
    pub sources: Vec<(usize, String, bool)>,
    /// Position of the bucketed column in `sources`.
    pub bucketed: usize,
    pub sizes: Vec<u32>,
    pub week_code: bool,
    pub max_waste: Option<u64>,
    pub max_statements: Option<usize>,
}

/// A validated packed integer index.
#[derive(Debug)]
pub struct PackedIndex {
    /// The first attribute of the group (for errors).
    pub span: Span,
    /// The group name (`name = "..."`), or the component columns joined by `_`.
    pub name: String,
    /// `(field position, column)`, in field order.
    pub sources: Vec<(usize, String)>,
    /// `None` for the first component, `Some(decimal_size)` for the others.
    pub decimal_sizes: Vec<Option<u32>>,
    pub int32: bool,
    pub view: bool,
    /// The hidden column `zz_ixp_...`.
    pub column: String,
}

/// The longest index, view or table name ScyllaDB accepts.
const MAX_NAME_LEN: usize = 48;

/// 32-bit FNV-1a over the bytes of `name` (`orm_runtime::schema::names::name_hash`).
pub fn name_hash(name: &str) -> u32 {
    let mut hash: u32 = 2_166_136_261;
    for b in name.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(16_777_619);
    }
    hash
}

/// `orm_runtime::schema::names::schema_object_name`: the spec name when it has at most 48
/// characters, else its first 39 characters + `_` + 8 lowercase hex digits of its FNV-1a hash.
pub fn schema_object_name(spec_name: &str) -> String {
    if spec_name.len() <= MAX_NAME_LEN {
        return spec_name.to_owned();
    }
    let mut cut = MAX_NAME_LEN - 9;
    while !spec_name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{:08x}", &spec_name[..cut], name_hash(spec_name))
}

fn integer_scalar(kind: &CqlKind) -> bool {
    matches!(
        kind,
        CqlKind::Native("tinyint" | "smallint" | "int" | "bigint")
    )
}

fn integer_collection(kind: &CqlKind) -> bool {
    matches!(kind, CqlKind::List(e) | CqlKind::Set(e) if integer_scalar(e))
}

fn err(msg: impl std::fmt::Display, span: Span) -> darling::Error {
    darling::Error::custom(msg).with_span(&span)
}

/// Members of one group: `(field position or None, attribute span, args)`.
type Members<'a, A> = Vec<(Option<usize>, Span, &'a A)>;

/// Groups by `name`, in order of first appearance; `None` is the default group.
fn groups<'a, A>(
    decls: &'a [IndexAttrs],
    pick: impl Fn(&'a IndexAttrs) -> &'a [(Span, A)],
    name: impl Fn(&A) -> Option<String>,
) -> Vec<(Option<String>, Members<'a, A>)> {
    let mut out: Vec<(Option<String>, Members<'a, A>)> = Vec::new();
    for d in decls {
        for (span, args) in pick(d) {
            let key = name(args);
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push((d.field, *span, args)),
                None => out.push((key, vec![(d.field, *span, args)])),
            }
        }
    }
    out
}

fn group_label(which: &str, name: &Option<String>) -> String {
    match name {
        Some(n) => format!("{which} `{n}`"),
        None => format!("the default {which} (no `name`)"),
    }
}

fn check_group_name(
    name: &Option<darling::util::SpannedValue<String>>,
    errors: &mut darling::error::Accumulator,
) {
    if let Some(n) = name {
        let valid = !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            errors.push(err(
                format!(
                    "invalid index group name `{}`: expected lowercase letters, digits and `_`",
                    n.as_str()
                ),
                n.span(),
            ));
        }
    }
}

/// Validates the hash indexes.
pub(crate) fn hash_indexes(
    fields: &[Field],
    decls: &[IndexAttrs],
    parse_failed: bool,
    errors: &mut darling::error::Accumulator,
) -> Vec<HashIndex> {
    let mut out = Vec::new();
    for (name, members) in groups(
        decls,
        |d| &d.hash,
        |a| a.name.as_ref().map(|n| (**n).clone()),
    ) {
        let label = group_label("hash index", &name);
        let mut ok = members.iter().all(|(f, _, _)| f.is_some());
        let mut sources: Vec<(usize, String, bool)> = Vec::new();
        let mut bucketed: Vec<(usize, Span)> = Vec::new();
        let mut sizes: Vec<u32> = Vec::new();
        let mut week_code = false;
        let mut max_waste = None;
        let mut max_statements = None;
        for (field, span, args) in &members {
            check_group_name(&args.name, errors);
            let Some(fi) = *field else { continue };
            let f = &fields[fi];
            if sources.iter().any(|(p, _, _)| *p == fi) {
                errors.push(err(
                    format!(
                        "field `{}` is already a source of {label}: one `#[hash_index]` per field and group",
                        f.ident
                    ),
                    *span,
                ));
                ok = false;
                continue;
            }
            let collection = check_source_type(f, "a hash index source", true, errors);
            let Some(collection) = collection else {
                ok = false;
                continue;
            };
            let position = sources.len();
            sources.push((fi, f.column.clone(), collection));
            if let Some(b) = &args.bucketing {
                let bspan = b.span;
                if collection {
                    errors.push(err(
                        format!(
                            "the bucketed column of a hash index must be an integer scalar, but `{}` is a \
                             collection ({}); put `bucketing(...)` on the scalar column",
                            f.column,
                            f.mapped.kind.cql()
                        ),
                        syn::spanned::Spanned::span(&f.ty),
                    ));
                    ok = false;
                }
                bucketed.push((position, bspan));
                if b.sizes.is_empty() {
                    errors.push(err(
                        "`bucketing` needs at least one bucket size, as in `bucketing(1, 4, 5)`",
                        bspan,
                    ));
                    ok = false;
                }
                let mut seen: Vec<u32> = Vec::new();
                for (size, lit) in &b.sizes {
                    if *size == 0 {
                        errors.push(err("a bucket size must be at least 1", *lit));
                        ok = false;
                    } else if seen.contains(size) {
                        errors.push(err(
                            format!("duplicate bucket size {size}: sizes must be distinct"),
                            *lit,
                        ));
                        ok = false;
                    } else {
                        seen.push(*size);
                    }
                }
                if bucketed.len() == 1 {
                    sizes = seen;
                    week_code = args.week_code.is_present();
                    max_waste = args.max_waste.as_ref().map(|v| **v);
                    if let Some(m) = &args.max_statements {
                        if **m == 0 {
                            errors.push(err("`max_statements` must be at least 1", m.span()));
                            ok = false;
                        }
                        max_statements = Some(**m);
                    }
                }
            } else {
                let misplaced = [
                    (
                        "week_code",
                        args.week_code.is_present().then(|| args.week_code.span()),
                    ),
                    ("max_waste", args.max_waste.as_ref().map(|v| v.span())),
                    (
                        "max_statements",
                        args.max_statements.as_ref().map(|v| v.span()),
                    ),
                ];
                for (key, s) in misplaced {
                    if let Some(s) = s {
                        errors.push(err(
                            format!(
                                "`{key}` belongs on the bucketed column of the hash index (the one with \
                                 `bucketing(...)`), not on `{}`",
                                f.column
                            ),
                            s,
                        ));
                        ok = false;
                    }
                }
            }
        }
        for (_, extra) in bucketed.iter().skip(1) {
            errors.push(err(
                format!(
                    "{label} already has a bucketed column (`{}`): exactly one source carries \
                     `bucketing(...)`",
                    sources[bucketed[0].0].1
                ),
                *extra,
            ));
            ok = false;
        }
        if parse_failed || !members.iter().all(|(f, _, _)| f.is_some()) {
            continue; // field-level errors already reported
        }
        let columns: Vec<&str> = sources.iter().map(|(_, c, _)| c.as_str()).collect();
        if bucketed.is_empty() {
            errors.push(err(
                format!(
                    "{label} has no bucketed column: put `bucketing(sizes...)` on exactly one of its \
                     integer scalar sources (`{}`), e.g. `#[hash_index(bucketing(1, 4, 5))]`",
                    columns.join("`, `")
                ),
                members[0].1,
            ));
            ok = false;
        }
        if members.len() < 2 {
            errors.push(err(
                format!(
                    "{label} has 1 source column (`{}`): a hash index needs 2 or 3; mark the other \
                     sources `#[hash_index{}]`",
                    columns.join("`, `"),
                    name.as_ref()
                        .map(|n| format!("(name = \"{n}\")"))
                        .unwrap_or_default()
                ),
                members[0].1,
            ));
            ok = false;
        }
        for (_, span, _) in members.iter().skip(3) {
            errors.push(err(
                format!(
                    "{label} has {} source columns: a hash index takes 2 or 3 (every source \
                     multiplies the hashes stored per row)",
                    members.len()
                ),
                *span,
            ));
            ok = false;
        }
        if ok {
            let name = name.unwrap_or_else(|| columns.join("_"));
            out.push(HashIndex {
                span: members[0].1,
                name,
                bucketed: bucketed[0].0,
                sources,
                sizes,
                week_code,
                max_waste,
                max_statements,
            });
        }
    }
    out
}

/// `Some(is_collection)` for a valid index source, else an error (spanned) and `None`.
fn check_source_type(
    f: &Field,
    what: &str,
    allow_collection: bool,
    errors: &mut darling::error::Accumulator,
) -> Option<bool> {
    let m: &MappedType = &f.mapped;
    if let Some(span) = m.option_span {
        errors.push(err(
            format!(
                "{what} cannot be `Option`: the hidden index value is computed from every row, so \
                 `{}` needs a value (use a plain integer{})",
                f.column,
                if allow_collection {
                    " or an empty collection"
                } else {
                    ""
                }
            ),
            span,
        ));
        return None;
    }
    let ty_span = syn::spanned::Spanned::span(&f.ty);
    if integer_scalar(&m.kind) {
        return Some(false);
    }
    if integer_collection(&m.kind) {
        if allow_collection {
            return Some(true);
        }
        errors.push(err(
            format!(
                "{what} must be an integer scalar (i8, i16, i32, i64), not a collection ({})",
                m.kind.cql()
            ),
            ty_span,
        ));
        return None;
    }
    let expected = if allow_collection {
        "an integer (i8, i16, i32, i64) or a Vec/BTreeSet/HashSet of integers"
    } else {
        "an integer scalar (i8, i16, i32, i64)"
    };
    errors.push(err(
        format!(
            "{what} must be {expected}, but `{}` is {}",
            f.column,
            m.kind.cql()
        ),
        ty_span,
    ));
    None
}

/// Validates the packed indexes.
pub(crate) fn packed_indexes(
    fields: &[Field],
    decls: &[IndexAttrs],
    parse_failed: bool,
    errors: &mut darling::error::Accumulator,
) -> Vec<PackedIndex> {
    let mut out = Vec::new();
    for (name, members) in groups(
        decls,
        |d| &d.packed,
        |a| a.name.as_ref().map(|n| (**n).clone()),
    ) {
        let label = group_label("packed index", &name);
        let mut ok = true;
        let mut sources: Vec<(usize, String)> = Vec::new();
        let mut decimal_sizes: Vec<Option<u32>> = Vec::new();
        let mut int32 = false;
        let mut view = false;
        for (i, (field, span, args)) in members.iter().enumerate() {
            check_group_name(&args.name, errors);
            int32 |= args.int32.is_present();
            view |= args.view.is_present();
            match (&args.decimal_size, i) {
                (Some(d), 0) if !parse_failed => {
                    errors.push(err(
                        format!(
                            "the first component of {label} must not declare `decimal_size`: its slot is \
                             the digit budget (9 for int32, 19 for int64) minus the other components' sizes"
                        ),
                        d.span(),
                    ));
                    ok = false;
                }
                (Some(d), _) if **d == 0 => {
                    errors.push(err("`decimal_size` must be at least 1", d.span()));
                    ok = false;
                }
                (None, i) if i > 0 && !parse_failed => {
                    let column = field
                        .map(|f| fields[f].column.as_str())
                        .unwrap_or("this field");
                    errors.push(err(
                        format!(
                            "component `{column}` of {label} needs `decimal_size = n`: every component \
                             after the first declares how many leading digits it keeps"
                        ),
                        *span,
                    ));
                    ok = false;
                }
                _ => {}
            }
            decimal_sizes.push(if i == 0 {
                None
            } else {
                args.decimal_size.as_ref().map(|d| **d)
            });
            let Some(fi) = *field else {
                ok = false;
                continue;
            };
            let f = &fields[fi];
            if sources.iter().any(|(p, _)| *p == fi) {
                errors.push(err(
                    format!(
                        "field `{}` is already a component of {label}: one `#[packed_index]` per field and group",
                        f.ident
                    ),
                    *span,
                ));
                ok = false;
                continue;
            }
            if check_source_type(f, "a packed index component", false, errors).is_none() {
                ok = false;
            }
            sources.push((fi, f.column.clone()));
        }
        // The digit budget, checked where the running sum first exceeds it.
        let max = if int32 { 8 } else { 18 };
        let mut sum = 0u32;
        let total: u32 = decimal_sizes
            .iter()
            .flatten()
            .fold(0u32, |a, b| a.saturating_add(*b));
        for (_, _, args) in members.iter().skip(1) {
            if let Some(d) = &args.decimal_size {
                sum = sum.saturating_add(**d);
                if sum > max {
                    let output = if int32 { "int32" } else { "int64" };
                    let hint = if int32 && total <= 18 {
                        " or drop `int32` for an int64 column"
                    } else {
                        ""
                    };
                    errors.push(err(
                        format!(
                            "the decimal sizes of {label} sum to {total}, more than the {max} an {output} \
                             packed column allows (the first component keeps at least 1 of {} digits): \
                             shrink a decimal_size{hint}",
                            max + 1
                        ),
                        d.span(),
                    ));
                    ok = false;
                    break;
                }
            }
        }
        if members.len() < 2 && !parse_failed && members.iter().all(|(f, _, _)| f.is_some()) {
            errors.push(err(
                format!(
                    "{label} has 1 component: a packed index needs at least 2 (use `#[index]` for \
                     one column); mark the others `#[packed_index({}decimal_size = n)]`",
                    name.as_ref()
                        .map(|n| format!("name = \"{n}\", "))
                        .unwrap_or_default()
                ),
                members[0].1,
            ));
            ok = false;
        }
        if ok && !parse_failed {
            let columns: Vec<&str> = sources.iter().map(|(_, c)| c.as_str()).collect();
            out.push(PackedIndex {
                span: members[0].1,
                name: name.unwrap_or_else(|| columns.join("_")),
                column: format!("zz_ixp_{}", columns.join("_")),
                sources,
                decimal_sizes,
                int32,
                view,
            });
        }
    }
    out
}

/// The hidden columns, their indexes and views, in order: hash indexes (one column per size),
/// then packed indexes. Two indexes with the same sources would share a hidden column: an
/// error on the later one.
pub(crate) fn hidden_columns(
    table: &str,
    fields: &[Field],
    hash: &[HashIndex],
    packed: &[PackedIndex],
    errors: &mut darling::error::Accumulator,
) -> (Vec<HiddenColumn>, Vec<View>) {
    let mut hidden: Vec<HiddenColumn> = Vec::new();
    let mut views = Vec::new();
    let mut push = |h: HiddenColumn, span: Span, hidden: &mut Vec<HiddenColumn>| {
        if hidden.iter().any(|o| o.name == h.name) {
            errors.push(err(
                format!(
                    "two indexes over the same columns in the same order would share hidden column \
                     `{}`: merge them into one index",
                    h.name
                ),
                span,
            ));
        } else {
            hidden.push(h);
        }
    };
    for (i, h) in hash.iter().enumerate() {
        let columns: Vec<&str> = h.sources.iter().map(|(_, c, _)| c.as_str()).collect();
        let span = h.span;
        for &size in &h.sizes {
            let name = format!("zz_hb_{}_b{size}", columns.join("_"));
            let index_name = schema_object_name(&format!("{table}__{name}_index_0"));
            push(
                HiddenColumn {
                    index: Some(HiddenIndex {
                        name: index_name,
                        local: false,
                        target: IndexTarget::Values,
                    }),
                    name,
                    cql_type: "set<int>".to_owned(),
                    is_collection: true,
                    sources: columns.iter().map(|c| (*c).to_owned()).collect(),
                    kind: HiddenKind::BucketHash { index: i, size },
                },
                span,
                &mut hidden,
            );
        }
    }
    for (i, p) in packed.iter().enumerate() {
        let span = p.span;
        let index = if p.view {
            let partition_key: Vec<String> = fields
                .iter()
                .filter(|f| f.role == Role::PartitionKey)
                .map(|f| f.column.clone())
                .collect();
            let clustering_key: Vec<String> = std::iter::once(p.column.clone())
                .chain(
                    fields
                        .iter()
                        .filter(|f| matches!(f.role, Role::Clustering { .. }))
                        .map(|f| f.column.clone()),
                )
                .collect();
            views.push(View {
                name: schema_object_name(&format!("{table}__{}_view", p.column)),
                partition_key,
                clustering_key,
            });
            None
        } else {
            Some(HiddenIndex {
                name: schema_object_name(&format!("{table}__{}_index_1", p.column)),
                local: true,
                target: IndexTarget::Value,
            })
        };
        push(
            HiddenColumn {
                name: p.column.clone(),
                cql_type: if p.int32 { "int" } else { "bigint" }.to_owned(),
                is_collection: false,
                sources: p.sources.iter().map(|(_, c)| c.clone()).collect(),
                index,
                kind: HiddenKind::Packed { index: i },
            },
            span,
            &mut hidden,
        );
    }
    (hidden, views)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_rule() {
        assert_eq!(name_hash(""), 0x811c_9dc5);
        assert_eq!(name_hash("foobar"), 0xbf9c_f968);
        let spec = "sale_order__zz_hb_detail_products_ids_week_b4_index_0";
        let short = schema_object_name(spec);
        assert_eq!(short.len(), 48);
        assert_eq!(short, format!("{}_{:08x}", &spec[..39], name_hash(spec)));
        assert_eq!(
            schema_object_name("t__zz_ixp_a_b_index_1"),
            "t__zz_ixp_a_b_index_1"
        );
    }
}
