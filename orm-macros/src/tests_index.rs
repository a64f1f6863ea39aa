//! Unit tests of `#[hash_index]` and `#[packed_index]`: parsing, validation (every rule, with
//! the message) and the generated metadata and write path.

use proc_macro2::TokenStream;
use quote::quote;

use crate::expand;
use crate::model::index::{name_hash, schema_object_name};
use crate::model::{HiddenKind, IndexTarget, Model};

fn model(input: TokenStream) -> darling::Result<Model> {
    let input: syn::DeriveInput = syn::parse2(input).unwrap();
    Model::from_derive_input(&input)
}

fn errors(input: TokenStream) -> Vec<String> {
    match model(input) {
        Ok(_) => Vec::new(),
        Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
    }
}

/// Exactly one error, containing every needle.
fn one_error(input: TokenStream, needles: &[&str]) {
    let errs = errors(input);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    for n in needles {
        assert!(errs[0].contains(n), "missing {n:?} in {:?}", errs[0]);
    }
}

fn sale_order() -> TokenStream {
    quote! {
        struct SaleOrder {
            #[partition_key] empresa_id: i32,
            #[clustering_key] id: i64,
            #[hash_index] detail_products_ids: Vec<i64>,
            #[hash_index(bucketing(1, 4, 5), week_code)] week: i32,
            #[packed_index] status: i32,
            #[packed_index(int32, decimal_size = 8)] updated: i64,
        }
    }
}

#[test]
fn sale_order_model() {
    let m = model(sale_order()).unwrap();
    assert_eq!(m.hash_indexes.len(), 1);
    let h = &m.hash_indexes[0];
    assert_eq!(h.name, "detail_products_ids_week");
    assert_eq!(
        h.sources,
        [
            (2, "detail_products_ids".to_owned(), true),
            (3, "week".to_owned(), false)
        ]
    );
    assert_eq!(
        (h.bucketed, &h.sizes[..], h.week_code),
        (1, &[1, 4, 5][..], true)
    );
    assert_eq!((h.max_waste, h.max_statements), (None, None));

    let p = &m.packed_indexes[0];
    assert_eq!(p.name, "status_updated");
    assert_eq!(p.column, "zz_ixp_status_updated");
    assert_eq!(p.decimal_sizes, [None, Some(8)]);
    assert!(p.int32 && !p.view);

    let hidden: Vec<(&str, &str)> = m
        .hidden
        .iter()
        .map(|h| (h.name.as_str(), h.cql_type.as_str()))
        .collect();
    assert_eq!(
        hidden,
        [
            ("zz_hb_detail_products_ids_week_b1", "set<int>"),
            ("zz_hb_detail_products_ids_week_b4", "set<int>"),
            ("zz_hb_detail_products_ids_week_b5", "set<int>"),
            ("zz_ixp_status_updated", "int"),
        ]
    );
    let b4 = &m.hidden[1];
    assert_eq!(b4.kind, HiddenKind::BucketHash { index: 0, size: 4 });
    let index = b4.index.as_ref().unwrap();
    assert!(!index.local && index.target == IndexTarget::Values);
    let spec = "sale_order__zz_hb_detail_products_ids_week_b4_index_0";
    assert_eq!(index.name, schema_object_name(spec));
    assert_eq!(
        index.name,
        format!(
            "sale_order__zz_hb_detail_products_ids_w_{:08x}",
            name_hash(spec)
        )
    );
    let packed = m.hidden[3].index.as_ref().unwrap();
    assert_eq!(packed.name, "sale_order__zz_ixp_status_updated_index_1");
    assert!(packed.local && packed.target == IndexTarget::Value);
    assert!(m.views.is_empty());
}

#[test]
fn generated_write_path() {
    let out = expand(sale_order()).to_string();
    assert!(!out.contains("compile_error"), "{out}");
    for needle in [
        "\"INSERT INTO sale_order (empresa_id, id, detail_products_ids, week, status, updated, \
         zz_hb_detail_products_ids_week_b1, zz_hb_detail_products_ids_week_b4, \
         zz_hb_detail_products_ids_week_b5, zz_ixp_status_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)\"",
        "zz_hb_detail_products_ids_week_b1 set<int>, zz_hb_detail_products_ids_week_b4 set<int>, \
         zz_hb_detail_products_ids_week_b5 set<int>, zz_ixp_status_updated int, PRIMARY KEY ((empresa_id), id)",
        ":: orm_runtime :: bucketing :: HashSource :: collection (\"detail_products_ids\")",
        ":: orm_runtime :: bucketing :: HashSource :: scalar (\"week\")",
        "sizes : & [1u32 , 4u32 , 5u32]",
        "week_code : true",
        ":: orm_runtime :: packing :: PackedLayout :: new (:: orm_runtime :: packing :: PackedOutput :: Int32 , & [:: core :: option :: Option :: None , :: core :: option :: Option :: Some (8u32)])",
        ":: orm_runtime :: packing :: PackedBacking :: LocalIndex",
        "(# [doc = \"invalid hash index definition\"]",
        "fn __index_sources",
        "(\"detail_products_ids\" , :: orm_runtime :: __private :: collection_source (& self . detail_products_ids))",
        "(\"week\" , :: orm_runtime :: __private :: scalar_source (& self . week))",
        "fn __serialize_with_hidden",
        "hidden_values_for_serialize :: < Self > (self)",
        "\"zz_ixp_status_updated\" => :: orm_runtime :: __private :: serialize_column :: < Self > (:: orm_runtime :: __private :: hidden_at :: < Self > (hidden , 3usize , \"zz_ixp_status_updated\")",
        "set_source (\"week\"",
        "set_source (\"detail_products_ids\"",
        "kind : :: orm_runtime :: HiddenKind :: BucketHash { index : 0usize , size : 4u32 }",
        "kind : :: orm_runtime :: HiddenKind :: Packed { index : 0usize }",
    ] {
        let needle = needle.replace(
            "(# [doc = \"invalid hash index definition\"]",
            "\"invalid hash index definition\"",
        );
        assert!(out.contains(&needle), "missing {needle} in\n{out}");
    }
    // `add_` / `remove_` stay (refused at execute time with a clear error).
    assert!(out.contains("fn add_detail_products_ids"));
    // A non-source column keeps the plain setter.
    let m = expand(quote! {
        struct A {
            #[partition_key] #[hash_index] k: i32,
            #[hash_index(bucketing(2))] d: i64,
            note: String,
        }
    })
    .to_string();
    assert!(m.contains("set (\"note\""), "{m}");
    // A key source is recorded from the update's key.
    assert!(m.contains(". source (\"k\" , __orm_source_k)"), "{m}");
}

#[test]
fn view_backing_and_groups() {
    let m = model(quote! {
        struct Ticket {
            #[partition_key] tenant: i32,
            #[clustering_key] id: i64,
            #[packed_index(view)] #[packed_index(name = "b")] state: i16,
            #[packed_index(decimal_size = 2)] prio: i8,
            #[packed_index(name = "b", decimal_size = 3)] x: i32,
            #[hash_index(name = "h", bucketing(3), max_waste = 1, max_statements = 9)] day: i32,
            #[hash_index(name = "h")] tags: std::collections::HashSet<i16>,
        }
    })
    .unwrap();
    assert_eq!(m.views.len(), 1);
    let v = &m.views[0];
    assert_eq!(v.name, "ticket__zz_ixp_state_prio_view");
    assert_eq!(v.partition_key, ["tenant"]);
    assert_eq!(v.clustering_key, ["zz_ixp_state_prio", "id"]);
    assert_eq!(m.packed_indexes.len(), 2);
    assert_eq!(m.packed_indexes[1].name, "b");
    assert!(!m.packed_indexes[1].int32);
    let names: Vec<&str> = m.hidden.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        names,
        ["zz_hb_day_tags_b3", "zz_ixp_state_prio", "zz_ixp_state_x"]
    );
}

#[test]
fn duplicate_hidden_column_is_an_error() {
    one_error(
        quote! {
            struct T {
                #[partition_key] k: i32,
                #[packed_index] #[packed_index(name = "b")] a: i16,
                #[packed_index(decimal_size = 2)] #[packed_index(name = "b", decimal_size = 3)] c: i8,
            }
        },
        &["would share hidden column `zz_ixp_a_c`"],
    );
}

#[test]
fn hash_index_rules() {
    // No bucketed column.
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index] a: Vec<i32>, #[hash_index] b: i32 } },
        &["has no bucketed column", "`a`, `b`"],
    );
    // Two bucketed columns.
    one_error(
        quote! { struct T { #[partition_key] k: i32,
        #[hash_index(bucketing(1))] a: i32, #[hash_index(bucketing(2))] b: i32 } },
        &["already has a bucketed column (`a`)"],
    );
    // Sizes.
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index] a: Vec<i32>, #[hash_index(bucketing(1, 0))] b: i32 } },
        &["a bucket size must be at least 1"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index] a: Vec<i32>, #[hash_index(bucketing(4, 1, 4))] b: i32 } },
        &["duplicate bucket size 4"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index] a: Vec<i32>, #[hash_index(bucketing())] b: i32 } },
        &["at least one bucket size"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index] a: Vec<i32>, #[hash_index(bucketing(x))] b: i32 } },
        &["expected an integer bucket size"],
    );
    // Source counts.
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index(bucketing(1))] b: i32 } },
        &["has 1 source column (`b`)", "needs 2 or 3"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32,
        #[hash_index] a: i32, #[hash_index] b: i32, #[hash_index] c: i32, #[hash_index(bucketing(1))] d: i32 } },
        &["has 4 source columns"],
    );
    // Types.
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index] a: String, #[hash_index(bucketing(1))] b: i32 } },
        &[
            "must be an integer (i8, i16, i32, i64) or a Vec/BTreeSet/HashSet of integers",
            "`a` is text",
        ],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index] a: Vec<String>, #[hash_index(bucketing(1))] b: i32 } },
        &["`a` is list<text>"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index] a: Option<i32>, #[hash_index(bucketing(1))] b: i32 } },
        &["cannot be `Option`"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index] a: i32, #[hash_index(bucketing(1))] b: Vec<i32> } },
        &[
            "bucketed column of a hash index must be an integer scalar",
            "`b` is a collection (list<int>)",
        ],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index] a: std::collections::BTreeMap<i32, i32>, #[hash_index(bucketing(1))] b: i32 } },
        &["`a` is map<int, int>"],
    );
    // Misplaced options, unknown keys, zero max_statements.
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index(week_code)] a: Vec<i32>, #[hash_index(bucketing(1))] b: i32 } },
        &["`week_code` belongs on the bucketed column"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index(max_waste = 2)] a: Vec<i32>, #[hash_index(bucketing(1))] b: i32 } },
        &["`max_waste` belongs on the bucketed column"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index] a: Vec<i32>, #[hash_index(bucketing(1), max_statements = 0)] b: i32 } },
        &["`max_statements` must be at least 1"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[hash_index(bogus)] a: Vec<i32>, #[hash_index(bucketing(1))] b: i32 } },
        &["Unknown field: `bogus`"],
    );
    // Reported on each attribute that names the group.
    let errs = errors(
        quote! { struct T { #[partition_key] k: i32, #[hash_index(name = "Bad Name")] a: Vec<i32>, #[hash_index(name = "Bad Name", bucketing(1))] b: i32 } },
    );
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(
        errs.iter()
            .all(|e| e.contains("invalid index group name `Bad Name`"))
    );
    one_error(
        quote! { #[hash_index] struct T { #[partition_key] k: i32 } },
        &["`#[hash_index]` belongs on a field"],
    );
    // Named groups are independent: each needs its own bucketed column.
    one_error(
        quote! { struct T { #[partition_key] k: i32,
        #[hash_index] #[hash_index(name = "g")] a: Vec<i32>,
        #[hash_index(bucketing(1))] #[hash_index(name = "g")] b: i32 } },
        &["hash index `g` has no bucketed column"],
    );
    // Key columns may be sources.
    assert!(errors(quote! { struct T { #[partition_key] #[hash_index] k: i32, #[clustering_key] #[hash_index(bucketing(1))] c: i64 } }).is_empty());
}

#[test]
fn packed_index_rules() {
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[packed_index(decimal_size = 1)] a: i32, #[packed_index(decimal_size = 8)] b: i64 } },
        &[
            "the first component of the default packed index (no `name`) must not declare `decimal_size`",
        ],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[packed_index] a: i32, #[packed_index] b: i64 } },
        &["component `b` of the default packed index (no `name`) needs `decimal_size = n`"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[packed_index] a: i32, #[packed_index(decimal_size = 0)] b: i64 } },
        &["`decimal_size` must be at least 1"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[packed_index(int32)] a: i32, #[packed_index(decimal_size = 5)] b: i64, #[packed_index(decimal_size = 4)] c: i64 } },
        &["sum to 9, more than the 8 an int32", "or drop `int32`"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[packed_index] a: i32, #[packed_index(decimal_size = 10)] b: i64, #[packed_index(decimal_size = 9)] c: i64 } },
        &["sum to 19, more than the 18 an int64"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[packed_index] a: i32 } },
        &["has 1 component", "at least 2"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[packed_index] a: Vec<i32>, #[packed_index(decimal_size = 2)] b: i64 } },
        &["must be an integer scalar (i8, i16, i32, i64), not a collection (list<int>)"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[packed_index] a: f64, #[packed_index(decimal_size = 2)] b: i64 } },
        &["`a` is double"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[packed_index] a: i32, #[packed_index(decimal_size = 2)] b: Option<i64> } },
        &["a packed index component cannot be `Option`"],
    );
    one_error(
        quote! { struct T { #[partition_key] k: i32, #[packed_index(unknown = 1)] a: i32, #[packed_index(decimal_size = 2)] b: i64 } },
        &["Unknown field: `unknown`"],
    );
    // Sizes summing to exactly the budget are fine; `int32` and `view` may sit on any component.
    assert!(errors(quote! { struct T { #[partition_key] k: i32,
        #[packed_index] a: i8, #[packed_index(decimal_size = 4)] b: i32, #[packed_index(decimal_size = 4, int32, view)] c: i64 } })
    .is_empty());
    // Every error at once.
    let errs = errors(quote! { struct T { #[partition_key] k: i32,
    #[packed_index(decimal_size = 1)] a: i32, #[packed_index] b: String,
    #[hash_index(bucketing(0))] c: i32 } });
    assert_eq!(errs.len(), 5, "{errs:#?}");
}
