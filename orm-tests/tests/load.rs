//! Load through one `Db`: 1,000 concurrent queries stay under the in-flight bound and all
//! succeed; memory stays flat over repeated rounds; 8 concurrent writers × 10,000 rows lose
//! nothing (counts and contents verified).
//!
//! The in-flight bound is observed two ways: the `Db`'s own peak counter, and on the emulator
//! the elapsed time under injected latency (n statements, bound b, latency l take at least
//! ceil(n / b) × l, so more than b at once would finish measurably sooner).

use std::time::{Duration, Instant};

use orm_macros::Model;
use orm_tests::{eventually, test_db_with};

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "events")]
pub struct Event {
    #[partition_key]
    pub writer: i32,
    #[clustering_key]
    pub seq: i64,
    #[index]
    pub kind: i32,
    pub payload: String,
    pub amount: i64,
}

fn event(writer: i32, seq: i64) -> Event {
    Event {
        writer,
        seq,
        kind: (seq % 7) as i32,
        payload: format!(
            "w{writer}-s{seq}-{}",
            seq.wrapping_mul(2_654_435_761) % 1_000_003
        ),
        amount: seq * 3 + i64::from(writer),
    }
}

/// RSS is per process: the two tests run one after the other so the writers' 80,000 rows do
/// not show up in the other test's memory samples.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The writers' rows: no secondary index (the test is about losing nothing, and index
/// maintenance would triple its time in debug builds).
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "writes")]
pub struct Write {
    #[partition_key]
    pub writer: i32,
    #[clustering_key]
    pub seq: i64,
    pub payload: String,
    pub amount: i64,
}

fn write(writer: i32, seq: i64) -> Write {
    let e = event(writer, seq);
    Write {
        writer,
        seq,
        payload: e.payload,
        amount: e.amount,
    }
}

/// Resident set size of this process, in bytes (Linux).
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// 1,000 mixed reads and writes, all at once, through `db`.
async fn round(db: &orm_runtime::Db, salt: i64) {
    let futs = (0..1000i64).map(|i| {
        let db = db.clone();
        async move {
            match i % 4 {
                0 => {
                    let got = Event::get(&db, 0, i % 50).await.expect("get");
                    assert_eq!(got, Some(event(0, i % 50)));
                }
                1 => {
                    let got = Event::find_by_partition(0)
                        .filter(|c| c.seq.lt(5))
                        .all(&db)
                        .await
                        .expect("partition finder");
                    assert_eq!(got.len(), 5);
                }
                2 => {
                    let got = Event::find_by_kind(3)
                        .limit(3)
                        .all(&db)
                        .await
                        .expect("index finder");
                    assert!(!got.is_empty() && got.iter().all(|e| e.kind == 3));
                }
                _ => {
                    // Overwrites of the same rows: memory must not grow with rounds.
                    let mut e = event(1, i % 50);
                    e.amount = salt;
                    e.insert(&db).await.expect("insert");
                }
            }
        }
    });
    futures::future::join_all(futs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_queries_stay_under_the_bound_and_memory_stays_flat() {
    const BOUND: usize = 32;
    let _serial = SERIAL.lock().await;
    let db = test_db_with("load_bound", |b| b.max_in_flight(BOUND)).await;
    db.migrate::<Event>().await.expect("migrate");
    let seed: Vec<Event> = (0..50).map(|i| event(0, i)).collect();
    db.insert_many(&seed).await.unwrap();
    eventually(|| async {
        let n = Event::find_by_kind(3).all(&db).await.unwrap().len();
        (n >= 3).then_some(())
    })
    .await;
    // Warm-up (prepares every statement once).
    round(&db, 0).await;
    let stats = db.stats();
    assert_eq!(stats.max_in_flight, BOUND);
    assert!(stats.peak_in_flight <= BOUND, "{stats:?}");
    assert_eq!(stats.in_flight, 0, "{stats:?}");

    // With latency, the bound is the throughput limit: measurable from outside the Db.
    if let Some(emu) = db.emulator() {
        let latency = Duration::from_millis(10);
        emu.set_latency(latency);
        db.reset_peak_in_flight();
        let t0 = Instant::now();
        round(&db, 1).await;
        let elapsed = t0.elapsed();
        emu.set_latency(Duration::ZERO);
        let floor = latency * (1000 / BOUND as u32);
        assert!(
            elapsed >= floor,
            "1,000 statements at {latency:?} each finished in {elapsed:?} < {floor:?}: more than \
             {BOUND} were in flight"
        );
        let stats = db.stats();
        assert_eq!(
            stats.peak_in_flight, BOUND,
            "the bound is reached and never exceeded: {stats:?}"
        );
        eprintln!("1,000 queries, bound {BOUND}, latency {latency:?}: {elapsed:?}");
    }

    // Memory stays flat: RSS after 8 more rounds (8,000 statements) vs after the warm-up.
    // Generous bound: allocator noise and the driver's buffers, not a leak per statement
    // (a 1 KiB leak per statement would already be ~8 MB).
    round(&db, 2).await;
    let before = rss_bytes();
    let t0 = Instant::now();
    for r in 0..8 {
        round(&db, 10 + r).await;
    }
    let after = rss_bytes();
    let stats = db.stats();
    assert!(
        stats.peak_in_flight <= BOUND && stats.in_flight == 0,
        "{stats:?}"
    );
    if let (Some(before), Some(after)) = (before, after) {
        let growth = after.saturating_sub(before);
        eprintln!(
            "RSS {} KiB -> {} KiB (+{} KiB) over 8,000 statements in {:?}",
            before / 1024,
            after / 1024,
            growth / 1024,
            t0.elapsed()
        );
        assert!(
            growth < 16 * 1024 * 1024,
            "RSS grew by {} KiB over 8 rounds",
            growth / 1024
        );
    }
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_writers_lose_nothing() {
    const WRITERS: i32 = 8;
    const ROWS: i64 = 10_000;
    let _serial = SERIAL.lock().await;
    let db = test_db_with("load_writers", |b| b.max_in_flight(256)).await;
    db.migrate::<Write>().await.expect("migrate");
    let t0 = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let db = db.db.clone();
            tokio::spawn(async move {
                let rows: Vec<Write> = (0..ROWS).map(|i| write(w, i)).collect();
                // In chunks, so the writers interleave.
                let mut written = 0;
                for chunk in rows.chunks(1000) {
                    written += db.insert_many(chunk).await.expect("insert_many");
                }
                written
            })
        })
        .collect();
    let mut total = 0;
    for w in writers {
        total += w.await.expect("writer task");
    }
    let wrote = t0.elapsed();
    assert_eq!(total, (WRITERS as usize) * ROWS as usize);
    if let Some(emu) = db.emulator() {
        assert!(emu.stats().inserts >= total as u64);
    }

    // Every row is there, with its exact contents.
    let t1 = Instant::now();
    for w in 0..WRITERS {
        let got = Write::find_by_partition(w)
            .page_size(2000)
            .all(&db)
            .await
            .unwrap();
        assert_eq!(got.len(), ROWS as usize, "writer {w}");
        for (i, e) in got.iter().enumerate() {
            assert_eq!(*e, write(w, i as i64), "writer {w} row {i}");
        }
    }
    let count: Vec<(i64,)> = db
        .session()
        .query_unpaged(format!("SELECT COUNT(*) FROM {}.writes", db.keyspace()), ())
        .await
        .unwrap()
        .into_rows_result()
        .unwrap()
        .rows::<(i64,)>()
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(count, vec![(i64::from(WRITERS) * ROWS,)]);
    let stats = db.stats();
    assert!(stats.peak_in_flight <= 256, "{stats:?}");
    eprintln!(
        "{total} rows by {WRITERS} writers in {wrote:?}, verified in {:?}; {stats:?}",
        t1.elapsed()
    );
    db.shutdown().await;
}
