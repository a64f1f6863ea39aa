//! `#[derive(Model)]` for the ScyllaDB ORM.
//!
//! Structure (after `serde_derive` and `scylla-macros`): `model` parses the struct and its
//! attributes into a typed model and validates it, accumulating every error with the span of
//! the offending token; `codegen` turns a valid model into the `Model`, `SerializeRow` and
//! `DeserializeRow` implementations, typed column handles, an update builder and typed finders.
//! `expand` is the testable entry point working on `proc_macro2` token streams.

use proc_macro::TokenStream;

mod codegen;
mod model;

/// Maps a struct with named fields to a ScyllaDB table.
///
/// Struct attribute: `#[model(table = "...")]` (default: snake_case of the struct name).
/// Field attributes: `#[partition_key]` (one or more, in declaration order),
/// `#[clustering_key]` / `#[clustering_key(desc)]` (in declaration order),
/// `#[column(name = "...")]`, `#[index]` (global; on a list or set it indexes the values, on a
/// map the values, or the keys with `#[index(keys)]`), `#[index(local)]` (scalar columns only).
/// `#[hash_index(...)]` and `#[packed_index(...)]` are reserved for the index features and are
/// compile errors for now.
///
/// Generated for `struct Foo`:
/// - `impl orm_runtime::Model for Foo`: static metadata (`META`: table, columns with CQL types,
///   keys, indexes, hidden columns) and statements with explicit column lists
///   (`INSERT_CQL`, `SELECT_BY_PK_CQL`, `DELETE_BY_PK_CQL`, `CREATE_TABLE_CQL`).
/// - the driver's `SerializeRow` and `DeserializeRow`, matching columns by name.
/// - `FooColumns`: typed column handles for predicates (`.filter(|c| c.status.eq(3))`).
/// - `FooUpdate`: `set_<field>` for every regular column, `add_<field>` / `remove_<field>` for
///   collections, `execute(&db)`.
/// - inherent methods: `Foo::get(&db, pk..)`, `Foo::delete(&db, pk..)`, `foo.insert(&db)`,
///   `Foo::update(pk..)`, `Foo::select()`, `Foo::find_by_partition(partition key..)`, and
///   `Foo::find_by_<field>(..)` for each indexed field only (a local index also takes the
///   partition key).
///
/// Every invalid declaration is a compile error pointing at the offending token; all of them
/// are reported at once.
#[proc_macro_derive(
    Model,
    attributes(
        model,
        partition_key,
        clustering_key,
        column,
        index,
        hash_index,
        packed_index
    )
)]
pub fn derive_model(input: TokenStream) -> TokenStream {
    expand(input.into()).into()
}

/// Expands `#[derive(Model)]` on the given item: the generated code, or `compile_error!`s
/// carrying the span of every invalid declaration.
pub(crate) fn expand(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    match model::Model::from_derive_input(&input) {
        Ok(model) => codegen::generate(&model),
        Err(errors) => errors.write_errors(),
    }
}

#[cfg(test)]
mod tests;
