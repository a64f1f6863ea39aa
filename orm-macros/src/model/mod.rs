//! The typed model of a `#[derive(Model)]` input: parsed from the struct and its attributes,
//! then validated ([`check`]). Every error is accumulated with its span; nothing panics.

mod attr;
mod check;
pub mod index;
pub mod ty;

use proc_macro2::Span;
use syn::{Data, DeriveInput, Fields, Ident, Type, Visibility};

use attr::{
    ClusteringArgs, ColumnArgs, HashIndexArgs, IndexArgs, Known, ModelArgs, PackedIndexArgs,
    name_span, parse_args, parse_marker,
};
pub use index::{HashIndex, PackedIndex};
use ty::MappedType;

/// A validated model.
#[derive(Debug)]
pub struct Model {
    pub ident: Ident,
    pub vis: Visibility,
    pub table: String,
    pub fields: Vec<Field>,
    /// `#[hash_index(...)]` groups.
    pub hash_indexes: Vec<HashIndex>,
    /// `#[packed_index(...)]` groups.
    pub packed_indexes: Vec<PackedIndex>,
    /// Hidden virtual columns computed from source fields on every write: hash index columns
    /// (one per bucket size), then packed columns.
    pub hidden: Vec<HiddenColumn>,
    /// Materialized views (`#[packed_index(view)]`).
    pub views: Vec<View>,
}

/// One struct field = one column.
#[derive(Debug)]
pub struct Field {
    pub ident: Ident,
    pub ty: Type,
    pub column: String,
    /// The rename literal, or the field ident.
    pub column_span: Span,
    pub role: Role,
    pub index: Option<Index>,
    pub mapped: MappedType,
}

/// Key role of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    PartitionKey,
    Clustering { desc: bool },
    Regular,
}

/// What an index indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexTarget {
    Value,
    Values,
    Keys,
}

/// A plain secondary index declared with `#[index]`.
#[derive(Debug)]
pub struct Index {
    pub local: bool,
    pub target: IndexTarget,
    pub name: String,
}

/// How a hidden column is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HiddenKind {
    /// Bucket size `size` of hash index `index` (position in `Model::hash_indexes`).
    BucketHash { index: usize, size: u32 },
    /// Packed index `index` (position in `Model::packed_indexes`).
    Packed { index: usize },
}

/// The index on a hidden column.
#[derive(Debug)]
pub struct HiddenIndex {
    pub name: String,
    pub local: bool,
    pub target: IndexTarget,
}

/// A hidden virtual column of an index feature.
#[derive(Debug)]
pub struct HiddenColumn {
    pub name: String,
    pub cql_type: String,
    pub is_collection: bool,
    pub sources: Vec<String>,
    /// `None` when a materialized view serves the column instead.
    pub index: Option<HiddenIndex>,
    pub kind: HiddenKind,
}

/// A materialized view.
#[derive(Debug)]
pub struct View {
    pub name: String,
    pub partition_key: Vec<String>,
    pub clustering_key: Vec<String>,
}

/// Attributes of one field, before validation.
pub(crate) struct FieldAttrs {
    pub partition_key: Option<Span>,
    pub clustering_key: Option<(Span, ClusteringArgs)>,
    pub column: Option<ColumnArgs>,
    pub index: Option<(Span, IndexArgs)>,
    pub hash: Vec<(Span, HashIndexArgs)>,
    pub packed: Vec<(Span, PackedIndexArgs)>,
    /// A `#[hash_index(...)]` / `#[packed_index(...)]` whose arguments did not parse (its
    /// error is reported; group-level checks of that kind are skipped).
    pub hash_failed: bool,
    pub packed_failed: bool,
}

fn parse_field_attrs(field: &syn::Field, errors: &mut darling::error::Accumulator) -> FieldAttrs {
    let mut out = FieldAttrs {
        partition_key: None,
        clustering_key: None,
        column: None,
        index: None,
        hash: Vec::new(),
        packed: Vec::new(),
        hash_failed: false,
        packed_failed: false,
    };
    let mut seen: Vec<Known> = Vec::new();
    for attr in &field.attrs {
        let Some(known) = Known::of(attr) else {
            continue;
        };
        let span = name_span(attr);
        // A field may be a source of several hash / packed indexes (one attribute per group).
        let repeatable = matches!(known, Known::HashIndex | Known::PackedIndex);
        if seen.contains(&known) && !repeatable {
            errors.push(
                darling::Error::custom(format!("duplicate `#[{}]` attribute", known.name()))
                    .with_span(&span),
            );
            continue;
        }
        seen.push(known);
        match known {
            Known::Model => errors.push(
                darling::Error::custom("`#[model(...)]` belongs on the struct, not on a field")
                    .with_span(&span),
            ),
            Known::PartitionKey => {
                errors.handle(parse_marker(attr));
                out.partition_key = Some(span);
            }
            Known::ClusteringKey => {
                if let Some(args) = errors.handle(parse_args::<ClusteringArgs>(attr)) {
                    out.clustering_key = Some((span, args));
                }
            }
            Known::Column => out.column = errors.handle(parse_args::<ColumnArgs>(attr)),
            Known::Index => {
                if let Some(args) = errors.handle(parse_args::<IndexArgs>(attr)) {
                    out.index = Some((span, args));
                }
            }
            Known::HashIndex => match errors.handle(parse_args::<HashIndexArgs>(attr)) {
                Some(args) => out.hash.push((span, args)),
                None => out.hash_failed = true,
            },
            Known::PackedIndex => match errors.handle(parse_args::<PackedIndexArgs>(attr)) {
                Some(args) => out.packed.push((span, args)),
                None => out.packed_failed = true,
            },
        }
    }
    out
}

/// snake_case of a struct name: `SaleOrder` → `sale_order`, `HTTPLog` → `http_log`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(|n| n.is_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl Model {
    /// Parses and validates the derive input.
    pub fn from_derive_input(input: &DeriveInput) -> darling::Result<Model> {
        let mut errors = darling::Error::accumulator();

        // Struct attributes.
        let mut args: Option<ModelArgs> = None;
        for attr in &input.attrs {
            let Some(known) = Known::of(attr) else {
                continue;
            };
            match known {
                Known::Model => {
                    if args.is_some() {
                        errors.push(
                            darling::Error::custom("duplicate `#[model]` attribute")
                                .with_span(&name_span(attr)),
                        );
                    } else {
                        args = Some(
                            errors
                                .handle(parse_args::<ModelArgs>(attr))
                                .unwrap_or_default(),
                        );
                    }
                }
                other => errors.push(
                    darling::Error::custom(format!(
                        "`#[{}]` belongs on a field, not on the struct",
                        other.name()
                    ))
                    .with_span(&name_span(attr)),
                ),
            }
        }
        let args = args.unwrap_or_default();

        if !input.generics.params.is_empty() {
            errors.push(
                darling::Error::custom(
                    "generic models are not supported: a model maps to one concrete table",
                )
                .with_span(&input.generics),
            );
        }

        let named = match &input.data {
            Data::Struct(s) => match &s.fields {
                Fields::Named(named) => Some(named),
                Fields::Unnamed(f) => {
                    errors.push(
                        darling::Error::custom(
                            "tuple structs are not supported: name the fields (field names become column names)",
                        )
                        .with_span(&f.paren_token.span.join()),
                    );
                    None
                }
                Fields::Unit => {
                    errors.push(
                        darling::Error::custom(
                            "a unit struct has no columns: declare named fields",
                        )
                        .with_span(&input.ident),
                    );
                    None
                }
            },
            Data::Enum(e) => {
                errors.push(
                    darling::Error::custom(
                        "`#[derive(Model)]` supports structs with named fields only, not enums",
                    )
                    .with_span(&e.enum_token),
                );
                None
            }
            Data::Union(u) => {
                errors.push(
                    darling::Error::custom(
                        "`#[derive(Model)]` supports structs with named fields only, not unions",
                    )
                    .with_span(&u.union_token),
                );
                None
            }
        };

        // Table name.
        let (table, table_span) = match &args.table {
            Some(t) => ((**t).clone(), t.span()),
            None => (snake_case(&input.ident.to_string()), input.ident.span()),
        };

        let mut fields = Vec::new();
        let mut index_attrs: Vec<index::IndexAttrs> = Vec::new();
        let (mut hash_failed, mut packed_failed) = (false, false);
        let mut declared_pk = 0;
        if let Some(named) = named {
            for field in &named.named {
                let ident = field.ident.clone().expect("named field");
                let mut attrs = parse_field_attrs(field, &mut errors);
                let mut decl = index::IndexAttrs {
                    field: None,
                    hash: std::mem::take(&mut attrs.hash),
                    packed: std::mem::take(&mut attrs.packed),
                };
                hash_failed |= attrs.hash_failed;
                packed_failed |= attrs.packed_failed;
                let has_index_attrs = !decl.hash.is_empty() || !decl.packed.is_empty();
                declared_pk += usize::from(attrs.partition_key.is_some());
                let mapped = errors.handle(ty::map_field_type(&field.ty));
                let (column, column_span) =
                    match attrs.column.as_ref().and_then(|c| c.name.as_ref()) {
                        Some(name) => ((**name).clone(), name.span()),
                        None => (
                            ident.to_string().trim_start_matches("r#").to_owned(),
                            ident.span(),
                        ),
                    };
                let Some(mapped) = mapped else {
                    if has_index_attrs {
                        index_attrs.push(decl);
                    }
                    continue;
                };
                let built = check::build_field(
                    ident,
                    field.ty.clone(),
                    column,
                    column_span,
                    attrs,
                    mapped,
                    &table,
                );
                if let Some(f) = errors.handle(built) {
                    decl.field = Some(fields.len());
                    fields.push(f);
                }
                if has_index_attrs {
                    index_attrs.push(decl);
                }
            }
        }

        let hash_indexes = index::hash_indexes(&fields, &index_attrs, hash_failed, &mut errors);
        let packed_indexes =
            index::packed_indexes(&fields, &index_attrs, packed_failed, &mut errors);
        let (hidden, views) =
            index::hidden_columns(&table, &fields, &hash_indexes, &packed_indexes, &mut errors);
        let model = Model {
            ident: input.ident.clone(),
            vis: input.vis.clone(),
            table,
            fields,
            hash_indexes,
            packed_indexes,
            hidden,
            views,
        };
        if let Some(named) = named {
            let _ = named;
            check::check_model(&model, table_span, declared_pk, &mut errors);
        }
        errors.finish()?;
        Ok(model)
    }

    pub fn partition_key(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.role == Role::PartitionKey)
    }

    pub fn clustering_key(&self) -> impl Iterator<Item = &Field> {
        self.fields
            .iter()
            .filter(|f| matches!(f.role, Role::Clustering { .. }))
    }

    pub fn primary_key(&self) -> impl Iterator<Item = &Field> {
        self.partition_key().chain(self.clustering_key())
    }
}
