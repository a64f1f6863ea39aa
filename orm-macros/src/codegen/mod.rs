//! Code generation from a validated [`Model`].

mod api;
pub mod cql;
mod meta;
mod query;
mod rows;

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::Model;

/// Everything `#[derive(Model)]` emits for a valid model.
pub fn generate(model: &Model) -> TokenStream {
    let rows = rows::generate(model);
    let meta = meta::generate(model);
    let api = api::generate(model);
    let query = query::generate(model);
    quote! {
        #rows
        #meta
        #api
        #query
    }
}
