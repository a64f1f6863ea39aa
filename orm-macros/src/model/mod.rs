//! The typed model of a `#[derive(Model)]` input: parsed from the struct and its attributes,
//! then validated ([`check`]). Every error is accumulated with its span; nothing panics.

mod attr;
mod check;
pub mod ty;

use proc_macro2::Span;
use syn::{Data, DeriveInput, Fields, Ident, Type, Visibility};

use attr::{
    ClusteringArgs, ColumnArgs, IndexArgs, Known, ModelArgs, name_span, parse_args, parse_marker,
};
use ty::MappedType;

/// A validated model.
#[derive(Debug)]
pub struct Model {
    pub ident: Ident,
    pub vis: Visibility,
    pub table: String,
    pub fields: Vec<Field>,
    /// Hidden virtual columns computed from source fields on every write. Always empty until
    /// `#[hash_index]` / `#[packed_index]` are implemented; codegen already handles them in
    /// the metadata, DDL and `SerializeRow`.
    pub hidden: Vec<HiddenColumn>,
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

/// A hidden virtual column (reserved for the index features).
#[derive(Debug)]
#[allow(dead_code)]
pub struct HiddenColumn {
    pub name: String,
    pub cql_type: String,
    pub is_collection: bool,
    pub sources: Vec<String>,
    pub index_name: String,
    pub index_local: bool,
    pub index_target: IndexTarget,
    /// An expression of type `impl SerializeValue` computing the value from `self`.
    pub value: proc_macro2::TokenStream,
}

/// Attributes of one field, before validation.
pub(crate) struct FieldAttrs {
    pub partition_key: Option<Span>,
    pub clustering_key: Option<(Span, ClusteringArgs)>,
    pub column: Option<ColumnArgs>,
    pub index: Option<(Span, IndexArgs)>,
}

fn not_implemented(attr: &syn::Attribute, which: Known) -> darling::Error {
    let what = match which {
        Known::HashIndex => "composite bucketing hash indexes",
        _ => "packed integer indexes",
    };
    darling::Error::custom(format!(
        "`#[{}]` is not implemented yet ({what} land in a later release)",
        which.name()
    ))
    .with_span(&name_span(attr))
}

fn parse_field_attrs(field: &syn::Field, errors: &mut darling::error::Accumulator) -> FieldAttrs {
    let mut out = FieldAttrs {
        partition_key: None,
        clustering_key: None,
        column: None,
        index: None,
    };
    let mut seen: Vec<Known> = Vec::new();
    for attr in &field.attrs {
        let Some(known) = Known::of(attr) else {
            continue;
        };
        let span = name_span(attr);
        if seen.contains(&known) {
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
            Known::HashIndex | Known::PackedIndex => errors.push(not_implemented(attr, known)),
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
                Known::HashIndex | Known::PackedIndex => errors.push(not_implemented(attr, known)),
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
        let mut declared_pk = 0;
        if let Some(named) = named {
            for field in &named.named {
                let ident = field.ident.clone().expect("named field");
                let attrs = parse_field_attrs(field, &mut errors);
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
                let Some(mapped) = mapped else { continue };
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
                    fields.push(f);
                }
            }
        }

        let model = Model {
            ident: input.ident.clone(),
            vis: input.vis.clone(),
            table,
            fields,
            hidden: Vec::new(),
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
