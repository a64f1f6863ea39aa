//! Attribute arguments, parsed with darling.

use darling::FromMeta;
use darling::ast::NestedMeta;
use darling::util::{Flag, SpannedValue};
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Meta};

/// `#[model(table = "...")]`
#[derive(Debug, Default, FromMeta)]
pub struct ModelArgs {
    pub table: Option<SpannedValue<String>>,
}

/// `#[clustering_key]`, `#[clustering_key(desc)]`, `#[clustering_key(asc)]`
#[derive(Debug, Default, FromMeta)]
pub struct ClusteringArgs {
    pub desc: Flag,
    pub asc: Flag,
}

/// `#[column(name = "...")]`
#[derive(Debug, Default, FromMeta)]
pub struct ColumnArgs {
    pub name: Option<SpannedValue<String>>,
}

/// `#[index]`, `#[index(local)]`, `#[index(keys)]`, `#[index(values)]`
#[derive(Debug, Default, FromMeta)]
pub struct IndexArgs {
    pub local: Flag,
    pub keys: Flag,
    pub values: Flag,
}

/// `bucketing(1, 4, 5)`: the bucket sizes, each with the span of its literal, and the span of
/// the `bucketing` keyword.
#[derive(Debug, Clone)]
pub struct Bucketing {
    pub sizes: Vec<(u32, Span)>,
    pub span: Span,
}

impl FromMeta for Bucketing {
    fn from_meta(item: &Meta) -> darling::Result<Self> {
        let span = item.path().span();
        let Meta::List(list) = item else {
            return Err(darling::Error::custom(
                "`bucketing` needs its bucket sizes, as in `bucketing(1, 4, 5)`",
            )
            .with_span(&span));
        };
        let items = NestedMeta::parse_meta_list(list.tokens.clone())?;
        let mut errors = darling::Error::accumulator();
        let mut sizes = Vec::new();
        for item in &items {
            match item {
                NestedMeta::Lit(syn::Lit::Int(lit)) => {
                    if let Some(n) = errors.handle(lit.base10_parse::<u32>().map_err(|_| {
                        darling::Error::custom(
                            "a bucket size is a positive integer that fits in u32",
                        )
                        .with_span(lit)
                    })) {
                        sizes.push((n, lit.span()));
                    }
                }
                other => errors.push(
                    darling::Error::custom(
                        "expected an integer bucket size, as in `bucketing(1, 4, 5)`",
                    )
                    .with_span(other),
                ),
            }
        }
        errors.finish()?;
        Ok(Bucketing { sizes, span })
    }
}

/// `#[hash_index]`, `#[hash_index(bucketing(1, 4, 5), week_code, max_waste = 2,
/// max_statements = 32, name = "...")]`
#[derive(Debug, Default, FromMeta)]
pub struct HashIndexArgs {
    pub name: Option<SpannedValue<String>>,
    pub bucketing: Option<Bucketing>,
    pub week_code: Flag,
    pub max_waste: Option<SpannedValue<u64>>,
    pub max_statements: Option<SpannedValue<usize>>,
}

/// `#[packed_index]`, `#[packed_index(decimal_size = 8, int32, view, name = "...")]`
#[derive(Debug, Default, FromMeta)]
pub struct PackedIndexArgs {
    pub name: Option<SpannedValue<String>>,
    pub decimal_size: Option<SpannedValue<u32>>,
    pub int32: Flag,
    pub view: Flag,
}

/// The attributes this derive owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    Model,
    PartitionKey,
    ClusteringKey,
    Column,
    Index,
    HashIndex,
    PackedIndex,
}

impl Known {
    pub fn of(attr: &Attribute) -> Option<Known> {
        let path = attr.path();
        let ident = path.get_ident()?.to_string();
        Some(match ident.as_str() {
            "model" => Known::Model,
            "partition_key" => Known::PartitionKey,
            "clustering_key" => Known::ClusteringKey,
            "column" => Known::Column,
            "index" => Known::Index,
            "hash_index" => Known::HashIndex,
            "packed_index" => Known::PackedIndex,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Known::Model => "model",
            Known::PartitionKey => "partition_key",
            Known::ClusteringKey => "clustering_key",
            Known::Column => "column",
            Known::Index => "index",
            Known::HashIndex => "hash_index",
            Known::PackedIndex => "packed_index",
        }
    }
}

/// Parses `#[name]` (all defaults) or `#[name(...)]` into `T`.
pub fn parse_args<T: FromMeta + Default>(attr: &Attribute) -> darling::Result<T> {
    match &attr.meta {
        Meta::Path(_) => Ok(T::default()),
        Meta::List(list) => {
            let items = NestedMeta::parse_meta_list(list.tokens.clone())?;
            T::from_list(&items).map_err(|e| e.with_span(&list.tokens))
        }
        Meta::NameValue(nv) => Err(darling::Error::custom(format!(
            "expected `#[{0}]` or `#[{0}(...)]`, not `#[{0} = ...]`",
            path_name(attr)
        ))
        .with_span(&nv.eq_token)),
    }
}

/// Refuses any argument: `#[partition_key]` takes none.
pub fn parse_marker(attr: &Attribute) -> darling::Result<()> {
    match &attr.meta {
        Meta::Path(_) => Ok(()),
        Meta::List(list) => Err(darling::Error::custom(format!(
            "`#[{}]` takes no arguments",
            path_name(attr)
        ))
        .with_span(&list.tokens)),
        Meta::NameValue(nv) => Err(darling::Error::custom(format!(
            "`#[{}]` takes no value",
            path_name(attr)
        ))
        .with_span(&nv.value)),
    }
}

fn path_name(attr: &Attribute) -> String {
    attr.path()
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// The span of the attribute's name (`index` in `#[index(local)]`).
pub fn name_span(attr: &Attribute) -> Span {
    attr.path().span()
}
