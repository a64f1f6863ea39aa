//! Unit tests of the expansion on token streams: generated statements and metadata, and
//! errors (as `compile_error!` invocations) for invalid declarations.

use proc_macro2::TokenStream;
use quote::quote;

use crate::expand;
use crate::model::ty::{CqlKind, map_field_type};
use crate::model::{Model, Role, snake_case};

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

fn cql_of(ty: TokenStream) -> Result<(String, bool), String> {
    let ty: syn::Type = syn::parse2(ty).unwrap();
    map_field_type(&ty)
        .map(|m| (m.kind.cql(), m.nullable))
        .map_err(|e| e.to_string())
}

fn sale_order() -> TokenStream {
    quote! {
        #[model(table = "sale_orders")]
        pub struct SaleOrder {
            #[partition_key] company_id: i32,
            #[clustering_key(desc)] order_id: i64,
            #[index] status: i32,
            #[index(local)] customer: String,
            #[column(name = "total_cents")] total: i64,
            note: Option<String>,
        }
    }
}

#[test]
fn generated_code_has_every_part() {
    let out = expand(sale_order()).to_string();
    for needle in [
        "impl :: orm_runtime :: __private :: scylla :: serialize :: row :: SerializeRow for SaleOrder",
        "DeserializeRow < 'frame , 'metadata > for SaleOrder",
        "impl :: orm_runtime :: Model for SaleOrder",
        "pub struct SaleOrderColumns",
        "pub struct SaleOrderUpdate",
        "fn set_status",
        "fn set_note",
        "fn find_by_status",
        "fn find_by_customer",
        "fn find_by_partition",
        "\"INSERT INTO sale_orders (company_id, order_id, status, customer, total_cents, note) VALUES (?, ?, ?, ?, ?, ?)\"",
        "\"SELECT company_id, order_id, status, customer, total_cents, note FROM sale_orders WHERE company_id = ? AND order_id = ?\"",
        "\"DELETE FROM sale_orders WHERE company_id = ? AND order_id = ?\"",
        "WITH CLUSTERING ORDER BY (order_id DESC)",
        "\"sale_orders_status_idx\"",
        "\"sale_orders_customer_local_idx\"",
    ] {
        assert!(out.contains(needle), "missing {needle} in\n{out}");
    }
    // No setters for key columns, no finder for unindexed columns, never `SELECT *`.
    for absent in [
        "fn set_company_id",
        "fn set_order_id",
        "fn find_by_total",
        "fn find_by_note",
        "SELECT *",
    ] {
        assert!(!out.contains(absent), "unexpected {absent}");
    }
    assert!(!out.contains("compile_error"));
}

#[test]
fn parsed_model() {
    let m = model(sale_order()).unwrap();
    assert_eq!(m.table, "sale_orders");
    let roles: Vec<Role> = m.fields.iter().map(|f| f.role).collect();
    assert_eq!(
        roles,
        [
            Role::PartitionKey,
            Role::Clustering { desc: true },
            Role::Regular,
            Role::Regular,
            Role::Regular,
            Role::Regular
        ]
    );
    assert_eq!(m.fields[4].column, "total_cents");
    assert!(m.fields[5].mapped.nullable);
    assert!(m.hidden.is_empty());
}

#[test]
fn default_table_name_is_snake_case() {
    assert_eq!(snake_case("SaleOrder"), "sale_order");
    assert_eq!(snake_case("HTTPLog"), "http_log");
    assert_eq!(snake_case("Item2Price"), "item2_price");
    assert_eq!(snake_case("Plain"), "plain");
    let m = model(quote!(
        struct DeliveryNote {
            #[partition_key]
            id: i32,
        }
    ))
    .unwrap();
    assert_eq!(m.table, "delivery_note");
}

#[test]
fn type_mapping() {
    let ok = |t: TokenStream, cql: &str| assert_eq!(cql_of(t).unwrap().0, cql);
    ok(quote!(i8), "tinyint");
    ok(quote!(i16), "smallint");
    ok(quote!(i32), "int");
    ok(quote!(i64), "bigint");
    ok(quote!(f32), "float");
    ok(quote!(f64), "double");
    ok(quote!(bool), "boolean");
    ok(quote!(String), "text");
    ok(quote!(std::string::String), "text");
    ok(quote!(Vec<u8>), "blob");
    ok(quote!(uuid::Uuid), "uuid");
    ok(quote!(CqlTimeuuid), "timeuuid");
    ok(quote!(scylla::value::CqlTimestamp), "timestamp");
    ok(quote!(CqlDate), "date");
    ok(quote!(CqlTime), "time");
    ok(quote!(std::net::IpAddr), "inet");
    ok(quote!(chrono::DateTime<chrono::Utc>), "timestamp");
    ok(quote!(NaiveDate), "date");
    ok(quote!(chrono::NaiveTime), "time");
    ok(quote!(time::OffsetDateTime), "timestamp");
    ok(quote!(time::Date), "date");
    ok(quote!(time::Time), "time");
    ok(quote!(Vec<i64>), "list<bigint>");
    ok(quote!(BTreeSet<String>), "set<text>");
    ok(quote!(HashSet<i32>), "set<int>");
    ok(quote!(BTreeMap<i32, String>), "map<int, text>");
    ok(
        quote!(HashMap<String, Vec<i32>>),
        "map<text, frozen<list<int>>>",
    );
    ok(quote!(Vec<BTreeSet<i32>>), "list<frozen<set<int>>>");
    assert_eq!(
        cql_of(quote!(Option<i32>)).unwrap(),
        ("int".to_owned(), true)
    );
    assert_eq!(
        cql_of(quote!(Option<Vec<u8>>)).unwrap(),
        ("blob".to_owned(), true)
    );
    assert_eq!(
        map_field_type(&syn::parse_quote!(Vec<Vec<u8>>))
            .unwrap()
            .kind,
        CqlKind::List(Box::new(CqlKind::Native("blob")))
    );

    let err = |t: TokenStream, needle: &str| {
        let e = cql_of(t).unwrap_err();
        assert!(e.contains(needle), "{e}");
    };
    err(quote!(u32), "no unsigned integers");
    err(quote!(usize), "no unsigned integers");
    err(quote!(&str), "owned type");
    err(quote!((i32, i32)), "unsupported column type");
    err(quote!(Money), "unsupported column type `Money`");
    err(quote!(Time), "unsupported column type `Time`");
    err(quote!(Option<Option<i32>>), "outer type");
    err(quote!(Vec<Option<i32>>), "outer type");
    err(quote!(Vec<CqlDuration>), "duration");
}

#[test]
fn every_error_is_reported_together() {
    let errs = errors(quote! {
        #[model(table = "Bad Name")]
        struct Broken {
            #[partition_key] a: Option<i32>,
            #[clustering_key(sideways)] b: i64,
            #[index] #[index] c: i32,
            d: u16,
            #[index(local)] e: Vec<i32>,
            #[column(name = "c")] f: i32,
            #[hash_index(bucketing(1))] g: i32,
        }
    });
    let all = errs.join("\n");
    for needle in [
        "invalid table name `Bad Name`",
        "cannot be `Option`",
        "Unknown field: `sideways`",
        "duplicate `#[index]` attribute",
        "no unsigned integers",
        "local index on collection column `e`",
        "duplicate column name `c`",
        "hash index (no `name`) has 1 source column (`g`)",
    ] {
        assert!(all.contains(needle), "missing {needle} in\n{all}");
    }
    assert_eq!(errs.len(), 8, "{all}");
}

#[test]
fn structural_errors() {
    let one = |input: TokenStream, needle: &str| {
        let errs = errors(input);
        assert!(
            errs.iter().any(|e| e.contains(needle)),
            "missing {needle} in {errs:?}"
        );
    };
    one(
        quote!(
            struct A {
                id: i32,
            }
        ),
        "has no partition key",
    );
    one(
        quote!(
            struct A(i32);
        ),
        "tuple structs are not supported",
    );
    one(
        quote!(
            struct A;
        ),
        "unit struct",
    );
    one(
        quote!(
            enum A {
                X,
            }
        ),
        "not enums",
    );
    one(
        quote!(
            struct A<T> {
                #[partition_key]
                id: i32,
                t: T,
            }
        ),
        "generic models",
    );
    one(
        quote!(
            #[model(table = "a")]
            #[model(table = "b")]
            struct A {
                #[partition_key]
                id: i32,
            }
        ),
        "duplicate `#[model]`",
    );
    one(
        quote!(
            #[packed_index(int32)]
            struct A {
                #[partition_key]
                id: i32,
            }
        ),
        "`#[packed_index]` belongs on a field, not on the struct",
    );
    one(
        quote!(
            struct A {
                #[partition_key]
                #[clustering_key]
                id: i32,
            }
        ),
        "both a partition-key and a clustering",
    );
    one(
        quote!(
            struct A {
                #[partition_key]
                id: i32,
                #[index]
                m: Vec<i32>,
                #[index(keys)]
                l: Vec<i32>,
            }
        ),
        "`keys` applies only to a map",
    );
    one(
        quote!(
            struct A {
                #[partition_key]
                id: i32,
                zz_hidden: i32,
            }
        ),
        "reserved for hidden index columns",
    );
    one(
        quote!(
            struct A {
                #[partition_key]
                id: i32,
                from: i32,
            }
        ),
        "reserved CQL keyword",
    );
    one(
        quote!(
            struct Select {
                #[partition_key]
                id: i32,
            }
        ),
        "cannot be a table name",
    );
    one(
        quote!(
            struct A {
                #[partition_key]
                id: i32,
                #[clustering_key(desc, asc)]
                c: i32,
            }
        ),
        "mutually exclusive",
    );
    one(
        quote!(
            struct A {
                #[partition_key = "x"]
                id: i32,
            }
        ),
        "takes no value",
    );
    one(
        quote!(
            struct A {
                #[partition_key]
                k: BTreeMap<i32, i32>,
            }
        ),
        "cannot be a collection",
    );
}

#[test]
fn invalid_input_expands_to_compile_errors_not_panics() {
    let out = expand(quote!(
        struct A {
            id: u8,
        }
    ))
    .to_string();
    assert!(out.contains("compile_error"), "{out}");
    assert!(!out.contains("impl"), "{out}");
    let out = expand(quote!(
        fn not_a_type() {}
    ))
    .to_string();
    assert!(out.contains("compile_error"), "{out}");
}

#[test]
fn collection_indexes_target_values_or_keys() {
    let m = model(quote! {
        struct A {
            #[partition_key] id: i32,
            #[index] tags: BTreeSet<String>,
            #[index(keys)] attrs: BTreeMap<String, i32>,
            #[index] scores: HashMap<String, i32>,
        }
    })
    .unwrap();
    use crate::model::IndexTarget;
    let targets: Vec<_> = m
        .fields
        .iter()
        .filter_map(|f| f.index.as_ref().map(|i| i.target))
        .collect();
    assert_eq!(
        targets,
        [IndexTarget::Values, IndexTarget::Keys, IndexTarget::Values]
    );
    let out = expand(quote! {
        struct A {
            #[partition_key] id: i32,
            #[index] tags: BTreeSet<String>,
            #[index(keys)] attrs: BTreeMap<String, i32>,
        }
    })
    .to_string();
    assert!(
        out.contains("fn find_by_tags (tags : impl :: orm_runtime :: IntoValue < String >)"),
        "{out}"
    );
    assert!(out.contains("contains_key"), "{out}");
}

/// `cargo test -p orm-macros print_expansion -- --ignored --nocapture` shows what the derive
/// emits for the running example.
#[test]
#[ignore]
fn print_expansion() {
    let out = expand(sale_order());
    let file: syn::File = syn::parse2(out).unwrap();
    println!("{}", quote!(#file));
}
