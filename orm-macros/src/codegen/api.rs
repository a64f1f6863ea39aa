//! The typed API: `<Struct>Columns` (typed column handles), `<Struct>Update` (an update of
//! chosen columns), and inherent methods: `get`, `delete`, `insert`, `update`, `select`,
//! `find_by_partition` and one `find_by_<field>` per indexed field. A field without an index
//! gets no finder, so calling one is a compile error.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::ty::CqlKind;
use crate::model::{IndexTarget, Model, Role};

pub fn generate(m: &Model) -> TokenStream {
    let ident = &m.ident;
    let vis = &m.vis;
    let columns_ident = format_ident!("{}Columns", ident);
    let update_ident = format_ident!("{}Update", ident);
    let db = quote!(::orm_runtime::Db);
    // The `&Db` parameter of `get` / `delete`, renamed if a key field is called `db`.
    let db_arg = if m.primary_key().any(|f| f.ident == "db") {
        format_ident!("__db")
    } else {
        format_ident!("db")
    };
    let res = quote!(::orm_runtime::Result);

    // Column handles.
    let col_fields: Vec<_> = m.fields.iter().map(|f| &f.ident).collect();
    let col_names: Vec<_> = m.fields.iter().map(|f| &f.column).collect();
    let col_tys: Vec<_> = m.fields.iter().map(|f| &f.mapped.inner).collect();
    let col_docs: Vec<String> = m
        .fields
        .iter()
        .map(|f| format!("Column `{}` ({}).", f.column, f.mapped.kind.cql()))
        .collect();
    let columns_doc = format!(
        "Typed column handles of [`{ident}`], for predicates: `.filter(|c| c.field.eq(v))`."
    );

    // Primary key parameters.
    let pk_idents: Vec<_> = m.primary_key().map(|f| &f.ident).collect();
    let pk_tys: Vec<_> = m.primary_key().map(|f| &f.ty).collect();
    let part_idents: Vec<_> = m.partition_key().map(|f| &f.ident).collect();
    let part_tys: Vec<_> = m.partition_key().map(|f| &f.ty).collect();

    // Index sources: their setters record the value so hidden columns are recomputed.
    let source_fields = super::rows::index_source_fields(m);
    let source_value = |fi: usize, var: &proc_macro2::Ident| {
        if m.fields[fi].mapped.kind.is_collection() {
            quote!(::orm_runtime::__private::collection_source(&#var))
        } else {
            quote!(::orm_runtime::__private::scalar_source(&#var))
        }
    };
    let value_ident = format_ident!("value");

    // Update setters for regular columns; `add_` / `remove_` for collections.
    let setters = m.fields.iter().enumerate().filter(|(_, f)| f.role == Role::Regular).map(|(fi, f)| {
        let field = &f.ident;
        let ty = &f.ty;
        let inner = &f.mapped.inner;
        let name = &f.column;
        let setter = format_ident!("set_{}", field);
        let set = if source_fields.contains(&fi) {
            let hidden: Vec<&str> = m
                .hidden
                .iter()
                .filter(|h| h.sources.contains(&f.column))
                .map(|h| h.name.as_str())
                .collect();
            let sources: Vec<&str> = m
                .hidden
                .iter()
                .filter(|h| h.sources.contains(&f.column))
                .flat_map(|h| h.sources.iter().map(String::as_str))
                .fold(Vec::new(), |mut acc, s| {
                    if !acc.contains(&s) {
                        acc.push(s);
                    }
                    acc
                });
            let doc = format!(
                "`SET {name} = ?`, recomputing the hidden index column(s) `{}`. `{name}` is an index \
                 source: the update must also set every other non-key source of those columns (`{}`), \
                 else `execute` returns `Error::StaleIndexUpdate`.",
                hidden.join("`, `"),
                sources.join("`, `"),
            );
            let source = source_value(fi, &value_ident);
            quote! {
                #[doc = #doc]
                pub fn #setter(self, value: impl ::orm_runtime::IntoValue<#ty>) -> Self {
                    let value: #ty = ::orm_runtime::IntoValue::into_value(value);
                    let source = #source;
                    #update_ident {
                        inner: self.inner.set_source(#name, ::orm_runtime::BoundValue::new(value), source),
                    }
                }
            }
        } else {
            let doc = format!("`SET {name} = ?`");
            quote! {
                #[doc = #doc]
                pub fn #setter(self, value: impl ::orm_runtime::IntoValue<#ty>) -> Self {
                    let value: #ty = ::orm_runtime::IntoValue::into_value(value);
                    #update_ident { inner: self.inner.set(#name, ::orm_runtime::BoundValue::new(value)) }
                }
            }
        };
        if !f.mapped.kind.is_collection() {
            return set;
        }
        let adder = format_ident!("add_{}", field);
        let remover = format_ident!("remove_{}", field);
        let add_doc = match f.mapped.kind {
            CqlKind::List(_) => format!("`SET {name} = {name} + ?`: appends the elements."),
            CqlKind::Set(_) => format!("`SET {name} = {name} + ?`: adds the elements."),
            _ => format!("`SET {name} = {name} + ?`: puts the entries."),
        };
        let add = quote! {
            #[doc = #add_doc]
            pub fn #adder(self, value: impl ::orm_runtime::IntoValue<#inner>) -> Self {
                let value: #inner = ::orm_runtime::IntoValue::into_value(value);
                #update_ident {
                    inner: self.inner.assign(#name, ::orm_runtime::query::Assignment::Add, ::orm_runtime::BoundValue::new(value)),
                }
            }
        };
        let remove = match (&f.mapped.kind, &f.mapped.key) {
            (CqlKind::Map(..), Some(key)) => {
                let doc = format!("`SET {name} = {name} - ?`: removes the entries with these keys.");
                quote! {
                    #[doc = #doc]
                    pub fn #remover(self, keys: impl ::core::iter::IntoIterator<Item = #key>) -> Self {
                        let keys: ::std::vec::Vec<#key> = ::core::iter::IntoIterator::into_iter(keys).collect();
                        #update_ident {
                            inner: self.inner.assign(#name, ::orm_runtime::query::Assignment::Remove, ::orm_runtime::BoundValue::new(keys)),
                        }
                    }
                }
            }
            _ => {
                let doc = format!("`SET {name} = {name} - ?`: removes every occurrence of the elements.");
                quote! {
                    #[doc = #doc]
                    pub fn #remover(self, value: impl ::orm_runtime::IntoValue<#inner>) -> Self {
                        let value: #inner = ::orm_runtime::IntoValue::into_value(value);
                        #update_ident {
                            inner: self.inner.assign(#name, ::orm_runtime::query::Assignment::Remove, ::orm_runtime::BoundValue::new(value)),
                        }
                    }
                }
            }
        };
        quote!(#set #add #remove)
    });

    // Finders on indexes.
    let finders = m.fields.iter().filter_map(|f| {
        let index = f.index.as_ref()?;
        let field = &f.ident;
        let finder = format_ident!("find_by_{}", field);
        let (param_ty, pred, what) = match index.target {
            IndexTarget::Value => (f.mapped.inner.clone(), quote!(eq), "`{col} = ?`"),
            IndexTarget::Values => (f.mapped.element.clone()?, quote!(contains), "`{col} CONTAINS ?`"),
            IndexTarget::Keys => (f.mapped.key.clone()?, quote!(contains_key), "`{col} CONTAINS KEY ?`"),
        };
        let what = what.replace("{col}", &f.column);
        if index.local {
            let doc = format!(
                "Rows of one partition with {what}, served by the local index `{}`.",
                index.name
            );
            Some(quote! {
                #[doc = #doc]
                pub fn #finder(
                    #(#part_idents: impl ::orm_runtime::IntoValue<#part_tys>,)*
                    #field: impl ::orm_runtime::IntoValue<#param_ty>,
                ) -> ::orm_runtime::Select<Self> {
                    let __orm_columns = <Self as ::orm_runtime::Model>::columns();
                    ::orm_runtime::Select::new()
                        #(.and(__orm_columns.#part_idents.eq(#part_idents)))*
                        .and(__orm_columns.#field.#pred(#field))
                }
            })
        } else {
            let doc = format!("Rows with {what}, served by the global index `{}`.", index.name);
            Some(quote! {
                #[doc = #doc]
                pub fn #finder(#field: impl ::orm_runtime::IntoValue<#param_ty>) -> ::orm_runtime::Select<Self> {
                    let __orm_columns = <Self as ::orm_runtime::Model>::columns();
                    ::orm_runtime::Select::new().and(__orm_columns.#field.#pred(#field))
                }
            })
        }
    });

    // Key columns that are index sources: their values come from the update's key.
    let key_sources: Vec<usize> = source_fields
        .iter()
        .copied()
        .filter(|fi| m.fields[*fi].role != Role::Regular)
        .collect();
    let key_source_vars: Vec<_> = key_sources
        .iter()
        .map(|fi| format_ident!("__orm_source_{}", m.fields[*fi].ident))
        .collect();
    let key_source_values: Vec<_> = key_sources
        .iter()
        .map(|fi| source_value(*fi, &m.fields[*fi].ident))
        .collect();
    let key_source_names: Vec<&String> =
        key_sources.iter().map(|fi| &m.fields[*fi].column).collect();

    let update_doc =
        format!("An update of chosen columns of one [`{ident}`] row (see [`{ident}::update`]).");

    quote! {
        #[doc = #columns_doc]
        #[derive(Debug, Clone, Copy)]
        #vis struct #columns_ident {
            #(#[doc = #col_docs] pub #col_fields: ::orm_runtime::Column<#ident, #col_tys>,)*
        }

        impl #columns_ident {
            /// The handles.
            pub const fn new() -> Self {
                #columns_ident { #(#col_fields: ::orm_runtime::Column::new(#col_names),)* }
            }
        }

        impl ::core::default::Default for #columns_ident {
            fn default() -> Self {
                Self::new()
            }
        }

        #[doc = #update_doc]
        #[derive(Debug)]
        #[must_use = "an update does nothing until `.execute(&db)`"]
        #vis struct #update_ident {
            inner: ::orm_runtime::Update<#ident>,
        }

        impl #update_ident {
            #(#setters)*

            /// Runs the update (an upsert, like every CQL `UPDATE`).
            pub async fn execute(&self, db: &#db) -> #res<()> {
                self.inner.execute(db).await
            }

            /// The untyped update.
            pub fn into_inner(self) -> ::orm_runtime::Update<#ident> {
                self.inner
            }
        }

        #[allow(clippy::too_many_arguments)]
        impl #ident {
            /// The row with this primary key, if any.
            pub async fn get(#db_arg: &#db, #(#pk_idents: impl ::orm_runtime::IntoValue<#pk_tys>),*) -> #res<::core::option::Option<Self>> {
                #db_arg.get::<Self>((#(::orm_runtime::IntoValue::<#pk_tys>::into_value(#pk_idents),)*)).await
            }

            /// Deletes the row with this primary key.
            pub async fn delete(#db_arg: &#db, #(#pk_idents: impl ::orm_runtime::IntoValue<#pk_tys>),*) -> #res<()> {
                #db_arg.delete::<Self>((#(::orm_runtime::IntoValue::<#pk_tys>::into_value(#pk_idents),)*)).await
            }

            /// Inserts (upserts) this row.
            pub async fn insert(&self, db: &#db) -> #res<()> {
                db.insert(self).await
            }

            /// An update of chosen columns of the row with this primary key.
            pub fn update(#(#pk_idents: impl ::orm_runtime::IntoValue<#pk_tys>),*) -> #update_ident {
                #(let #pk_idents: #pk_tys = ::orm_runtime::IntoValue::into_value(#pk_idents);)*
                #(let #key_source_vars = #key_source_values;)*
                #update_ident {
                    inner: ::orm_runtime::Update::new(::std::vec![#(::orm_runtime::BoundValue::new(#pk_idents)),*])
                        #(.source(#key_source_names, #key_source_vars))*,
                }
            }

            /// A select on this table; add predicates with `.filter(|c| ...)`.
            pub fn select() -> ::orm_runtime::Select<Self> {
                ::orm_runtime::Select::new()
            }

            /// The rows of one partition; narrow them with a clustering prefix or range via
            /// `.filter(|c| ...)`.
            pub fn find_by_partition(#(#part_idents: impl ::orm_runtime::IntoValue<#part_tys>),*) -> ::orm_runtime::Select<Self> {
                let __orm_columns = <Self as ::orm_runtime::Model>::columns();
                ::orm_runtime::Select::new()
                    #(.and(__orm_columns.#part_idents.eq(#part_idents)))*
            }

            #(#finders)*
        }
    }
}
