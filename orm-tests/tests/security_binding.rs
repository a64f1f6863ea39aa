//! Values are always bound, never formatted into CQL.
//!
//! Hostile strings (quotes, doubled quotes, `;`, comments, CQL keywords, `$$`, NUL, unicode)
//! go through every write and read path (insert, get, update, delete, partition finder,
//! clustering predicates, `IN`, a global index finder, a local index finder, `CONTAINS` on an
//! indexed set, paging, streams) and come back unchanged. On the emulator a tripwire proves
//! that no statement text the server receives (QUERY, EXECUTE — whose text is the prepared
//! statement's — or BATCH) contains any of the values. A proptest over the query builder
//! checks the same for arbitrary strings, client-side.

use std::collections::BTreeSet;

use futures::TryStreamExt;
use orm_macros::Model;
use orm_runtime::Select;
use orm_runtime::scylla::response::PagingState;
use orm_tests::{eventually, test_db};
use scylla_emulator::FaultError;

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "hostile")]
pub struct Hostile {
    #[partition_key]
    pub tenant: String,
    #[clustering_key]
    pub name: String,
    #[index]
    pub label: String,
    #[index(local)]
    pub owner: String,
    #[index]
    pub tags: BTreeSet<String>,
    pub note: Option<String>,
}

/// Strings an injection would use. Every one is unique enough that its presence in a
/// statement text can only mean it was formatted in.
const PAYLOADS: &[&str] = &[
    "x' OR '1'='1",
    "''; DROP TABLE hostile; --",
    "it''s ''quoted''",
    "a'); DELETE FROM hostile WHERE tenant = 'a'; --",
    "/* comment */ SELECT * FROM system.local",
    "-- trailing comment",
    "$$ dollar $$ quoted $$",
    "DROP KEYSPACE system; TRUNCATE hostile",
    "\" double \"\" quotes \"",
    "back\\slash \\' escaped",
    "semi;colon;;",
    "nul\u{0}byte\u{0}",
    "ünïcødé 🙂 日本語 \u{202e}rtl",
    "? ? :named ?",
    "ALLOW FILTERING",
    "\n\r\t newline and tab",
    "",
];

fn row(tenant: &str, i: usize, payload: &str) -> Hostile {
    Hostile {
        tenant: tenant.to_owned(),
        name: format!("{i:02}:{payload}"),
        label: format!("label:{payload}"),
        owner: format!("owner:{payload}"),
        tags: [format!("tag:{payload}"), "plain".to_owned()]
            .into_iter()
            .collect(),
        note: Some(payload.to_owned()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_strings_round_trip_unchanged_and_never_become_cql() {
    orm_tests::init_tracing();
    let db = test_db("sec_binding").await;
    db.migrate::<Hostile>().await.expect("migrate");

    // Tripwires: from now on, any statement whose text contains a payload fails on the
    // server. (Only payloads long enough to be unambiguous: "" and 1-character strings would
    // match legitimate statements.)
    let tripwires: Vec<&str> = PAYLOADS.iter().copied().filter(|p| p.len() >= 6).collect();
    if let Some(emu) = db.emulator() {
        for p in &tripwires {
            emu.fail_next(
                u64::MAX,
                p,
                FaultError::ServerError(format!("value formatted into CQL: {p:?}")),
            );
        }
    }
    // Control: the tripwire does fire on a statement text containing a payload (here inside
    // a comment of a constant statement, run on the raw session).
    if db.on_emulator() {
        let control = format!("SELECT key FROM system.local /* {} */", tripwires[0]);
        let err = db.session().query_unpaged(control, ()).await.unwrap_err();
        assert!(
            err.to_string().contains("value formatted into CQL"),
            "{err}"
        );
    }

    let tenant = "t'; DROP TABLE hostile; --";
    let rows: Vec<Hostile> = PAYLOADS
        .iter()
        .enumerate()
        .map(|(i, p)| row(tenant, i, p))
        .collect();

    // Writes: single inserts and insert_many.
    for r in &rows[..5] {
        r.insert(&db).await.expect("insert");
    }
    assert_eq!(db.insert_many(&rows[5..]).await.unwrap(), rows.len() - 5);

    // Reads by primary key.
    for r in &rows {
        let got = Hostile::get(&db, r.tenant.clone(), r.name.clone())
            .await
            .unwrap();
        assert_eq!(got.as_ref(), Some(r), "get {:?}", r.name);
    }
    // The whole partition (keyed by a hostile string), paged 3 rows at a time.
    let mut all = Hostile::find_by_partition(tenant.to_owned())
        .page_size(3)
        .all(&db)
        .await
        .unwrap();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(all, rows);
    let streamed: Vec<Hostile> = Hostile::find_by_partition(tenant.to_owned())
        .stream(&db)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), rows.len());
    let page = Hostile::find_by_partition(tenant.to_owned())
        .page_size(4)
        .page(&db, PagingState::start())
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 4);

    for (i, p) in PAYLOADS.iter().enumerate() {
        let r = &rows[i];
        // Clustering equality and ranges with hostile bounds.
        let one: Vec<Hostile> = Hostile::find_by_partition(tenant.to_owned())
            .filter(|c| c.name.eq(r.name.clone()))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(one, vec![r.clone()], "name = {p:?}");
        let from: Vec<Hostile> = Hostile::find_by_partition(tenant.to_owned())
            .filter(|c| c.name.ge(r.name.clone()))
            .filter(|c| c.name.le(r.name.clone()))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(from, vec![r.clone()], "name range {p:?}");
        // IN with hostile values.
        let inn = Hostile::find_by_partition(tenant.to_owned())
            .filter(|c| c.name.in_([r.name.clone(), format!("{p}' OR 1=1")]))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(inn, vec![r.clone()], "IN {p:?}");
        // A global index finder, a local index finder, CONTAINS on an indexed set.
        let by_label = eventually(|| async {
            let got = Hostile::find_by_label(r.label.clone())
                .all(&db)
                .await
                .unwrap();
            (got == vec![r.clone()]).then_some(got)
        })
        .await;
        assert_eq!(by_label, vec![r.clone()]);
        let by_owner = Hostile::find_by_owner(tenant.to_owned(), r.owner.clone())
            .all(&db)
            .await
            .unwrap();
        assert_eq!(by_owner, vec![r.clone()], "owner = {p:?}");
        let by_tag = eventually(|| async {
            let got = Hostile::find_by_tags(format!("tag:{p}"))
                .all(&db)
                .await
                .unwrap();
            (got == vec![r.clone()]).then_some(got)
        })
        .await;
        assert_eq!(by_tag, vec![r.clone()]);
        // A hostile value that matches nothing returns nothing (not everything).
        let none = Hostile::find_by_label(format!("{p}' OR '1'='1"))
            .all(&db)
            .await
            .unwrap();
        assert!(none.is_empty(), "{p:?} matched {none:?}");
    }

    // Updates: set hostile values, add/remove hostile set elements.
    for (i, p) in PAYLOADS.iter().enumerate() {
        let r = &rows[i];
        let new_note = format!("{p} -- updated'");
        Hostile::update(r.tenant.clone(), r.name.clone())
            .set_note(Some(new_note.clone()))
            .set_label(format!("relabel:{p}"))
            .execute(&db)
            .await
            .unwrap();
        Hostile::update(r.tenant.clone(), r.name.clone())
            .add_tags([format!("added:{p}")].into_iter().collect::<BTreeSet<_>>())
            .execute(&db)
            .await
            .unwrap();
        Hostile::update(r.tenant.clone(), r.name.clone())
            .remove_tags(["plain".to_owned()].into_iter().collect::<BTreeSet<_>>())
            .execute(&db)
            .await
            .unwrap();
        let got = Hostile::get(&db, r.tenant.clone(), r.name.clone())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.note.as_deref(), Some(new_note.as_str()));
        assert_eq!(got.label, format!("relabel:{p}"));
        let want: BTreeSet<String> = [format!("tag:{p}"), format!("added:{p}")]
            .into_iter()
            .collect();
        assert_eq!(got.tags, want, "tags of {p:?}");
    }

    // Deletes by a hostile key remove exactly that row.
    Hostile::delete(&db, rows[1].tenant.clone(), rows[1].name.clone())
        .await
        .unwrap();
    let left = Hostile::find_by_partition(tenant.to_owned())
        .all(&db)
        .await
        .unwrap();
    assert_eq!(left.len(), rows.len() - 1);
    assert!(left.iter().all(|h| h.name != rows[1].name));

    if let Some(emu) = db.emulator() {
        // The tripwires are all still armed (none fired), and the table still exists.
        emu.clear_faults();
    }
    db.shutdown().await;
}

mod builder {
    //! Client-side: the statement text of any query built from arbitrary strings contains
    //! none of them, and building never panics.

    use super::*;
    use proptest::prelude::*;

    fn check(q: &Select<Hostile>, values: &[&str]) -> Result<(), TestCaseError> {
        match q.cql(Some("ks")) {
            Ok(cql) => {
                for v in values {
                    if v.len() >= 3 {
                        prop_assert!(!cql.contains(v), "{v:?} formatted into {cql}");
                    }
                }
                prop_assert!(!cql.contains('\''), "a quote in {cql}");
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn built_statements_never_contain_values(
            a in "\\PC{0,40}",
            b in "[';\"$ -/*a-zA-Z0-9]{0,40}",
            n in any::<i32>(),
        ) {
            let queries = [
                Hostile::find_by_partition(a.clone()).filter(|c| c.name.eq(b.clone())),
                Hostile::find_by_partition(a.clone()).filter(|c| c.name.gt(b.clone())).limit(n),
                Hostile::find_by_partition(a.clone()).filter(|c| c.name.in_([a.clone(), b.clone()])),
                Hostile::find_by_label(a.clone()),
                Hostile::find_by_owner(a.clone(), b.clone()),
                Hostile::find_by_tags(b.clone()),
                Hostile::select().filter(|c| c.note.eq(a.clone())),
                Hostile::select().filter(|c| c.note.eq(a.clone())).allow_filtering(),
            ];
            for q in &queries {
                check(q, &[&a, &b])?;
            }
        }
    }
}
