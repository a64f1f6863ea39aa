//! The TCP server: listener, per-connection frame loop, request dispatch.

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, broadcast, mpsc, watch};

use crate::engine::{Engine, QueryOptions, QueryResult};
use crate::error::{CqlError, Result, code};
use crate::instruments::{FaultError, Instruments, Stats};
use crate::protocol::{self, Header, Reader, opcode};

/// Entry point: `Emulator::builder()`.
pub struct Emulator;

impl Emulator {
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            listen: "127.0.0.1:0".parse().unwrap(),
            credentials: None,
            strict_allow_filtering: false,
        }
    }
}

/// Configures and starts an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    listen: SocketAddr,
    credentials: Option<(String, String)>,
    strict_allow_filtering: bool,
}

struct Shared {
    engine: Engine,
    instruments: Arc<Instruments>,
    credentials: Option<(String, String)>,
    kill: watch::Sender<u64>,
    events: broadcast::Sender<Vec<u8>>,
}

/// A running emulator.
pub struct EmulatorHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    accept: Option<tokio::task::JoinHandle<()>>,
}

impl EmulatorBuilder {
    /// Address to listen on (default `127.0.0.1:0`).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Require PasswordAuthenticator credentials.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// ScyllaDB's `strict_allow_filtering: true`: reject (instead of warn about) clustering
    /// restrictions without a partition-key restriction and without ALLOW FILTERING.
    pub fn strict_allow_filtering(mut self, strict: bool) -> Self {
        self.strict_allow_filtering = strict;
        self
    }

    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<EmulatorHandle> {
        let listener = TcpListener::bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let instruments = Arc::new(Instruments::default());
        let engine = Engine::new(instruments.clone(), addr.ip());
        engine.strict_allow_filtering.store(
            self.strict_allow_filtering,
            std::sync::atomic::Ordering::Relaxed,
        );
        let (kill, _) = watch::channel(0u64);
        let (events, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            engine,
            instruments,
            credentials: self.credentials,
            kill,
            events,
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let sh = shared.clone();
        let accept = tokio::spawn(accept_loop(listener, sh, shutdown_rx));
        Ok(EmulatorHandle {
            addr,
            shared,
            shutdown,
            accept: Some(accept),
        })
    }
}

impl EmulatorBuilder {
    /// Starts the emulator on its own thread with its own tokio runtime, so one emulator can
    /// outlive a single `#[tokio::test]` runtime and be shared by many tests (e.g. from a
    /// `static OnceLock<EmulatorHandle>`). Dropping the handle (or `shutdown()`) stops it.
    pub fn start_background(self) -> std::io::Result<EmulatorHandle> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("scylla-emulator".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("scylla-emulator-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    match self.start().await {
                        Ok(h) => {
                            let mut done = h.shutdown.subscribe();
                            if tx.send(Ok(h)).is_err() {
                                return;
                            }
                            let _ = done.wait_for(|stopped| *stopped).await;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    }
                });
            })?;
        rx.recv().map_err(|_| {
            std::io::Error::other("the scylla-emulator thread exited during startup")
        })?
    }
}

impl EmulatorHandle {
    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.instruments.snapshot()
    }
    pub fn reset_stats(&self) {
        self.shared.instruments.reset()
    }
    /// Injected latency added to every QUERY/PREPARE/EXECUTE/BATCH (0 = none).
    pub fn set_latency(&self, d: Duration) {
        self.shared.instruments.set_latency(d)
    }
    /// Fail the next `n` statements (QUERY, EXECUTE, BATCH) whose text contains `pattern`.
    pub fn fail_next(&self, n: u64, pattern: &str, error: FaultError) {
        self.shared.instruments.add_fault(n, pattern, error)
    }
    /// Forget pending faults.
    pub fn clear_faults(&self) {
        self.shared.instruments.clear_faults()
    }
    /// Close every client connection (the listener keeps accepting).
    pub fn drop_connections(&self) {
        self.shared.kill.send_modify(|g| *g += 1);
    }
    /// The engine (for white-box tests).
    pub fn engine(&self) -> &Engine {
        &self.shared.engine
    }
    /// Stop accepting and close connections.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        self.shared.kill.send_modify(|g| *g += 1);
        if let Some(a) = self.accept.take() {
            let _ = a.await;
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.shared.kill.send_modify(|g| *g += 1);
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            r = listener.accept() => match r {
                Ok((sock, _)) => {
                    let _ = sock.set_nodelay(true);
                    let sh = shared.clone();
                    let sd = shutdown.clone();
                    tokio::spawn(async move { connection(sock, sh, sd).await });
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
}

#[derive(Default)]
struct ConnState {
    keyspace: Option<String>,
    ready: bool,
    authenticated: bool,
}

fn error_frame(stream: i16, e: &CqlError) -> Vec<u8> {
    protocol::frame(stream, opcode::ERROR, &protocol::error_body(e))
}

async fn connection(sock: TcpStream, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let (mut rd, mut wr) = sock.into_split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer = tokio::spawn(async move {
        while let Some(f) = rx.recv().await {
            if wr.write_all(&f).await.is_err() {
                break;
            }
        }
        let _ = wr.shutdown().await;
    });
    let close = Arc::new(Notify::new());
    let state = Arc::new(Mutex::new(ConnState::default()));
    let mut kill = shared.kill.subscribe();
    let mut events_task: Option<tokio::task::JoinHandle<()>> = None;
    let mut forced = false;
    loop {
        let mut hdr = [0u8; 9];
        tokio::select! {
            _ = kill.changed() => { forced = true; break }
            _ = shutdown.changed() => { forced = true; break }
            _ = close.notified() => { forced = true; break }
            r = rd.read_exact(&mut hdr) => {
                if r.is_err() { break; }
            }
        }
        let h = Header::parse(&hdr);
        if h.version & 0x80 != 0 || (h.version & 0x7f) != 4 {
            let e = CqlError::protocol(format!(
                "Invalid or unsupported protocol version ({}); supported versions are (3/v3, 4/v4)",
                h.version & 0x7f
            ));
            let _ = tx.send(error_frame(h.stream, &e));
            break;
        }
        if h.length as usize > protocol::MAX_FRAME {
            let e = CqlError::protocol(format!(
                "Request is too big: length {} exceeds maximum allowed length {}",
                h.length,
                protocol::MAX_FRAME
            ));
            let _ = tx.send(error_frame(h.stream, &e));
            break;
        }
        let mut body = vec![0u8; h.length as usize];
        let read = tokio::select! {
            _ = kill.changed() => { forced = true; break }
            _ = shutdown.changed() => { forced = true; break }
            r = rd.read_exact(&mut body) => r,
        };
        if read.is_err() {
            break;
        }
        if h.flags & 0x01 != 0 {
            let _ = tx.send(error_frame(
                h.stream,
                &CqlError::protocol("Compression was not negotiated"),
            ));
            continue;
        }
        match h.opcode {
            opcode::OPTIONS => {
                let _ = tx.send(protocol::frame(
                    h.stream,
                    opcode::SUPPORTED,
                    &protocol::supported_body(),
                ));
            }
            opcode::STARTUP => {
                let r = Reader::new(&body).string_map();
                match r {
                    Err(e) => {
                        let _ = tx.send(error_frame(h.stream, &e));
                    }
                    Ok(opts) => {
                        if let Some(c) = opts.get("COMPRESSION") {
                            let e =
                                CqlError::protocol(format!("Unknown compression algorithm: {c}"));
                            let _ = tx.send(error_frame(h.stream, &e));
                            continue;
                        }
                        let mut st = state.lock().unwrap();
                        st.ready = true;
                        if shared.credentials.is_some() {
                            let mut b = Vec::new();
                            protocol::write_string(
                                &mut b,
                                "org.apache.cassandra.auth.PasswordAuthenticator",
                            );
                            let _ = tx.send(protocol::frame(h.stream, opcode::AUTHENTICATE, &b));
                        } else {
                            st.authenticated = true;
                            let _ = tx.send(protocol::frame(h.stream, opcode::READY, &[]));
                        }
                    }
                }
            }
            opcode::AUTH_RESPONSE => {
                let token = Reader::new(&body)
                    .bytes()
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                let parts: Vec<&[u8]> = token.split(|b| *b == 0).collect();
                let ok = match (&shared.credentials, parts.as_slice()) {
                    (Some((u, p)), [_, user, pass]) => {
                        user == &u.as_bytes() && pass == &p.as_bytes()
                    }
                    (None, _) => true,
                    _ => false,
                };
                if ok {
                    state.lock().unwrap().authenticated = true;
                    let mut b = Vec::new();
                    protocol::write_bytes(&mut b, None);
                    let _ = tx.send(protocol::frame(h.stream, opcode::AUTH_SUCCESS, &b));
                } else {
                    let e = CqlError::new(
                        code::BAD_CREDENTIALS,
                        "Username and/or password are incorrect",
                    );
                    let _ = tx.send(error_frame(h.stream, &e));
                }
            }
            opcode::REGISTER => {
                if Reader::new(&body).string_list().is_err() {
                    let _ = tx.send(error_frame(
                        h.stream,
                        &CqlError::protocol("Malformed REGISTER body"),
                    ));
                    continue;
                }
                if events_task.is_none() {
                    let mut sub = shared.events.subscribe();
                    let etx = tx.clone();
                    events_task = Some(tokio::spawn(async move {
                        while let Ok(ev) = sub.recv().await {
                            if etx.send(protocol::frame(-1, opcode::EVENT, &ev)).is_err() {
                                break;
                            }
                        }
                    }));
                }
                let _ = tx.send(protocol::frame(h.stream, opcode::READY, &[]));
            }
            opcode::QUERY | opcode::PREPARE | opcode::EXECUTE | opcode::BATCH => {
                let (ready, authed) = {
                    let st = state.lock().unwrap();
                    (st.ready, st.authenticated)
                };
                if !ready {
                    let _ = tx.send(error_frame(
                        h.stream,
                        &CqlError::protocol("Unexpected message, expecting STARTUP or OPTIONS"),
                    ));
                    continue;
                }
                if !authed {
                    let e = CqlError::new(
                        code::BAD_CREDENTIALS,
                        "Authentication required: send AUTH_RESPONSE first",
                    );
                    let _ = tx.send(error_frame(h.stream, &e));
                    continue;
                }
                let sh = shared.clone();
                let st = state.clone();
                let tx2 = tx.clone();
                let cl = close.clone();
                tokio::spawn(async move {
                    let lat = sh.instruments.latency();
                    if !lat.is_zero() {
                        tokio::time::sleep(lat).await;
                    }
                    let sh2 = sh.clone();
                    let out =
                        std::panic::catch_unwind(AssertUnwindSafe(|| request(&sh2, &st, h, &body)));
                    let frame = match out {
                        Ok(Ok(Some(f))) => f,
                        Ok(Ok(None)) => {
                            cl.notify_one();
                            return;
                        }
                        Ok(Err(e)) => error_frame(h.stream, &e),
                        Err(_) => error_frame(
                            h.stream,
                            &CqlError::server("internal error in the scylla-emulator"),
                        ),
                    };
                    let _ = tx2.send(frame);
                });
            }
            other => {
                let e = CqlError::protocol(format!("Unknown opcode {other}"));
                let _ = tx.send(error_frame(h.stream, &e));
            }
        }
    }
    drop(tx);
    if let Some(t) = events_task {
        t.abort();
    }
    // Give queued responses (e.g. a protocol error) a moment, then close the socket.
    let mut writer = writer;
    if !forced {
        let _ = tokio::time::timeout(Duration::from_millis(50), &mut writer).await;
    }
    writer.abort();
}

fn fault(shared: &Shared, text: &str) -> Option<Option<CqlError>> {
    shared.instruments.take_fault(text).map(|f| f.to_error())
}

/// Handles QUERY/PREPARE/EXECUTE/BATCH. `Ok(None)` means "drop the connection".
fn request(
    shared: &Shared,
    state: &Mutex<ConnState>,
    h: Header,
    body: &[u8],
) -> Result<Option<Vec<u8>>> {
    let engine = &shared.engine;
    let mut r = Reader::new(body);
    let ks = state.lock().unwrap().keyspace.clone();
    let result = match h.opcode {
        opcode::PREPARE => {
            let text = r.long_string()?;
            let p = engine.prepare(&text, ks.as_deref())?;
            return Ok(Some(protocol::frame(
                h.stream,
                opcode::RESULT,
                &protocol::prepared_body(&p),
            )));
        }
        opcode::QUERY => {
            let text = r.long_string()?;
            let params = protocol::read_params(&mut r)?;
            if let Some(f) = fault(shared, &text) {
                return match f {
                    Some(e) => Err(e),
                    None => Ok(None),
                };
            }
            let parsed = crate::cql::parse(&text).map_err(|e| CqlError::syntax(e.message))?;
            if parsed.bind_count != params.values.len() {
                return Err(CqlError::invalid(format!(
                    "There were {} markers(?) in CQL but {} bound variables",
                    parsed.bind_count,
                    params.values.len()
                )));
            }
            let opts = options(params);
            engine.execute(&parsed, ks.as_deref(), &opts, None)?
        }
        opcode::EXECUTE => {
            let id = r.short_bytes()?;
            let params = protocol::read_params(&mut r)?;
            let p = engine
                .lookup(&id)
                .ok_or_else(|| CqlError::unprepared(&id))?;
            if let Some(f) = fault(shared, &p.text) {
                return match f {
                    Some(e) => Err(e),
                    None => Ok(None),
                };
            }
            if p.bind_specs.len() != params.values.len() {
                return Err(CqlError::invalid(format!(
                    "There were {} markers(?) in CQL but {} bound variables",
                    p.bind_specs.len(),
                    params.values.len()
                )));
            }
            let opts = options(params);
            engine.execute(
                &p.parsed,
                p.keyspace.as_deref(),
                &opts,
                Some(&p.result_columns),
            )?
        }
        opcode::BATCH => {
            let b = protocol::read_batch(&mut r)?;
            let mut stmts = Vec::new();
            for (item, values) in b.items {
                let (parsed, text, sks) = match item {
                    protocol::BatchItem::Query(text) => {
                        let parsed =
                            crate::cql::parse(&text).map_err(|e| CqlError::syntax(e.message))?;
                        (parsed, text, ks.clone())
                    }
                    protocol::BatchItem::Prepared(id) => {
                        let p = engine
                            .lookup(&id)
                            .ok_or_else(|| CqlError::unprepared(&id))?;
                        (p.parsed.clone(), p.text.clone(), p.keyspace.clone())
                    }
                };
                if let Some(f) = fault(shared, &text) {
                    return match f {
                        Some(e) => Err(e),
                        None => Ok(None),
                    };
                }
                if parsed.bind_count != values.len() {
                    return Err(CqlError::invalid(format!(
                        "There were {} markers(?) in CQL but {} bound variables",
                        parsed.bind_count,
                        values.len()
                    )));
                }
                stmts.push((parsed, sks, values));
            }
            engine.execute_batch(&stmts, b.timestamp)?
        }
        _ => return Err(CqlError::protocol("unexpected opcode")),
    };
    match &result {
        QueryResult::SetKeyspace(k) => state.lock().unwrap().keyspace = Some(k.clone()),
        QueryResult::SchemaChange(sc) => {
            let _ = shared.events.send(protocol::event_schema_change(sc));
        }
        _ => {}
    }
    let warnings: &[String] = match &result {
        QueryResult::Rows(r) => &r.warnings,
        _ => &[],
    };
    Ok(Some(protocol::frame_with_warnings(
        h.stream,
        opcode::RESULT,
        warnings,
        &protocol::result_body(&result),
    )))
}

fn options(p: protocol::QueryParams) -> QueryOptions {
    QueryOptions {
        values: p.values,
        page_size: p.page_size,
        paging_state: p.paging_state,
        timestamp: p.timestamp,
        skip_metadata: p.skip_metadata,
    }
}
