//! Emulator throughput through the real `scylla` driver (not a test).
//!
//! `cargo bench -p scylla-emulator --bench throughput` — inserts/s while loading a 100k-row
//! table, then single-partition reads/s, both with 64 requests in flight on one session.

use std::time::Instant;

use futures::StreamExt;
use scylla::client::session_builder::SessionBuilder;
use scylla_emulator::Emulator;

const ROWS: i32 = 100_000;
const READS: i32 = 100_000;
const CONCURRENCY: usize = 64;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let h = Emulator::builder().start().await.unwrap();
        let s = SessionBuilder::new().known_node(h.addr().to_string()).build().await.unwrap();
        s.query_unpaged("CREATE KEYSPACE b WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}", ())
            .await
            .unwrap();
        s.query_unpaged("CREATE TABLE b.t (pk int PRIMARY KEY, v text, n bigint)", ()).await.unwrap();
        let ins = s.prepare("INSERT INTO b.t (pk, v, n) VALUES (?, ?, ?)").await.unwrap();
        let sel = s.prepare("SELECT pk, v, n FROM b.t WHERE pk = ?").await.unwrap();

        let t0 = Instant::now();
        futures::stream::iter(0..ROWS)
            .map(|i| {
                let (s, ins) = (&s, &ins);
                async move { s.execute_unpaged(ins, (i, format!("value-{i}"), i as i64)).await.unwrap() }
            })
            .buffer_unordered(CONCURRENCY)
            .for_each(|_| async {})
            .await;
        let ins_el = t0.elapsed();

        let t1 = Instant::now();
        futures::stream::iter(0..READS)
            .map(|i| {
                let (s, sel) = (&s, &sel);
                let k = (i.wrapping_mul(7919)) % ROWS;
                async move {
                    let r = s.execute_unpaged(sel, (k,)).await.unwrap().into_rows_result().unwrap();
                    assert_eq!(r.rows_num(), 1);
                }
            })
            .buffer_unordered(CONCURRENCY)
            .for_each(|_| async {})
            .await;
        let rd_el = t1.elapsed();
        println!(
            "inserts: {ROWS} in {:.2}s = {:.0}/s; single-partition reads: {READS} in {:.2}s = {:.0}/s (concurrency {CONCURRENCY})",
            ins_el.as_secs_f64(),
            ROWS as f64 / ins_el.as_secs_f64(),
            rd_el.as_secs_f64(),
            READS as f64 / rd_el.as_secs_f64()
        );
        let st = h.stats();
        println!("stats: {st:?}");
    });
}
