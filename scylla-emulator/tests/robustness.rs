//! Robustness against hostile input: random and malformed frames on raw sockets, random and
//! mutated CQL statements through the real driver. The server must never panic (a panic hook
//! counts every panic in the process, including the ones the server catches and turns into
//! ServerError) and must keep serving a healthy session on another connection after every
//! batch.
//!
//! `session.rs` already checks specific malformed frames and 60 random bodies after STARTUP;
//! this suite randomizes the header too (versions, flags, opcodes, stream ids, declared lengths
//! up to `u32::MAX`), sends frames before STARTUP, truncates headers and bodies, builds
//! structurally valid bodies with random field values, and fuzzes the CQL parser and engine.
//! Seeded: set `ROBUSTNESS_SEED` to replay a run. Bounded: a few seconds in debug.

mod common;

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use scylla::client::session::Session;
use scylla::errors::DbError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

static PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts every panic of the process (the server's caught ones included), then reports it
/// as usual.
fn count_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            default(info);
        }));
    });
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn from_env(salt: u64) -> Rng {
        let seed = std::env::var("ROBUSTNESS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x5eed_0fc0_ffee_u64);
        eprintln!("ROBUSTNESS_SEED={seed}");
        Rng((seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn header(version: u8, flags: u8, stream: i16, opcode: u8, length: u32) -> Vec<u8> {
    let mut f = vec![version, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.push(opcode);
    f.extend_from_slice(&length.to_be_bytes());
    f
}

fn frame(stream: i16, opcode: u8, body: &[u8]) -> Vec<u8> {
    let mut f = header(0x04, 0, stream, opcode, body.len() as u32);
    f.extend_from_slice(body);
    f
}

fn string(b: &mut Vec<u8>, s: &str) {
    b.extend_from_slice(&(s.len() as u16).to_be_bytes());
    b.extend_from_slice(s.as_bytes());
}

fn long_string(b: &mut Vec<u8>, s: &[u8]) {
    b.extend_from_slice(&(s.len() as i32).to_be_bytes());
    b.extend_from_slice(s);
}

fn startup() -> Vec<u8> {
    let mut b = 1u16.to_be_bytes().to_vec();
    string(&mut b, "CQL_VERSION");
    string(&mut b, "3.0.0");
    frame(0, 0x01, &b)
}

/// Query parameters with random consistency, flags and (often inconsistent) values.
fn random_params(r: &mut Rng) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&(r.next() as u16 % 12).to_be_bytes());
    let flags = r.next() as u8;
    b.push(flags);
    if flags & 0x01 != 0 {
        let n = if r.chance(80) {
            r.below(4) as i16
        } else {
            r.next() as i16
        };
        b.extend_from_slice(&n.to_be_bytes());
        for _ in 0..r.below(4) {
            let len = *r.pick(&[-2i32, -1, 0, 1, 4, 8, 1_000_000, i32::MAX, i32::MIN]);
            b.extend_from_slice(&len.to_be_bytes());
            let avail = r.below(9);
            b.extend(r.bytes(avail));
        }
    }
    if flags & 0x04 != 0 {
        b.extend_from_slice(&(r.next() as i32).to_be_bytes());
    }
    if flags & 0x08 != 0 {
        let n = r.below(16);
        b.extend_from_slice(&(n as i32).to_be_bytes());
        b.extend(r.bytes(n));
    }
    if r.chance(50) {
        let n = r.below(12);
        b.extend(r.bytes(n));
    }
    b
}

const STATEMENTS: &[&str] = &[
    "SELECT * FROM ks.t WHERE pk = ?",
    "SELECT key FROM system.local",
    "INSERT INTO ks.t (pk, ck, v, s) VALUES (?, ?, ?, ?)",
    "UPDATE ks.t SET v = ? WHERE pk = ? AND ck = ?",
    "DELETE FROM ks.t WHERE pk = ?",
    "SELECT * FROM ks.t",
    "BEGIN BATCH INSERT INTO ks.t (pk, ck) VALUES (1, 1) APPLY BATCH",
];

/// A body that is structurally plausible for `opcode`, with random field values.
fn plausible_body(r: &mut Rng, opcode: u8) -> Vec<u8> {
    let mut b = Vec::new();
    match opcode {
        0x01 => {
            let n = r.below(4) as u16;
            b.extend_from_slice(&n.to_be_bytes());
            for _ in 0..n {
                let k = *r.pick(&["CQL_VERSION", "COMPRESSION", "DRIVER_NAME", "", "\u{0}"]);
                string(&mut b, k);
                let v = *r.pick(&["3.0.0", "lz4", "snappy", "x", ""]);
                string(&mut b, v);
            }
        }
        0x07 | 0x09 => {
            let text = r.pick(STATEMENTS).as_bytes().to_vec();
            if r.chance(30) {
                // A lying length prefix.
                b.extend_from_slice(&(r.next() as i32).to_be_bytes());
                b.extend_from_slice(&text);
            } else {
                long_string(&mut b, &text);
            }
            if opcode == 0x07 {
                b.extend(random_params(r));
            }
        }
        0x0A => {
            let n = r.below(20);
            b.extend_from_slice(&(n as u16).to_be_bytes());
            b.extend(r.bytes(n));
            b.extend(random_params(r));
        }
        0x0B => {
            let n = r.below(4) as u16;
            b.extend_from_slice(&n.to_be_bytes());
            for _ in 0..n {
                let e = *r.pick(&["SCHEMA_CHANGE", "TOPOLOGY_CHANGE", "STATUS_CHANGE", "BOGUS"]);
                string(&mut b, e);
            }
        }
        0x0D => {
            b.push(r.next() as u8 % 4);
            let n = if r.chance(80) {
                r.below(4) as i16
            } else {
                r.next() as i16
            };
            b.extend_from_slice(&n.to_be_bytes());
            for _ in 0..r.below(4) {
                let kind = r.next() as u8 % 3;
                b.push(kind);
                if kind == 0 {
                    long_string(&mut b, r.pick(STATEMENTS).as_bytes());
                } else {
                    let n = r.below(10);
                    b.extend_from_slice(&(n as u16).to_be_bytes());
                    b.extend(r.bytes(n));
                }
                let vals = r.below(3) as i16;
                b.extend_from_slice(&vals.to_be_bytes());
                for _ in 0..vals {
                    b.extend_from_slice(&(r.below(6) as i32 - 2).to_be_bytes());
                    let n = r.below(4);
                    b.extend(r.bytes(n));
                }
            }
            b.extend(random_params(r));
        }
        0x0F => {
            let n = r.below(40);
            b.extend_from_slice(&(n as i32 - 2).to_be_bytes());
            b.extend(r.bytes(n));
        }
        _ => {
            let n = r.below(64);
            b.extend(r.bytes(n));
        }
    }
    b
}

/// One hostile connection: what it sends, and whether it closes its write side afterwards.
fn hostile_bytes(r: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    if r.chance(60) {
        out.extend(startup());
    }
    for _ in 0..1 + r.below(4) {
        match r.below(6) {
            // Fully random header, body of the declared length (small).
            0 => {
                let len = r.below(48);
                let any = r.next() as u8;
                let version = *r.pick(&[0x04, 0x84, 0x03, 0x05, 0x00, 0xff, any]);
                out.extend(header(
                    version,
                    r.next() as u8,
                    r.next() as i16,
                    r.next() as u8,
                    len as u32,
                ));
                out.extend(r.bytes(len));
            }
            // Valid header, random opcode (known and unknown), random flags.
            1 => {
                let opcode = if r.chance(70) {
                    r.below(0x12) as u8
                } else {
                    r.next() as u8
                };
                let body = plausible_body(r, opcode);
                let flags = if r.chance(70) { 0 } else { r.next() as u8 };
                out.extend(header(
                    0x04,
                    flags,
                    r.next() as i16,
                    opcode,
                    body.len() as u32,
                ));
                out.extend(body);
            }
            // Structurally plausible body for a real request, maybe truncated or padded.
            2 => {
                let opcode = *r.pick(&[0x01, 0x05, 0x07, 0x09, 0x0A, 0x0B, 0x0D, 0x0F]);
                let mut body = plausible_body(r, opcode);
                if r.chance(40) && !body.is_empty() {
                    let cut = r.below(body.len());
                    body.truncate(cut);
                } else if r.chance(30) {
                    let n = r.below(16);
                    body.extend(r.bytes(n));
                }
                out.extend(frame(r.next() as i16, opcode, &body));
            }
            // A huge declared length, then (at most) a few bytes: the server must neither
            // wait forever nor allocate per byte declared beyond its limit.
            3 => {
                let any = r.next() as u32;
                let len = *r.pick(&[
                    u32::MAX,
                    i32::MAX as u32,
                    256 * 1024 * 1024 + 1,
                    256 * 1024 * 1024,
                    1 << 30,
                    any,
                ]);
                out.extend(header(0x04, 0, 1, 0x07, len));
                let n = r.below(16);
                out.extend(r.bytes(n));
                return out;
            }
            // A truncated header, then close.
            4 => {
                let mut h = frame(1, 0x05, &[]);
                h.truncate(1 + r.below(8));
                out.extend(h);
                return out;
            }
            // Pure noise.
            _ => {
                let n = r.below(128);
                out.extend(r.bytes(n));
            }
        }
    }
    out
}

/// Reads whatever the server answers until EOF, an error or a short quiet period, and returns
/// the ERROR frames' (code, message).
async fn drain_errors(c: &mut TcpStream) -> Vec<(i32, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_millis(150), c.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 1 << 20 {
            break;
        }
    }
    let mut errors = Vec::new();
    let mut at = 0;
    while buf.len() >= at + 9 {
        let len = u32::from_be_bytes(buf[at + 5..at + 9].try_into().unwrap()) as usize;
        let (op, body) = (
            buf[at + 4],
            &buf[(at + 9).min(buf.len())..(at + 9 + len).min(buf.len())],
        );
        if op == 0x00 && body.len() >= 6 {
            let code = i32::from_be_bytes(body[0..4].try_into().unwrap());
            let mlen = u16::from_be_bytes([body[4], body[5]]) as usize;
            let msg = String::from_utf8_lossy(&body[6..(6 + mlen).min(body.len())]).into_owned();
            errors.push((code, msg));
        }
        at += 9 + len;
    }
    errors
}

async fn assert_healthy(h: &scylla_emulator::EmulatorHandle, s: &Session, round: usize) {
    let r = tokio::time::timeout(
        Duration::from_secs(5),
        // Not the fuzzed table: random statements may legitimately drop or truncate it.
        s.query_unpaged("SELECT key, release_version FROM system.local", ()),
    )
    .await;
    assert!(
        matches!(r, Ok(Ok(_))),
        "round {round}: the healthy session stopped being served: {r:?}"
    );
    // A brand-new connection is accepted and served too.
    let mut c = TcpStream::connect(h.addr()).await.expect("connect");
    c.write_all(&startup()).await.unwrap();
    let mut hdr = [0u8; 9];
    tokio::time::timeout(Duration::from_secs(5), c.read_exact(&mut hdr))
        .await
        .expect("READY in time")
        .unwrap();
    assert_eq!(hdr[4], 0x02, "round {round}: expected READY");
    assert_eq!(
        PANICS.load(Ordering::SeqCst),
        0,
        "round {round}: the emulator panicked (see the panic message above)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_and_malformed_frames_never_panic_the_server() {
    count_panics();
    let (h, s) = start_ks().await;
    ddl(
        &s,
        "CREATE TABLE t (pk int, ck int, v int, s text, PRIMARY KEY (pk, ck))",
    )
    .await;
    s.query_unpaged("INSERT INTO t (pk, ck, v, s) VALUES (1, 1, 1, 'x')", ())
        .await
        .unwrap();
    let mut r = Rng::from_env(1);
    let t0 = std::time::Instant::now();
    let mut frames_sent = 0usize;
    let mut error_frames = 0usize;
    for round in 0..20 {
        // 50 hostile connections at once.
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let bytes = hostile_bytes(&mut r);
            frames_sent += 1;
            let addr = h.addr();
            tasks.push(tokio::spawn(async move {
                let mut c = TcpStream::connect(addr).await.expect("connect");
                // The server may close first (e.g. after a bad version): that is fine.
                let _ = c.write_all(&bytes).await;
                let _ = c.shutdown().await;
                (drain_errors(&mut c).await, bytes)
            }));
        }
        for t in tasks {
            let (errors, bytes) = t.await.expect("client task");
            error_frames += errors.len();
            for (code, msg) in errors {
                assert!(
                    !(code == 0 && msg.contains("internal error")),
                    "a handler panicked (ServerError {msg:?}) on input {bytes:02x?}"
                );
            }
        }
        assert_healthy(&h, &s, round).await;
    }
    eprintln!(
        "{frames_sent} hostile connections, {error_frames} ERROR frames back, in {:?}",
        t0.elapsed()
    );
    // The input did reach the server's error paths (not just closed sockets).
    assert!(error_frames > frames_sent / 4, "{error_frames} errors");
}

const VOCAB: &[&str] = &[
    "SELECT",
    "INSERT",
    "INTO",
    "UPDATE",
    "DELETE",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "SET",
    "VALUES",
    "IF",
    "EXISTS",
    "NOT",
    "IN",
    "CONTAINS",
    "KEY",
    "LIMIT",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "ALLOW",
    "FILTERING",
    "BEGIN",
    "BATCH",
    "APPLY",
    "UNLOGGED",
    "USING",
    "TTL",
    "TIMESTAMP",
    "CREATE",
    "DROP",
    "ALTER",
    "TABLE",
    "KEYSPACE",
    "INDEX",
    "MATERIALIZED",
    "VIEW",
    "ON",
    "ADD",
    "WITH",
    "PRIMARY",
    "TRUNCATE",
    "USE",
    "DISTINCT",
    "COUNT",
    "TOKEN",
    "writetime",
    "ttl",
    "AS",
    "IS",
    "NULL",
    "LIKE",
    "GROUP",
    "PER",
    "PARTITION",
    "JSON",
    "FULL",
    "ENTRIES",
    "KEYS",
    "frozen",
    "list",
    "set",
    "map",
    "tuple",
    "int",
    "text",
    "bigint",
    "ks",
    "t",
    "ks.t",
    "pk",
    "ck",
    "v",
    "s",
    "system.local",
    "system_schema.tables",
    "*",
    "(",
    ")",
    "((",
    "))",
    "{",
    "}",
    "[",
    "]",
    ",",
    ";",
    ".",
    "=",
    "<",
    ">",
    "<=",
    ">=",
    "!=",
    "+",
    "-",
    "?",
    ":x",
    "1",
    "-1",
    "0",
    "9223372036854775808",
    "1e308",
    "NaN",
    "-Infinity",
    "0x00ff",
    "'x'",
    "''''",
    "'",
    "\"q\"",
    "\"",
    "$$ x $$",
    "$$",
    "true",
    "null",
    "--",
    "/*",
    "*/",
    "//",
    "\u{0}",
    "é",
    "😀",
    "00000000-0000-0000-0000-000000000000",
    "now()",
    "toTimestamp(now())",
    "1d",
    "P1D",
];

/// Literals of every kind, for statements that parse but carry wrong or extreme values.
const LITERALS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "1.5",
    "-0.0",
    "1e308",
    "NaN",
    "Infinity",
    "'x'",
    "''",
    "'it''s'",
    "'\u{0}'",
    "$$a'b$$",
    "0x",
    "0xdeadbeef",
    "true",
    "null",
    "?",
    "[1, 2]",
    "{1, 2}",
    "{'a': 1}",
    "(1, 'a')",
    "now()",
    "token(1)",
    "00000000-0000-0000-0000-000000000000",
    "-9223372036854775808",
    "100000000000000000000000000000",
];

const COLUMNS: &[&str] = &[
    "pk",
    "ck",
    "v",
    "s",
    "nope",
    "\"pk\"",
    "token(pk)",
    "writetime(v)",
];

/// Statements over `t (pk int, ck int, v int, s text)`: `{L}` is a random literal, `{C}` a
/// random column.
const TEMPLATES: &[&str] = &[
    "SELECT pk, ck, v FROM t WHERE pk = {L} AND ck > {L} ORDER BY ck DESC LIMIT {L}",
    "SELECT * FROM t WHERE {C} = {L} ALLOW FILTERING",
    "SELECT COUNT(*) FROM t WHERE pk IN ({L}, {L}, {L})",
    "SELECT writetime(v), ttl(v), token(pk) FROM t WHERE pk = {L}",
    "SELECT {C}, {C} FROM t WHERE {C} = {L} AND {C} < {L}",
    "INSERT INTO t (pk, ck, v, s) VALUES ({L}, {L}, {L}, {L}) USING TTL {L}",
    "INSERT INTO t ({C}, {C}) VALUES ({L}, {L}) IF NOT EXISTS",
    "UPDATE t SET v = {L}, s = {L} WHERE pk = {L} AND ck = {L} IF EXISTS",
    "UPDATE t SET {C} = {C} + {L} WHERE pk = {L} AND ck = {L}",
    "UPDATE t USING TIMESTAMP {L} SET v = {L} WHERE pk = {L} AND ck = {L} IF v = {L}",
    "DELETE {C} FROM t WHERE pk = {L} AND ck = {L}",
    "DELETE FROM t WHERE pk = {L} AND ck >= {L} AND ck < {L}",
    "BEGIN BATCH INSERT INTO t (pk, ck) VALUES ({L}, {L}); UPDATE t SET v = {L} WHERE pk = {L} AND ck = {L} APPLY BATCH",
    "SELECT * FROM t WHERE token(pk) > {L} AND token(pk) <= {L}",
    "SELECT pk FROM t WHERE ({C}, {C}) > ({L}, {L}) AND pk = {L}",
    "SELECT DISTINCT pk FROM t PER PARTITION LIMIT {L}",
    "SELECT * FROM t WHERE s LIKE {L} ALLOW FILTERING",
    "SELECT pk, max(v), avg(v), sum(ck) FROM t WHERE pk = {L} GROUP BY {C}",
    "SELECT * FROM system_schema.columns WHERE keyspace_name = {L}",
    "CREATE TABLE IF NOT EXISTS u (a int, b frozen<map<text, list<int>>>, PRIMARY KEY ((a), b))",
    "CREATE INDEX IF NOT EXISTS ON t ({C})",
    "CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT * FROM t WHERE {C} IS NOT NULL AND pk IS NOT NULL AND ck IS NOT NULL PRIMARY KEY ({C}, pk, ck)",
];

fn fill(r: &mut Rng, template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        match &rest[i..] {
            t if t.starts_with("{L}") => {
                // Half of the time a value of the right type, so statements get executed.
                if r.chance(50) {
                    out.push_str(&(r.below(5)).to_string());
                } else {
                    out.push_str(r.pick::<&str>(LITERALS));
                }
                rest = &rest[i + 3..];
            }
            t if t.starts_with("{C}") => {
                out.push_str(r.pick::<&str>(COLUMNS));
                rest = &rest[i + 3..];
            }
            _ => {
                out.push('{');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A random statement: a well-formed statement with random literals and columns (exercises
/// the engine's checks), the same with a structural mutation (the parser's error paths), or a
/// token soup.
fn random_statement(r: &mut Rng) -> String {
    let choice = r.below(10);
    if choice < 2 {
        let n = 1 + r.below(24);
        let mut out = String::new();
        for _ in 0..n {
            out.push_str(r.pick::<&str>(VOCAB));
            if r.chance(85) {
                out.push(' ');
            }
        }
        return out;
    }
    let template = *r.pick(TEMPLATES);
    let filled = fill(r, template);
    if choice < 6 {
        return filled;
    }
    let mut toks: Vec<String> = filled.split(' ').map(str::to_owned).collect();
    for _ in 0..1 + r.below(2) {
        let i = r.below(toks.len().max(1));
        match r.below(6) {
            0 if toks.len() > 1 => {
                toks.remove(i);
            }
            1 => toks.insert(i, (*r.pick(VOCAB)).to_owned()),
            2 => {
                let j = r.below(toks.len());
                toks.swap(i, j);
            }
            3 => toks[i] = (*r.pick(VOCAB)).to_owned(),
            4 => {
                // Cut a token in half (unbalances quotes and parentheses).
                let t = &toks[i];
                let cut = t
                    .char_indices()
                    .nth(t.chars().count() / 2)
                    .map_or(0, |(k, _)| k);
                toks[i] = t[..cut].to_owned();
            }
            _ => {
                // Deep nesting.
                let depth = 1 + r.below(40);
                toks.insert(i, "(".repeat(depth));
            }
        }
    }
    toks.join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_statements_never_panic_the_server() {
    count_panics();
    let (h, s) = start_ks().await;
    ddl(
        &s,
        "CREATE TABLE t (pk int, ck int, v int, s text, PRIMARY KEY (pk, ck))",
    )
    .await;
    s.query_unpaged("INSERT INTO t (pk, ck, v, s) VALUES (1, 1, 1, 'x')", ())
        .await
        .unwrap();
    let mut r = Rng::from_env(2);
    let t0 = std::time::Instant::now();
    let (mut ok, mut rejected) = (0usize, 0usize);
    for round in 0..20 {
        let stmts: Vec<String> = (0..100).map(|_| random_statement(&mut r)).collect();
        let results = futures::future::join_all(stmts.iter().map(|q| {
            let s = &s;
            async move {
                let query =
                    tokio::time::timeout(Duration::from_secs(10), s.query_unpaged(q.as_str(), ()));
                let prepare = tokio::time::timeout(Duration::from_secs(10), s.prepare(q.as_str()));
                let (query, prepare) = futures::join!(query, prepare);
                (q, query, prepare)
            }
        }))
        .await;
        for (q, query, prepare) in results {
            let Ok(query) = query else {
                panic!("no answer to QUERY {q:?}")
            };
            let Ok(prepare) = prepare else {
                panic!("no answer to PREPARE {q:?}")
            };
            match &query {
                Ok(_) => ok += 1,
                Err(e) => {
                    rejected += 1;
                    if let Some((code, msg)) = db_error_of_execution(e) {
                        assert!(
                            !(code == DbError::ServerError && msg.contains("internal error")),
                            "QUERY {q:?} panicked the handler: {msg}"
                        );
                    }
                }
            }
            if let Err(e) = &prepare
                && let Some((code, msg)) = db_error_of_prepare(e)
            {
                assert!(
                    !(code == DbError::ServerError && msg.contains("internal error")),
                    "PREPARE {q:?} panicked the handler: {msg}"
                );
            }
        }
        assert_healthy(&h, &s, round).await;
    }
    eprintln!(
        "{} random statements ({ok} accepted, {rejected} rejected) in {:?}",
        ok + rejected,
        t0.elapsed()
    );
}
