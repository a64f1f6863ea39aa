//! CQL native protocol v4: frame headers, request bodies, response encoders.

use std::collections::HashMap;

use crate::engine::{ColSpec, Prepared, QueryResult, RawValue, RowsResult};
use crate::error::{CqlError, ErrorExtra, Result};
use crate::types::write_cell;

/// Maximum frame body (ScyllaDB's native_transport_max_frame_size default is 256 MiB).
pub const MAX_FRAME: usize = 256 * 1024 * 1024;

pub mod opcode {
    pub const ERROR: u8 = 0x00;
    pub const STARTUP: u8 = 0x01;
    pub const READY: u8 = 0x02;
    pub const AUTHENTICATE: u8 = 0x03;
    pub const OPTIONS: u8 = 0x05;
    pub const SUPPORTED: u8 = 0x06;
    pub const QUERY: u8 = 0x07;
    pub const RESULT: u8 = 0x08;
    pub const PREPARE: u8 = 0x09;
    pub const EXECUTE: u8 = 0x0A;
    pub const REGISTER: u8 = 0x0B;
    pub const EVENT: u8 = 0x0C;
    pub const BATCH: u8 = 0x0D;
    pub const AUTH_CHALLENGE: u8 = 0x0E;
    pub const AUTH_RESPONSE: u8 = 0x0F;
    pub const AUTH_SUCCESS: u8 = 0x10;
}

/// A request frame header.
#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub version: u8,
    pub flags: u8,
    pub stream: i16,
    pub opcode: u8,
    pub length: u32,
}

impl Header {
    pub fn parse(b: &[u8; 9]) -> Header {
        Header {
            version: b[0],
            flags: b[1],
            stream: i16::from_be_bytes([b[2], b[3]]),
            opcode: b[4],
            length: u32::from_be_bytes([b[5], b[6], b[7], b[8]]),
        }
    }
}

/// Encodes a response frame.
pub fn frame(stream: i16, opcode: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + body.len());
    out.push(0x84);
    out.push(0);
    out.extend_from_slice(&stream.to_be_bytes());
    out.push(opcode);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Encodes a response frame carrying warnings (flag 0x08) when there are any.
pub fn frame_with_warnings(stream: i16, opcode: u8, warnings: &[String], body: &[u8]) -> Vec<u8> {
    if warnings.is_empty() {
        return frame(stream, opcode, body);
    }
    let mut b = Vec::new();
    b.extend_from_slice(&(warnings.len() as u16).to_be_bytes());
    for w in warnings {
        write_string(&mut b, w);
    }
    b.extend_from_slice(body);
    let mut f = frame(stream, opcode, &b);
    f[1] = 0x08;
    f
}

/// A cursor over a request body.
pub struct Reader<'a> {
    buf: &'a [u8],
}

fn short() -> CqlError {
    CqlError::protocol("Not enough bytes to read a request body")
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(short());
        }
        let (h, t) = self.buf.split_at(n);
        self.buf = t;
        Ok(h)
    }
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into().unwrap()))
    }
    pub fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.take(8)?.try_into().unwrap()))
    }
    pub fn string(&mut self) -> Result<String> {
        let n = self.u16()? as usize;
        String::from_utf8(self.take(n)?.to_vec())
            .map_err(|_| CqlError::protocol("Invalid UTF-8 in a string"))
    }
    pub fn long_string(&mut self) -> Result<String> {
        let n = self.i32()?;
        if n < 0 {
            return Err(CqlError::protocol("Negative length of a long string"));
        }
        String::from_utf8(self.take(n as usize)?.to_vec())
            .map_err(|_| CqlError::protocol("Invalid UTF-8 in a string"))
    }
    pub fn short_bytes(&mut self) -> Result<Vec<u8>> {
        let n = self.u16()? as usize;
        Ok(self.take(n)?.to_vec())
    }
    pub fn bytes(&mut self) -> Result<Option<Vec<u8>>> {
        let n = self.i32()?;
        if n < 0 {
            return Ok(None);
        }
        Ok(Some(self.take(n as usize)?.to_vec()))
    }
    pub fn value(&mut self) -> Result<RawValue> {
        let n = self.i32()?;
        match n {
            -1 => Ok(RawValue::Null),
            -2 => Ok(RawValue::Unset),
            n if n < 0 => Err(CqlError::protocol(format!("Invalid value length {n}"))),
            n => Ok(RawValue::Bytes(self.take(n as usize)?.to_vec())),
        }
    }
    pub fn string_map(&mut self) -> Result<HashMap<String, String>> {
        let n = self.u16()?;
        let mut m = HashMap::new();
        for _ in 0..n {
            let k = self.string()?;
            let v = self.string()?;
            m.insert(k, v);
        }
        Ok(m)
    }
    pub fn string_list(&mut self) -> Result<Vec<String>> {
        let n = self.u16()?;
        (0..n).map(|_| self.string()).collect()
    }
}

/// QUERY / EXECUTE parameters.
#[derive(Debug, Clone, Default)]
pub struct QueryParams {
    pub consistency: u16,
    pub values: Vec<RawValue>,
    pub skip_metadata: bool,
    pub page_size: Option<i32>,
    pub paging_state: Option<Vec<u8>>,
    pub serial_consistency: Option<u16>,
    pub timestamp: Option<i64>,
}

pub fn read_params(r: &mut Reader) -> Result<QueryParams> {
    let consistency = r.u16()?;
    let flags = r.u8()?;
    let mut p = QueryParams {
        consistency,
        ..Default::default()
    };
    if flags & 0x40 != 0 {
        return Err(CqlError::protocol(
            "Named values are not supported by the scylla-emulator",
        ));
    }
    if flags & 0x01 != 0 {
        let n = r.u16()?;
        for _ in 0..n {
            p.values.push(r.value()?);
        }
    }
    p.skip_metadata = flags & 0x02 != 0;
    if flags & 0x04 != 0 {
        p.page_size = Some(r.i32()?);
    }
    if flags & 0x08 != 0 {
        p.paging_state = r.bytes()?;
    }
    if flags & 0x10 != 0 {
        p.serial_consistency = Some(r.u16()?);
    }
    if flags & 0x20 != 0 {
        p.timestamp = Some(r.i64()?);
    }
    Ok(p)
}

/// One statement of a BATCH request.
#[derive(Debug, Clone)]
pub enum BatchItem {
    Query(String),
    Prepared(Vec<u8>),
}

#[derive(Debug, Clone)]
pub struct BatchRequest {
    pub kind: u8,
    pub items: Vec<(BatchItem, Vec<RawValue>)>,
    pub consistency: u16,
    pub timestamp: Option<i64>,
}

pub fn read_batch(r: &mut Reader) -> Result<BatchRequest> {
    let kind = r.u8()?;
    if kind > 2 {
        return Err(CqlError::protocol(format!(
            "Invalid BATCH message type {kind}"
        )));
    }
    let n = r.u16()?;
    let mut items = Vec::new();
    for _ in 0..n {
        let k = r.u8()?;
        let item = match k {
            0 => BatchItem::Query(r.long_string()?),
            1 => BatchItem::Prepared(r.short_bytes()?),
            o => {
                return Err(CqlError::protocol(format!(
                    "Invalid query kind in BATCH messages. Must be 0 or 1 but got {o}"
                )));
            }
        };
        let nv = r.u16()?;
        let mut vals = Vec::new();
        for _ in 0..nv {
            vals.push(r.value()?);
        }
        items.push((item, vals));
    }
    let consistency = r.u16()?;
    let flags = r.u8()?;
    if flags & 0x40 != 0 {
        return Err(CqlError::protocol(
            "Named values are not supported by the scylla-emulator",
        ));
    }
    if flags & 0x10 != 0 {
        r.u16()?;
    }
    let timestamp = if flags & 0x20 != 0 {
        Some(r.i64()?)
    } else {
        None
    };
    Ok(BatchRequest {
        kind,
        items,
        consistency,
        timestamp,
    })
}

pub fn write_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

pub fn write_bytes(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        Some(b) => {
            out.extend_from_slice(&(b.len() as i32).to_be_bytes());
            out.extend_from_slice(b);
        }
    }
}

pub fn error_body(e: &CqlError) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&e.code.to_be_bytes());
    write_string(&mut out, &e.message);
    match &e.extra {
        ErrorExtra::None => {}
        ErrorExtra::AlreadyExists { keyspace, table } => {
            write_string(&mut out, keyspace);
            write_string(&mut out, table);
        }
        ErrorExtra::Unprepared { id } => {
            out.extend_from_slice(&(id.len() as u16).to_be_bytes());
            out.extend_from_slice(id);
        }
        ErrorExtra::ReadTimeout {
            consistency,
            received,
            required,
            data_present,
        } => {
            out.extend_from_slice(&consistency.to_be_bytes());
            out.extend_from_slice(&received.to_be_bytes());
            out.extend_from_slice(&required.to_be_bytes());
            out.push(*data_present as u8);
        }
        ErrorExtra::WriteTimeout {
            consistency,
            received,
            required,
            write_type,
        } => {
            out.extend_from_slice(&consistency.to_be_bytes());
            out.extend_from_slice(&received.to_be_bytes());
            out.extend_from_slice(&required.to_be_bytes());
            write_string(&mut out, write_type);
        }
        ErrorExtra::Unavailable {
            consistency,
            required,
            alive,
        } => {
            out.extend_from_slice(&consistency.to_be_bytes());
            out.extend_from_slice(&required.to_be_bytes());
            out.extend_from_slice(&alive.to_be_bytes());
        }
    }
    out
}

pub fn supported_body() -> Vec<u8> {
    let mut out = Vec::new();
    let entries: [(&str, &[&str]); 2] = [("CQL_VERSION", &["3.3.1"]), ("COMPRESSION", &[])];
    out.extend_from_slice(&(entries.len() as u16).to_be_bytes());
    for (k, vs) in entries {
        write_string(&mut out, k);
        out.extend_from_slice(&(vs.len() as u16).to_be_bytes());
        for v in vs {
            write_string(&mut out, v);
        }
    }
    out
}

fn write_col_specs(out: &mut Vec<u8>, cols: &[ColSpec]) {
    let global = !cols.is_empty()
        && cols
            .iter()
            .all(|c| c.keyspace == cols[0].keyspace && c.table == cols[0].table);
    if global {
        write_string(out, &cols[0].keyspace);
        write_string(out, &cols[0].table);
    }
    for c in cols {
        if !global {
            write_string(out, &c.keyspace);
            write_string(out, &c.table);
        }
        write_string(out, &c.name);
        c.ty.write_option(out);
    }
}

fn global_flag(cols: &[ColSpec]) -> i32 {
    let global = !cols.is_empty()
        && cols
            .iter()
            .all(|c| c.keyspace == cols[0].keyspace && c.table == cols[0].table);
    if global { 0x0001 } else { 0 }
}

fn rows_metadata(
    out: &mut Vec<u8>,
    cols: &[ColSpec],
    paging_state: Option<&[u8]>,
    no_metadata: bool,
) {
    let mut flags = 0i32;
    if paging_state.is_some() {
        flags |= 0x0002;
    }
    if no_metadata {
        flags |= 0x0004;
    } else {
        flags |= global_flag(cols);
    }
    out.extend_from_slice(&flags.to_be_bytes());
    out.extend_from_slice(&(cols.len() as i32).to_be_bytes());
    if let Some(p) = paging_state {
        write_bytes(out, Some(p));
    }
    if !no_metadata {
        write_col_specs(out, cols);
    }
}

pub fn rows_body(r: &RowsResult) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&2i32.to_be_bytes());
    rows_metadata(
        &mut out,
        &r.columns,
        r.paging_state.as_deref(),
        r.no_metadata,
    );
    out.extend_from_slice(&(r.rows.len() as i32).to_be_bytes());
    for row in &r.rows {
        for v in row {
            write_cell(&mut out, v.as_ref());
        }
    }
    out
}

pub fn result_body(r: &QueryResult) -> Vec<u8> {
    let mut out = Vec::new();
    match r {
        QueryResult::Void => out.extend_from_slice(&1i32.to_be_bytes()),
        QueryResult::Rows(rows) => return rows_body(rows),
        QueryResult::SetKeyspace(ks) => {
            out.extend_from_slice(&3i32.to_be_bytes());
            write_string(&mut out, ks);
        }
        QueryResult::SchemaChange(sc) => {
            out.extend_from_slice(&5i32.to_be_bytes());
            write_string(&mut out, sc.change);
            write_string(&mut out, sc.target);
            write_string(&mut out, &sc.keyspace);
            if let Some(n) = &sc.name {
                write_string(&mut out, n);
            }
        }
    }
    out
}

pub fn prepared_body(p: &Prepared) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&4i32.to_be_bytes());
    out.extend_from_slice(&(p.id.len() as u16).to_be_bytes());
    out.extend_from_slice(&p.id);
    // Prepared metadata.
    out.extend_from_slice(&global_flag(&p.bind_specs).to_be_bytes());
    out.extend_from_slice(&(p.bind_specs.len() as i32).to_be_bytes());
    out.extend_from_slice(&(p.pk_indexes.len() as i32).to_be_bytes());
    for i in &p.pk_indexes {
        out.extend_from_slice(&i.to_be_bytes());
    }
    write_col_specs(&mut out, &p.bind_specs);
    // Result metadata.
    if p.result_columns.is_empty() {
        out.extend_from_slice(&0x0004i32.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
    } else {
        rows_metadata(&mut out, &p.result_columns, None, false);
    }
    out
}

pub fn event_schema_change(sc: &crate::engine::SchemaChange) -> Vec<u8> {
    let mut out = Vec::new();
    write_string(&mut out, "SCHEMA_CHANGE");
    write_string(&mut out, sc.change);
    write_string(&mut out, sc.target);
    write_string(&mut out, &sc.keyspace);
    if let Some(n) = &sc.name {
        write_string(&mut out, n);
    }
    out
}
