//! `<Struct>Query` and `<Struct>::query()`: typed reads through the model's `#[hash_index]` and
//! `#[packed_index]` declarations. Methods exist only for what the declarations support:
//! partition-key equality, `x(v)` / `x_in(vs)` on scalar sources and packed components,
//! `x_contains(v)` on collection sources, `x_between` / `_ge` / `_gt` / `_le` / `_lt` on
//! bucketed columns and packed components. The runtime (`orm_runtime::IndexQuery`) chooses the
//! index, plans and executes.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::{Model, Role};

#[derive(Default, Clone, Copy)]
struct Caps {
    eq: bool,
    in_: bool,
    contains: bool,
    range: bool,
}

pub fn generate(m: &Model) -> TokenStream {
    if m.hash_indexes.is_empty() && m.packed_indexes.is_empty() {
        return quote!();
    }
    let ident = &m.ident;
    let vis = &m.vis;
    let query_ident = format_ident!("{}Query", ident);
    let rt = quote!(::orm_runtime);

    let mut caps = vec![Caps::default(); m.fields.len()];
    let mut is_source = vec![false; m.fields.len()];
    let mut served_by: Vec<Vec<String>> = vec![Vec::new(); m.fields.len()];
    for h in &m.hash_indexes {
        for (pos, (fi, _, collection)) in h.sources.iter().enumerate() {
            is_source[*fi] = true;
            served_by[*fi].push(format!("hash index `{}`", h.name));
            let c = &mut caps[*fi];
            if pos == h.bucketed {
                c.eq = true;
                c.range = true;
            } else if *collection {
                c.contains = true;
            } else {
                c.eq = true;
                c.in_ = true;
            }
        }
    }
    for p in &m.packed_indexes {
        for (fi, _) in &p.sources {
            is_source[*fi] = true;
            served_by[*fi].push(format!("packed index `{}`", p.name));
            let c = &mut caps[*fi];
            c.eq = true;
            c.in_ = true;
            c.range = true;
        }
    }

    let partition = m.fields.iter().enumerate().filter(|(_, f)| f.role == Role::PartitionKey).map(|(fi, f)| {
        let field = &f.ident;
        let ty = &f.mapped.inner;
        let name = &f.column;
        let doc = format!("`{name} = ?` (partition key: required).");
        let source = if is_source[fi] {
            quote!(::core::option::Option::Some(::core::convert::Into::<i64>::into(::core::clone::Clone::clone(&value))))
        } else {
            quote!(::core::option::Option::None)
        };
        quote! {
            #[doc = #doc]
            pub fn #field(self, value: impl #rt::IntoValue<#ty>) -> Self {
                let value: #ty = #rt::IntoValue::into_value(value);
                let source = #source;
                #query_ident { inner: self.inner.partition(#name, #rt::BoundValue::new(value), source) }
            }
        }
    });

    let predicates = m.fields.iter().enumerate().filter(|(fi, f)| f.role != Role::PartitionKey && is_source[*fi]).map(|(fi, f)| {
        let c = caps[fi];
        let field = &f.ident;
        let ty = &f.mapped.inner;
        let name = &f.column;
        let by = served_by[fi].join(", ");
        let mut out = TokenStream::new();
        let pred = |method: proc_macro2::Ident, op: &str, variant: TokenStream| {
            let doc = format!("`{name} {op}` (served by {by}).");
            quote! {
                #[doc = #doc]
                pub fn #method(self, value: #ty) -> Self {
                    let value: i64 = ::core::convert::Into::<i64>::into(value);
                    #query_ident { inner: self.inner.and(#name, #rt::IndexPredicate::#variant(value)) }
                }
            }
        };
        if c.eq {
            out.extend(pred(field.clone(), "= ?", quote!(Eq)));
        }
        if c.in_ {
            let method = format_ident!("{}_in", field);
            let doc = format!("`{name} IN (...)` (served by {by}; one lookup per value).");
            out.extend(quote! {
                #[doc = #doc]
                pub fn #method(self, values: impl ::core::iter::IntoIterator<Item = #ty>) -> Self {
                    let values: ::std::vec::Vec<i64> = ::core::iter::IntoIterator::into_iter(values)
                        .map(::core::convert::Into::<i64>::into)
                        .collect();
                    #query_ident { inner: self.inner.and(#name, #rt::IndexPredicate::In(values)) }
                }
            });
        }
        if c.contains
            && let Some(element) = &f.mapped.element
        {
            let method = format_ident!("{}_contains", field);
            let doc = format!("`{name} CONTAINS ?` (served by {by}).");
            out.extend(quote! {
                #[doc = #doc]
                pub fn #method(self, value: #element) -> Self {
                    let value: i64 = ::core::convert::Into::<i64>::into(value);
                    #query_ident { inner: self.inner.and(#name, #rt::IndexPredicate::Contains(value)) }
                }
            });
        }
        if c.range {
            out.extend(pred(format_ident!("{}_gt", field), "> ?", quote!(Gt)));
            out.extend(pred(format_ident!("{}_ge", field), ">= ?", quote!(Ge)));
            out.extend(pred(format_ident!("{}_lt", field), "< ?", quote!(Lt)));
            out.extend(pred(format_ident!("{}_le", field), "<= ?", quote!(Le)));
            let method = format_ident!("{}_between", field);
            let doc = format!("`{name} >= from AND {name} <= to` (served by {by}).");
            out.extend(quote! {
                #[doc = #doc]
                pub fn #method(self, from: #ty, to: #ty) -> Self {
                    let from: i64 = ::core::convert::Into::<i64>::into(from);
                    let to: i64 = ::core::convert::Into::<i64>::into(to);
                    #query_ident { inner: self.inner.and(#name, #rt::IndexPredicate::Between(from, to)) }
                }
            });
        }
        out
    });

    let doc = format!(
        "A typed read of [`{ident}`] through its hash / packed indexes (from [`{ident}::query`]): \
         restrict the partition key, add predicates, then `.explain()` or `.all(&db)`."
    );
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone)]
        #[must_use = "a query does nothing until `.all(&db)`"]
        #vis struct #query_ident {
            inner: #rt::IndexQuery<#ident>,
        }

        impl #ident {
            /// A typed read through this model's `#[hash_index]` / `#[packed_index]`
            /// declarations: rows are read with one statement per bucket or packed value
            /// (never a silent `ALLOW FILTERING`) and filtered exactly on every predicate.
            pub fn query() -> #query_ident {
                #query_ident { inner: #rt::IndexQuery::new() }
            }
        }

        #[allow(clippy::should_implement_trait)]
        impl #query_ident {
            #(#partition)*
            #(#predicates)*

            /// Packed ranges a local index cannot serve with few lookups: read them with one
            /// single-partition `ALLOW FILTERING` statement instead of failing.
            pub fn allow_filtering(self) -> Self {
                #query_ident { inner: self.inner.allow_filtering() }
            }

            /// Overrides the index's cap on statements per read.
            pub fn max_statements(self, n: usize) -> Self {
                #query_ident { inner: self.inner.max_statements(n) }
            }

            /// Bounds the statements of this read in flight at once.
            pub fn concurrency(self, n: usize) -> Self {
                #query_ident { inner: self.inner.concurrency(n) }
            }

            /// The plan (index, buckets or strategy, waste, statements); nothing is sent.
            pub fn explain(&self) -> #rt::Result<#rt::Explain> {
                self.inner.explain()
            }

            /// Every matching row (in no particular order).
            pub async fn all(&self, db: &#rt::Db) -> #rt::Result<::std::vec::Vec<#ident>> {
                self.inner.all(db).await
            }

            /// The untyped query.
            pub fn into_inner(self) -> #rt::IndexQuery<#ident> {
                self.inner
            }
        }
    }
}
