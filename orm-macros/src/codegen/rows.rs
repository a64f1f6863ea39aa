//! The driver's `SerializeRow` and `DeserializeRow` for the model, matching columns by name.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::Model;

pub fn generate(m: &Model) -> TokenStream {
    let ident = &m.ident;
    let p = quote!(::orm_runtime::__private);
    let s = quote!(::orm_runtime::__private::scylla);

    let names: Vec<&String> = m.fields.iter().map(|f| &f.column).collect();
    let fields: Vec<_> = m.fields.iter().map(|f| &f.ident).collect();
    let tys: Vec<_> = m.fields.iter().map(|f| &f.ty).collect();
    let vars: Vec<_> = m
        .fields
        .iter()
        .map(|f| format_ident!("__orm_{}", f.ident))
        .collect();
    let idx: Vec<usize> = (0..m.fields.len()).collect();
    let n = m.fields.len();
    let compute_hidden = if m.hidden.is_empty() {
        quote!(let __orm_hidden: ::std::vec::Vec<#p::HiddenValue> = ::std::vec::Vec::new();)
    } else {
        quote!(let __orm_hidden = #p::hidden_values_for_serialize::<Self>(self)?;)
    };

    quote! {
        #[automatically_derived]
        impl #s::serialize::row::SerializeRow for #ident {
            fn serialize(
                &self,
                ctx: &#s::serialize::row::RowSerializationContext<'_>,
                writer: &mut #s::serialize::writers::RowWriter<'_>,
            ) -> ::core::result::Result<(), #s::serialize::SerializationError> {
                #compute_hidden
                <Self as ::orm_runtime::Model>::__serialize_with_hidden(self, &__orm_hidden, ctx, writer)
            }

            fn is_empty(&self) -> bool {
                false
            }
        }

        #[automatically_derived]
        impl<'frame, 'metadata> #s::deserialize::row::DeserializeRow<'frame, 'metadata> for #ident {
            fn type_check(
                specs: &[#s::frame::response::result::ColumnSpec<'_>],
            ) -> ::core::result::Result<(), #s::deserialize::TypeCheckError> {
                let mut seen = [false; #n];
                for (index, spec) in specs.iter().enumerate() {
                    match spec.name() {
                        #(#names => #p::type_check_column::<Self, #tys>(specs, index, &mut seen[#idx], #names)?,)*
                        _ => #p::unknown_result_column::<Self>(specs, index)?,
                    }
                }
                const NAMES: [&str; #n] = [#(#names),*];
                #p::missing_result_columns::<Self>(
                    specs,
                    NAMES.iter().zip(seen).filter(|(_, seen)| !*seen).map(|(name, _)| *name).collect(),
                )
            }

            fn deserialize(
                row: #s::deserialize::row::ColumnIterator<'frame, 'metadata>,
            ) -> ::core::result::Result<Self, #s::deserialize::DeserializationError> {
                #(let mut #vars: ::core::option::Option<#tys> = ::core::option::Option::None;)*
                for column in row {
                    let column = column?;
                    match column.spec.name() {
                        #(#names => #vars = ::core::option::Option::Some(#p::deserialize_column::<Self, #tys>(column)?),)*
                        _ => {}
                    }
                }
                ::core::result::Result::Ok(Self {
                    #(#fields: #p::take_field(#vars, #names)?,)*
                })
            }
        }
    }
}

/// The `Model` methods behind the write path: `__serialize_with_hidden` (bind markers matched
/// by name, hidden columns from precomputed values) and `__index_sources` (the values of every
/// hash / packed index source).
pub fn model_methods(m: &Model) -> TokenStream {
    let p = quote!(::orm_runtime::__private);
    let s = quote!(::orm_runtime::__private::scylla);
    let names: Vec<&String> = m.fields.iter().map(|f| &f.column).collect();
    let fields: Vec<_> = m.fields.iter().map(|f| &f.ident).collect();
    let hidden_names: Vec<&String> = m.hidden.iter().map(|h| &h.name).collect();
    let hidden_pos: Vec<usize> = (0..m.hidden.len()).collect();
    let sources = index_source_fields(m).into_iter().map(|fi| {
        let f = &m.fields[fi];
        let ident = &f.ident;
        let column = &f.column;
        if f.mapped.kind.is_collection() {
            quote!((#column, #p::collection_source(&self.#ident)))
        } else {
            quote!((#column, #p::scalar_source(&self.#ident)))
        }
    });
    let index_sources = if m.hidden.is_empty() {
        quote!()
    } else {
        quote! {
            fn __index_sources(&self) -> ::std::vec::Vec<(&'static str, #p::SourceValue<'static>)> {
                ::std::vec![#(#sources),*]
            }
        }
    };
    quote! {
        #index_sources

        fn __serialize_with_hidden(
            &self,
            hidden: &[#p::HiddenValue],
            ctx: &#s::serialize::row::RowSerializationContext<'_>,
            writer: &mut #s::serialize::writers::RowWriter<'_>,
        ) -> ::core::result::Result<(), #s::serialize::SerializationError> {
            let _ = hidden;
            for spec in ctx.columns() {
                match spec.name() {
                    #(#names => #p::serialize_column::<Self>(&self.#fields, spec, writer)?,)*
                    #(#hidden_names => #p::serialize_column::<Self>(
                        #p::hidden_at::<Self>(hidden, #hidden_pos, #hidden_names)?, spec, writer)?,)*
                    other => return ::core::result::Result::Err(#p::unknown_bind_marker::<Self>(other)),
                }
            }
            ::core::result::Result::Ok(())
        }
    }
}

/// Positions (in `Model::fields`) of every field that is a source of a hash or packed index,
/// in field order.
pub fn index_source_fields(m: &Model) -> Vec<usize> {
    let mut out: Vec<usize> = m
        .hash_indexes
        .iter()
        .flat_map(|h| h.sources.iter().map(|(f, _, _)| *f))
        .chain(
            m.packed_indexes
                .iter()
                .flat_map(|p| p.sources.iter().map(|(f, _)| *f)),
        )
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}
