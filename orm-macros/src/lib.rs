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
///
/// Index features (`shared/specs/index-math.md`; the write side is built, typed range queries
/// are not yet):
///
/// - `#[hash_index(bucketing(1, 4, 5))]` on the bucketed integer column (optionally
///   `week_code` for a YYWW column, `max_waste = n`, `max_statements = n`) and `#[hash_index]`
///   on each other source (an integer, or a `Vec`/`BTreeSet`/`HashSet` of integers; never
///   `Option`): 2 or 3 sources in field order. `name = "..."` groups the sources of one index
///   when a model has several (a field may carry one attribute per group). Hidden `set<int>`
///   columns `zz_hb_<c1>_<c2>..._b<size>`, each with a global index on its values.
/// - `#[packed_index]` on the first component and `#[packed_index(decimal_size = n)]` on each
///   later one (field order, at least 2, integer scalars, never `Option`); `int32` on any
///   component selects an `int` column (sizes summing to at most 8; else `bigint`, at most 18);
///   `view` selects a materialized view instead of the default local index; `name = "..."`
///   groups. Hidden column `zz_ixp_<c1>_<c2>...`.
///
/// Index and view names longer than ScyllaDB's 48 characters are shortened deterministically
/// (`orm_runtime::schema::names`). Every insert computes the hidden values first (an invalid
/// week code or a negative packed component writes nothing); an update that sets a source must
/// set all the non-key sources of its hidden columns, which are then recomputed in the same
/// statement (else `Error::StaleIndexUpdate`).
///
/// Generated for `struct Foo`:
/// - `impl orm_runtime::Model for Foo`: static metadata (`META`: table, columns with CQL types,
///   keys, indexes, hidden columns) and statements with explicit column lists
///   (`INSERT_CQL`, `SELECT_BY_PK_CQL`, `DELETE_BY_PK_CQL`, `CREATE_TABLE_CQL`).
/// - the driver's `SerializeRow` and `DeserializeRow`, matching columns by name.
/// - `FooColumns`: typed column handles for predicates (`.filter(|c| c.status.eq(3))`).
/// - `FooUpdate`: `set_<field>` for every regular column, `add_<field>` / `remove_<field>` for
///   collections (refused at execute time on a hash index source), `execute(&db)`.
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
#[cfg(test)]
mod tests_index;
