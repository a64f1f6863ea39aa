//! `impl orm_runtime::Model`: static metadata and statement constants.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::cql;
use crate::model::ty::CqlKind;
use crate::model::{IndexTarget, Model, Role};

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
        let index = index_meta(&h.index_name, &h.name, h.index_local, h.index_target);
        quote! {
            ::orm_runtime::HiddenColumnMeta {
                name: #name, cql_type: #cql_type, shape: #shape, sources: &[#(#sources),*], index: #index,
            }
        }
    });

    let pk_tys: Vec<_> = m.primary_key().map(|f| &f.ty).collect();
    let pk_fields: Vec<_> = m.primary_key().map(|f| &f.ident).collect();
    let part_tys: Vec<_> = m.partition_key().map(|f| &f.ty).collect();
    let part_fields: Vec<_> = m.partition_key().map(|f| &f.ident).collect();

    let select_columns = cql::select_columns(m);
    let insert = cql::insert(m);
    let select_by_pk = cql::select_by_pk(m);
    let delete_by_pk = cql::delete_by_pk(m);
    let create_table = cql::create_table(m);

    quote! {
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
                views: &[],
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
        }
    }
}
