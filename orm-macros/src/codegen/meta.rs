//! `impl orm_runtime::Model`: static metadata and statement constants.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::cql;
use crate::model::ty::CqlKind;
use crate::model::{HiddenKind, IndexTarget, Model, Role};

fn shape(kind: &CqlKind) -> TokenStream {
    match kind {
        CqlKind::Native(_) => quote!(::orm_runtime::TypeShape::Scalar),
        CqlKind::List(_) => quote!(::orm_runtime::TypeShape::List),
        CqlKind::Set(_) => quote!(::orm_runtime::TypeShape::Set),
        CqlKind::Map(..) => quote!(::orm_runtime::TypeShape::Map),
    }
}

fn target(t: IndexTarget) -> TokenStream {
    match t {
        IndexTarget::Value => quote!(::orm_runtime::IndexTarget::Value),
        IndexTarget::Values => quote!(::orm_runtime::IndexTarget::Values),
        IndexTarget::Keys => quote!(::orm_runtime::IndexTarget::Keys),
    }
}

fn index_meta(name: &str, column: &str, local: bool, t: IndexTarget) -> TokenStream {
    let scope = if local {
        quote!(::orm_runtime::IndexScope::Local)
    } else {
        quote!(::orm_runtime::IndexScope::Global)
    };
    let target = target(t);
    quote! {
        ::orm_runtime::IndexMeta { name: #name, column: #column, scope: #scope, target: #target }
    }
}

pub fn generate(m: &Model) -> TokenStream {
    let ident = &m.ident;
    let columns_ident = format_ident!("{}Columns", ident);
    let table = &m.table;

    let mut pk_pos = 0usize;
    let mut ck_pos = 0usize;
    let columns = m.fields.iter().map(|f| {
        let name = &f.column;
        let field = f.ident.to_string();
        let cql_type = f.mapped.kind.cql();
        let kind = match f.role {
            Role::PartitionKey => {
                let p = pk_pos;
                pk_pos += 1;
                quote!(::orm_runtime::ColumnKind::PartitionKey { position: #p })
            }
            Role::Clustering { desc } => {
                let p = ck_pos;
                ck_pos += 1;
                quote!(::orm_runtime::ColumnKind::Clustering { position: #p, desc: #desc })
            }
            Role::Regular => quote!(::orm_runtime::ColumnKind::Regular),
        };
        let shape = shape(&f.mapped.kind);
        let nullable = f.mapped.nullable;
        quote! {
            ::orm_runtime::ColumnMeta {
                name: #name, field: #field, cql_type: #cql_type, kind: #kind, shape: #shape, nullable: #nullable,
            }
        }
    });
    let pk_names = m.partition_key().map(|f| &f.column);
    let ck_names = m.clustering_key().map(|f| &f.column);
    let indexes = m.fields.iter().filter_map(|f| {
        f.index
            .as_ref()
            .map(|i| index_meta(&i.name, &f.column, i.local, i.target))
    });
    let hidden = m.hidden.iter().map(|h| {
        let name = &h.name;
        let cql_type = &h.cql_type;
        let shape = if h.is_collection { quote!(::orm_runtime::TypeShape::Set) } else { quote!(::orm_runtime::TypeShape::Scalar) };
        let sources = &h.sources;
        let index = match &h.index {
            Some(i) => {
                let meta = index_meta(&i.name, &h.name, i.local, i.target);
                quote!(::core::option::Option::Some(#meta))
            }
            None => quote!(::core::option::Option::None),
        };
        let kind = match h.kind {
            HiddenKind::BucketHash { index, size } => {
                quote!(::orm_runtime::HiddenKind::BucketHash { index: #index, size: #size })
            }
            HiddenKind::Packed { index } => quote!(::orm_runtime::HiddenKind::Packed { index: #index }),
        };
        quote! {
            ::orm_runtime::HiddenColumnMeta {
                name: #name, cql_type: #cql_type, shape: #shape, sources: &[#(#sources),*], index: #index, kind: #kind,
            }
        }
    });
    let views = m.views.iter().map(|v| {
        let name = &v.name;
        let pk = &v.partition_key;
        let ck = &v.clustering_key;
        quote! {
            ::orm_runtime::ViewMeta { name: #name, partition_key: &[#(#pk),*], clustering_key: &[#(#ck),*] }
        }
    });
    let hash_defs: Vec<TokenStream> = m
        .hash_indexes
        .iter()
        .map(|h| {
            let name = &h.name;
            let sources = h.sources.iter().map(|(_, c, collection)| {
                if *collection {
                    quote!(::orm_runtime::bucketing::HashSource::collection(#c))
                } else {
                    quote!(::orm_runtime::bucketing::HashSource::scalar(#c))
                }
            });
            let bucketed = h.bucketed;
            let sizes = &h.sizes;
            let week_code = h.week_code;
            let max_waste = match h.max_waste {
                Some(w) => quote!(::core::option::Option::Some(#w)),
                None => quote!(::core::option::Option::None),
            };
            let max_statements = match h.max_statements {
                Some(n) => quote!(::core::option::Option::Some(#n)),
                None => quote!(::core::option::Option::None),
            };
            quote! {
                ::orm_runtime::bucketing::HashIndexDef {
                    name: #name,
                    sources: &[#(#sources),*],
                    bucketed: #bucketed,
                    sizes: &[#(#sizes),*],
                    week_code: #week_code,
                    max_waste: #max_waste,
                    max_statements: #max_statements,
                }
            }
        })
        .collect();
    let packed_defs: Vec<TokenStream> = m.packed_indexes.iter().map(|p| {
        let name = &p.name;
        let components = p.sources.iter().map(|(_, c)| c);
        let output = if p.int32 {
            quote!(::orm_runtime::packing::PackedOutput::Int32)
        } else {
            quote!(::orm_runtime::packing::PackedOutput::Int64)
        };
        let sizes = p.decimal_sizes.iter().map(|d| match d {
            Some(n) => quote!(::core::option::Option::Some(#n)),
            None => quote!(::core::option::Option::None),
        });
        let backing = if p.view {
            quote!(::orm_runtime::packing::PackedBacking::View)
        } else {
            quote!(::orm_runtime::packing::PackedBacking::LocalIndex)
        };
        // Validated by the macro with spans; `PackedLayout::new` re-checks in a const context.
        quote! {
            ::orm_runtime::packing::PackedIndexDef {
                name: #name,
                components: &[#(#components),*],
                layout: match ::orm_runtime::packing::PackedLayout::new(#output, &[#(#sizes),*]) {
                    ::core::result::Result::Ok(layout) => layout,
                    ::core::result::Result::Err(_) => ::core::panic!("invalid packed index layout"),
                },
                backing: #backing,
                max_statements: ::core::option::Option::None,
            }
        }
    }).collect();

    let pk_tys: Vec<_> = m.primary_key().map(|f| &f.ty).collect();
    let pk_fields: Vec<_> = m.primary_key().map(|f| &f.ident).collect();
    let part_tys: Vec<_> = m.partition_key().map(|f| &f.ty).collect();
    let part_fields: Vec<_> = m.partition_key().map(|f| &f.ident).collect();

    let model_methods = super::rows::model_methods(m);
    let select_columns = cql::select_columns(m);
    let insert = cql::insert(m);
    let select_by_pk = cql::select_by_pk(m);
    let delete_by_pk = cql::delete_by_pk(m);
    let create_table = cql::create_table(m);

    let hash_checks = hash_defs.iter().map(|d| {
        quote! {
            const _: () = ::core::assert!(
                (#d).validate().is_ok(),
                "invalid hash index definition"
            );
        }
    });

    quote! {
        #(#hash_checks)*

        #[automatically_derived]
        impl ::orm_runtime::Model for #ident {
            type PrimaryKey = (#(#pk_tys,)*);
            type PartitionKey = (#(#part_tys,)*);
            type Columns = #columns_ident;

            const META: &'static ::orm_runtime::TableMeta = &::orm_runtime::TableMeta {
                table: #table,
                columns: &[#(#columns),*],
                partition_key: &[#(#pk_names),*],
                clustering_key: &[#(#ck_names),*],
                indexes: &[#(#indexes),*],
                hidden_columns: &[#(#hidden),*],
                views: &[#(#views),*],
                hash_indexes: &[#(#hash_defs),*],
                packed_indexes: &[#(#packed_defs),*],
            };
            const TABLE: &'static str = #table;
            const SELECT_COLUMNS: &'static str = #select_columns;
            const INSERT_CQL: &'static str = #insert;
            const SELECT_BY_PK_CQL: &'static str = #select_by_pk;
            const DELETE_BY_PK_CQL: &'static str = #delete_by_pk;
            const CREATE_TABLE_CQL: &'static str = #create_table;

            fn primary_key(&self) -> Self::PrimaryKey {
                (#(::core::clone::Clone::clone(&self.#pk_fields),)*)
            }
            fn partition_key(&self) -> Self::PartitionKey {
                (#(::core::clone::Clone::clone(&self.#part_fields),)*)
            }
            fn columns() -> &'static Self::Columns {
                const COLUMNS: #columns_ident = #columns_ident::new();
                &COLUMNS
            }

            #model_methods
        }
    }
}
