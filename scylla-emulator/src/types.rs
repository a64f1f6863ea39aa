//! CQL types and values: conversion from the syntax tree, the wire encoding of cells, ordering,
//! and ScyllaDB's canonical type names.

use std::cmp::Ordering;
use std::net::IpAddr;

use crate::cql::ast::{CqlType, NativeType};
use crate::error::{CqlError, Result};

/// A column type as stored in the schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ColType {
    Ascii,
    Bigint,
    Blob,
    Boolean,
    Counter,
    Date,
    Decimal,
    Double,
    Duration,
    Float,
    Inet,
    Int,
    Smallint,
    Text,
    Time,
    Timestamp,
    Timeuuid,
    Tinyint,
    Uuid,
    Varint,
    List(Box<ColType>),
    Set(Box<ColType>),
    Map(Box<ColType>, Box<ColType>),
    Tuple(Vec<ColType>),
    /// `frozen<T>` around a collection.
    Frozen(Box<ColType>),
}

impl ColType {
    /// Converts a declared type. Nested collections are implicitly frozen only where ScyllaDB
    /// requires `frozen` (it rejects non-frozen nested collections).
    pub fn from_ast(t: &CqlType) -> Result<ColType> {
        Self::from_ast_inner(t, true)
    }

    fn from_ast_inner(t: &CqlType, top: bool) -> Result<ColType> {
        Ok(match t {
            CqlType::Native(n) => match n {
                NativeType::Ascii => ColType::Ascii,
                NativeType::Bigint => ColType::Bigint,
                NativeType::Blob => ColType::Blob,
                NativeType::Boolean => ColType::Boolean,
                NativeType::Counter => ColType::Counter,
                NativeType::Date => ColType::Date,
                NativeType::Decimal => ColType::Decimal,
                NativeType::Double => ColType::Double,
                NativeType::Duration => ColType::Duration,
                NativeType::Float => ColType::Float,
                NativeType::Inet => ColType::Inet,
                NativeType::Int => ColType::Int,
                NativeType::Smallint => ColType::Smallint,
                NativeType::Text => ColType::Text,
                NativeType::Time => ColType::Time,
                NativeType::Timestamp => ColType::Timestamp,
                NativeType::Timeuuid => ColType::Timeuuid,
                NativeType::Tinyint => ColType::Tinyint,
                NativeType::Uuid => ColType::Uuid,
                NativeType::Varint => ColType::Varint,
            },
            CqlType::List(e) => {
                let e = Self::from_ast_inner(e, false)?;
                Self::check_nested(&e, top)?;
                ColType::List(Box::new(e))
            }
            CqlType::Set(e) => {
                let e = Self::from_ast_inner(e, false)?;
                Self::check_nested(&e, top)?;
                ColType::Set(Box::new(e))
            }
            CqlType::Map(k, v) => {
                let k = Self::from_ast_inner(k, false)?;
                let v = Self::from_ast_inner(v, false)?;
                Self::check_nested(&k, top)?;
                Self::check_nested(&v, top)?;
                ColType::Map(Box::new(k), Box::new(v))
            }
            CqlType::Tuple(ts) => ColType::Tuple(
                ts.iter()
                    .map(|t| {
                        let t = Self::from_ast_inner(t, false)?;
                        Ok(match t {
                            c @ (ColType::List(_) | ColType::Set(_) | ColType::Map(..)) => {
                                ColType::Frozen(Box::new(c))
                            }
                            o => o,
                        })
                    })
                    .collect::<Result<_>>()?,
            ),
            CqlType::Frozen(inner) => {
                let i = Self::from_ast_inner(inner, true)?;
                match i {
                    ColType::List(_) | ColType::Set(_) | ColType::Map(..) => {
                        // Freeze nested collections too.
                        ColType::Frozen(Box::new(i))
                    }
                    ColType::Frozen(_) | ColType::Tuple(_) => i,
                    _ => {
                        return Err(CqlError::invalid(
                            "frozen<> is only allowed on collections, tuples, and user-defined types",
                        ));
                    }
                }
            }
        })
    }

    fn check_nested(t: &ColType, top: bool) -> Result<()> {
        let _ = top;
        if matches!(t, ColType::List(_) | ColType::Set(_) | ColType::Map(..)) {
            return Err(CqlError::invalid(
                "Non-frozen collections are not allowed inside collections",
            ));
        }
        if *t == ColType::Counter {
            return Err(CqlError::invalid(
                "Counters are not allowed inside collections",
            ));
        }
        Ok(())
    }

    /// A non-frozen collection (stored element by element).
    pub fn is_multicell(&self) -> bool {
        matches!(self, ColType::List(_) | ColType::Set(_) | ColType::Map(..))
    }

    /// The type with any `frozen` wrapper removed.
    pub fn unfrozen(&self) -> &ColType {
        match self {
            ColType::Frozen(i) => i.unfrozen(),
            o => o,
        }
    }

    pub fn is_collection(&self) -> bool {
        matches!(
            self.unfrozen(),
            ColType::List(_) | ColType::Set(_) | ColType::Map(..)
        )
    }

    /// ScyllaDB's canonical name (`system_schema.columns.type`).
    pub fn cql_name(&self) -> String {
        match self {
            ColType::Ascii => "ascii".into(),
            ColType::Bigint => "bigint".into(),
            ColType::Blob => "blob".into(),
            ColType::Boolean => "boolean".into(),
            ColType::Counter => "counter".into(),
            ColType::Date => "date".into(),
            ColType::Decimal => "decimal".into(),
            ColType::Double => "double".into(),
            ColType::Duration => "duration".into(),
            ColType::Float => "float".into(),
            ColType::Inet => "inet".into(),
            ColType::Int => "int".into(),
            ColType::Smallint => "smallint".into(),
            ColType::Text => "text".into(),
            ColType::Time => "time".into(),
            ColType::Timestamp => "timestamp".into(),
            ColType::Timeuuid => "timeuuid".into(),
            ColType::Tinyint => "tinyint".into(),
            ColType::Uuid => "uuid".into(),
            ColType::Varint => "varint".into(),
            ColType::List(e) => format!("list<{}>", e.cql_name()),
            ColType::Set(e) => format!("set<{}>", e.cql_name()),
            ColType::Map(k, v) => format!("map<{}, {}>", k.cql_name(), v.cql_name()),
            ColType::Tuple(ts) => format!(
                "frozen<tuple<{}>>",
                ts.iter()
                    .map(|t| t.cql_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ColType::Frozen(i) => match &**i {
                ColType::Tuple(_) => i.cql_name(),
                _ => format!("frozen<{}>", i.cql_name()),
            },
        }
    }

    /// Writes the protocol `[option]` describing this type.
    pub fn write_option(&self, out: &mut Vec<u8>) {
        let id: u16 = match self {
            ColType::Ascii => 0x0001,
            ColType::Bigint => 0x0002,
            ColType::Blob => 0x0003,
            ColType::Boolean => 0x0004,
            ColType::Counter => 0x0005,
            ColType::Decimal => 0x0006,
            ColType::Double => 0x0007,
            ColType::Float => 0x0008,
            ColType::Int => 0x0009,
            ColType::Timestamp => 0x000B,
            ColType::Uuid => 0x000C,
            ColType::Text => 0x000D,
            ColType::Varint => 0x000E,
            ColType::Timeuuid => 0x000F,
            ColType::Inet => 0x0010,
            ColType::Date => 0x0011,
            ColType::Time => 0x0012,
            ColType::Smallint => 0x0013,
            ColType::Tinyint => 0x0014,
            ColType::Duration => 0x0015,
            ColType::List(_) => 0x0020,
            ColType::Map(..) => 0x0021,
            ColType::Set(_) => 0x0022,
            ColType::Tuple(_) => 0x0031,
            ColType::Frozen(i) => return i.write_option(out),
        };
        out.extend_from_slice(&id.to_be_bytes());
        match self {
            ColType::List(e) | ColType::Set(e) => e.write_option(out),
            ColType::Map(k, v) => {
                k.write_option(out);
                v.write_option(out);
            }
            ColType::Tuple(ts) => {
                out.extend_from_slice(&(ts.len() as u16).to_be_bytes());
                for t in ts {
                    t.write_option(out);
                }
            }
            _ => {}
        }
    }

    /// A short type description used in error messages.
    pub fn describe(&self) -> String {
        self.cql_name()
    }
}

/// A non-null CQL value.
#[derive(Debug, Clone)]
pub enum Value {
    Text(String),
    Bigint(i64),
    Int(i32),
    Smallint(i16),
    Tinyint(i8),
    Boolean(bool),
    Float(f32),
    Double(f64),
    Blob(Vec<u8>),
    Timestamp(i64),
    Date(u32),
    Time(i64),
    Uuid([u8; 16]),
    Timeuuid([u8; 16]),
    Inet(IpAddr),
    /// Raw two's-complement big-endian bytes.
    Varint(Vec<u8>),
    /// Scale and unscaled varint bytes.
    Decimal(i32, Vec<u8>),
    Duration(i32, i32, i64),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(Vec<(Value, Value)>),
    Tuple(Vec<Option<Value>>),
}

fn discr(v: &Value) -> u8 {
    match v {
        Value::Text(_) => 0,
        Value::Bigint(_) => 1,
        Value::Int(_) => 2,
        Value::Smallint(_) => 3,
        Value::Tinyint(_) => 4,
        Value::Boolean(_) => 5,
        Value::Float(_) => 6,
        Value::Double(_) => 7,
        Value::Blob(_) => 8,
        Value::Timestamp(_) => 9,
        Value::Date(_) => 10,
        Value::Time(_) => 11,
        Value::Uuid(_) => 12,
        Value::Timeuuid(_) => 13,
        Value::Inet(_) => 14,
        Value::Varint(_) => 15,
        Value::Decimal(..) => 16,
        Value::Duration(..) => 17,
        Value::List(_) => 18,
        Value::Set(_) => 19,
        Value::Map(_) => 20,
        Value::Tuple(_) => 21,
    }
}

fn uuid_version(u: &[u8; 16]) -> u8 {
    u[6] >> 4
}

fn timeuuid_ts(u: &[u8; 16]) -> u64 {
    let time_low = u32::from_be_bytes([u[0], u[1], u[2], u[3]]) as u64;
    let time_mid = u16::from_be_bytes([u[4], u[5]]) as u64;
    let time_hi = (u16::from_be_bytes([u[6], u[7]]) & 0x0fff) as u64;
    (time_hi << 48) | (time_mid << 32) | time_low
}

fn cmp_varint(a: &[u8], b: &[u8]) -> Ordering {
    let neg = |x: &[u8]| x.first().is_some_and(|b| b & 0x80 != 0);
    let (na, nb) = (neg(a), neg(b));
    if na != nb {
        return if na {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    // Strip redundant sign bytes.
    let strip = |x: &[u8], n: bool| -> Vec<u8> {
        let pad = if n { 0xff } else { 0x00 };
        let mut i = 0;
        while i + 1 < x.len() && x[i] == pad && ((x[i + 1] & 0x80 != 0) == n) {
            i += 1;
        }
        x[i..].to_vec()
    };
    let (sa, sb) = (strip(a, na), strip(b, nb));
    match sa.len().cmp(&sb.len()) {
        Ordering::Equal => sa.cmp(&sb),
        o => {
            if na {
                o.reverse()
            } else {
                o
            }
        }
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        use Value::*;
        match (self, other) {
            (Text(a), Text(b)) => a.cmp(b),
            (Bigint(a), Bigint(b)) => a.cmp(b),
            (Int(a), Int(b)) => a.cmp(b),
            (Smallint(a), Smallint(b)) => a.cmp(b),
            (Tinyint(a), Tinyint(b)) => a.cmp(b),
            (Boolean(a), Boolean(b)) => a.cmp(b),
            (Float(a), Float(b)) => a.total_cmp(b),
            (Double(a), Double(b)) => a.total_cmp(b),
            (Blob(a), Blob(b)) => a.cmp(b),
            (Timestamp(a), Timestamp(b)) => a.cmp(b),
            (Date(a), Date(b)) => a.cmp(b),
            (Time(a), Time(b)) => a.cmp(b),
            (Uuid(a), Uuid(b)) => {
                let (va, vb) = (uuid_version(a), uuid_version(b));
                va.cmp(&vb).then_with(|| {
                    if va == 1 {
                        timeuuid_ts(a).cmp(&timeuuid_ts(b)).then_with(|| a.cmp(b))
                    } else {
                        a.cmp(b)
                    }
                })
            }
            (Timeuuid(a), Timeuuid(b)) => {
                timeuuid_ts(a).cmp(&timeuuid_ts(b)).then_with(|| a.cmp(b))
            }
            (Inet(a), Inet(b)) => a.cmp(b),
            (Varint(a), Varint(b)) => cmp_varint(a, b),
            (Decimal(sa, a), Decimal(sb, b)) => {
                let fa = decimal_to_f64(*sa, a);
                let fb = decimal_to_f64(*sb, b);
                fa.total_cmp(&fb)
                    .then_with(|| sa.cmp(sb))
                    .then_with(|| a.cmp(b))
            }
            (Duration(a1, a2, a3), Duration(b1, b2, b3)) => (a1, a2, a3).cmp(&(b1, b2, b3)),
            (List(a), List(b)) | (Set(a), Set(b)) => a.cmp(b),
            (Map(a), Map(b)) => a.cmp(b),
            (Tuple(a), Tuple(b)) => a.cmp(b),
            (a, b) => discr(a).cmp(&discr(b)),
        }
    }
}
impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Value {}

fn varint_to_f64(b: &[u8]) -> f64 {
    let mut v: f64 = 0.0;
    for (i, byte) in b.iter().enumerate() {
        let x = if i == 0 {
            (*byte as i8) as f64
        } else {
            *byte as f64
        };
        v = v * 256.0 + x;
    }
    v
}

fn decimal_to_f64(scale: i32, b: &[u8]) -> f64 {
    varint_to_f64(b) / 10f64.powi(scale)
}

fn need(b: &[u8], n: usize, what: &str) -> Result<()> {
    if b.len() != n {
        return Err(CqlError::invalid(format!(
            "Validation failed - non-conforming {what} value: expected {n} bytes, got {}",
            b.len()
        )));
    }
    Ok(())
}

fn read_i32(b: &mut &[u8]) -> Result<i32> {
    if b.len() < 4 {
        return Err(CqlError::invalid("Validation failed: truncated collection"));
    }
    let v = i32::from_be_bytes(b[..4].try_into().unwrap());
    *b = &b[4..];
    Ok(v)
}

fn read_cell<'a>(b: &mut &'a [u8]) -> Result<Option<&'a [u8]>> {
    let n = read_i32(b)?;
    if n < 0 {
        return Ok(None);
    }
    let n = n as usize;
    if b.len() < n {
        return Err(CqlError::invalid("Validation failed: truncated collection"));
    }
    let (h, t) = b.split_at(n);
    *b = t;
    Ok(Some(h))
}

fn read_vint(b: &mut &[u8]) -> Result<i64> {
    let first = *b
        .first()
        .ok_or_else(|| CqlError::invalid("Validation failed: bad duration"))?;
    let extra = first.leading_ones() as usize;
    if b.len() < 1 + extra {
        return Err(CqlError::invalid("Validation failed: bad duration"));
    }
    let mut v: u64 = if extra >= 8 {
        0
    } else {
        (first & (0xffu8 >> extra)) as u64
    };
    for i in 0..extra {
        v = (v << 8) | b[1 + i] as u64;
    }
    *b = &b[1 + extra..];
    Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
}

fn write_vint(out: &mut Vec<u8>, v: i64) {
    let z = ((v << 1) ^ (v >> 63)) as u64;
    let bits = 64 - z.leading_zeros() as usize;
    let mut extra = if bits <= 7 { 0 } else { (bits - 1) / 7 };
    if extra > 8 {
        extra = 8;
    }
    if extra == 8 {
        out.push(0xff);
        out.extend_from_slice(&z.to_be_bytes());
        return;
    }
    let total = extra + 1;
    let bytes = z.to_be_bytes();
    let mut buf = bytes[8 - total..].to_vec();
    buf[0] |= !(0xffu8 >> extra);
    out.extend_from_slice(&buf);
}

impl Value {
    /// Decodes a cell of type `t`. An empty cell of a non-text type decodes to `None` (null).
    pub fn decode(t: &ColType, b: &[u8]) -> Result<Option<Value>> {
        if b.is_empty()
            && !matches!(
                t.unfrozen(),
                ColType::Text
                    | ColType::Ascii
                    | ColType::Blob
                    | ColType::List(_)
                    | ColType::Set(_)
                    | ColType::Map(..)
            )
        {
            return Ok(None);
        }
        Ok(Some(match t {
            ColType::Ascii | ColType::Text => {
                Value::Text(String::from_utf8(b.to_vec()).map_err(|_| {
                    CqlError::invalid("Validation failed - non-UTF8 character in a UTF8 string")
                })?)
            }
            ColType::Bigint | ColType::Counter => {
                need(b, 8, "bigint")?;
                Value::Bigint(i64::from_be_bytes(b.try_into().unwrap()))
            }
            ColType::Timestamp => {
                need(b, 8, "timestamp")?;
                Value::Timestamp(i64::from_be_bytes(b.try_into().unwrap()))
            }
            ColType::Time => {
                need(b, 8, "time")?;
                Value::Time(i64::from_be_bytes(b.try_into().unwrap()))
            }
            ColType::Int => {
                need(b, 4, "int")?;
                Value::Int(i32::from_be_bytes(b.try_into().unwrap()))
            }
            ColType::Date => {
                need(b, 4, "date")?;
                Value::Date(u32::from_be_bytes(b.try_into().unwrap()))
            }
            ColType::Smallint => {
                need(b, 2, "smallint")?;
                Value::Smallint(i16::from_be_bytes(b.try_into().unwrap()))
            }
            ColType::Tinyint => {
                need(b, 1, "tinyint")?;
                Value::Tinyint(b[0] as i8)
            }
            ColType::Boolean => {
                need(b, 1, "boolean")?;
                Value::Boolean(b[0] != 0)
            }
            ColType::Float => {
                need(b, 4, "float")?;
                Value::Float(f32::from_be_bytes(b.try_into().unwrap()))
            }
            ColType::Double => {
                need(b, 8, "double")?;
                Value::Double(f64::from_be_bytes(b.try_into().unwrap()))
            }
            ColType::Blob => Value::Blob(b.to_vec()),
            ColType::Uuid => {
                need(b, 16, "uuid")?;
                Value::Uuid(b.try_into().unwrap())
            }
            ColType::Timeuuid => {
                need(b, 16, "timeuuid")?;
                let u: [u8; 16] = b.try_into().unwrap();
                if uuid_version(&u) != 1 {
                    return Err(CqlError::invalid("Unsupported UUID version (must be 1)"));
                }
                Value::Timeuuid(u)
            }
            ColType::Inet => match b.len() {
                4 => Value::Inet(IpAddr::from(<[u8; 4]>::try_from(b).unwrap())),
                16 => Value::Inet(IpAddr::from(<[u8; 16]>::try_from(b).unwrap())),
                n => {
                    return Err(CqlError::invalid(format!(
                        "Validation failed for type inet: got {n} bytes"
                    )));
                }
            },
            ColType::Varint => Value::Varint(b.to_vec()),
            ColType::Decimal => {
                if b.len() < 4 {
                    return Err(CqlError::invalid("Validation failed - decimal too short"));
                }
                Value::Decimal(
                    i32::from_be_bytes(b[..4].try_into().unwrap()),
                    b[4..].to_vec(),
                )
            }
            ColType::Duration => {
                let mut s = b;
                let m = read_vint(&mut s)? as i32;
                let d = read_vint(&mut s)? as i32;
                let n = read_vint(&mut s)?;
                Value::Duration(m, d, n)
            }
            ColType::List(e) | ColType::Set(e) => {
                let mut s = b;
                let n = if s.is_empty() { 0 } else { read_i32(&mut s)? };
                let mut items = Vec::new();
                for _ in 0..n.max(0) {
                    let c = read_cell(&mut s)?.ok_or_else(|| {
                        CqlError::invalid("null is not supported inside collections")
                    })?;
                    if let Some(v) = Value::decode(e, c)? {
                        items.push(v);
                    }
                }
                if matches!(t, ColType::Set(_)) {
                    items.sort();
                    items.dedup();
                    Value::Set(items)
                } else {
                    Value::List(items)
                }
            }
            ColType::Map(kt, vt) => {
                let mut s = b;
                let n = if s.is_empty() { 0 } else { read_i32(&mut s)? };
                let mut items: Vec<(Value, Value)> = Vec::new();
                for _ in 0..n.max(0) {
                    let k = read_cell(&mut s)?.ok_or_else(|| {
                        CqlError::invalid("null is not supported inside collections")
                    })?;
                    let v = read_cell(&mut s)?.ok_or_else(|| {
                        CqlError::invalid("null is not supported inside collections")
                    })?;
                    if let (Some(k), Some(v)) = (Value::decode(kt, k)?, Value::decode(vt, v)?) {
                        items.push((k, v));
                    }
                }
                items.sort_by(|a, b| a.0.cmp(&b.0));
                items.dedup_by(|a, b| a.0 == b.0);
                Value::Map(items)
            }
            ColType::Tuple(ts) => {
                let mut s = b;
                let mut items = Vec::new();
                for t in ts {
                    if s.is_empty() {
                        items.push(None);
                        continue;
                    }
                    match read_cell(&mut s)? {
                        None => items.push(None),
                        Some(c) => items.push(Value::decode(t, c)?),
                    }
                }
                Value::Tuple(items)
            }
            ColType::Frozen(i) => return Value::decode(i, b),
        }))
    }

    /// Encodes this value as cell bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Value::Text(s) => out.extend_from_slice(s.as_bytes()),
            Value::Bigint(v) | Value::Timestamp(v) | Value::Time(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            Value::Int(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Date(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Smallint(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Tinyint(v) => out.push(*v as u8),
            Value::Boolean(v) => out.push(*v as u8),
            Value::Float(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Double(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Blob(b) | Value::Varint(b) => out.extend_from_slice(b),
            Value::Uuid(u) | Value::Timeuuid(u) => out.extend_from_slice(u),
            Value::Inet(IpAddr::V4(a)) => out.extend_from_slice(&a.octets()),
            Value::Inet(IpAddr::V6(a)) => out.extend_from_slice(&a.octets()),
            Value::Decimal(s, b) => {
                out.extend_from_slice(&s.to_be_bytes());
                out.extend_from_slice(b);
            }
            Value::Duration(m, d, n) => {
                write_vint(out, *m as i64);
                write_vint(out, *d as i64);
                write_vint(out, *n);
            }
            Value::List(items) | Value::Set(items) => {
                out.extend_from_slice(&(items.len() as i32).to_be_bytes());
                for i in items {
                    write_cell(out, Some(i));
                }
            }
            Value::Map(items) => {
                out.extend_from_slice(&(items.len() as i32).to_be_bytes());
                for (k, v) in items {
                    write_cell(out, Some(k));
                    write_cell(out, Some(v));
                }
            }
            Value::Tuple(items) => {
                for i in items {
                    write_cell(out, i.as_ref());
                }
            }
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }

    /// A CQL-literal-like rendering (used in messages).
    pub fn render(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Bigint(v) | Value::Timestamp(v) | Value::Time(v) => v.to_string(),
            Value::Int(v) => v.to_string(),
            Value::Date(v) => v.to_string(),
            Value::Smallint(v) => v.to_string(),
            Value::Tinyint(v) => v.to_string(),
            Value::Boolean(v) => v.to_string(),
            Value::Float(v) => v.to_string(),
            Value::Double(v) => v.to_string(),
            Value::Uuid(u) | Value::Timeuuid(u) => uuid::Uuid::from_bytes(*u).to_string(),
            Value::Inet(a) => a.to_string(),
            other => format!("{other:?}"),
        }
    }
}

/// Writes a `[bytes]` cell (`None` = null).
pub fn write_cell(out: &mut Vec<u8>, v: Option<&Value>) {
    match v {
        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        Some(v) => {
            let start = out.len();
            out.extend_from_slice(&[0, 0, 0, 0]);
            v.encode(out);
            let n = (out.len() - start - 4) as i32;
            out[start..start + 4].copy_from_slice(&n.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        let m = ColType::Map(Box::new(ColType::Int), Box::new(ColType::Text));
        assert_eq!(m.cql_name(), "map<int, text>");
        let f = ColType::Frozen(Box::new(ColType::Set(Box::new(ColType::Int))));
        assert_eq!(f.cql_name(), "frozen<set<int>>");
    }

    #[test]
    fn roundtrip_collections_and_duration() {
        let t = ColType::Map(Box::new(ColType::Int), Box::new(ColType::Text));
        let v = Value::Map(vec![(Value::Int(1), Value::Text("a".into()))]);
        assert_eq!(Value::decode(&t, &v.to_bytes()).unwrap(), Some(v));
        for d in [0i64, 1, -1, 300, -70000, i64::MAX, i64::MIN] {
            let v = Value::Duration(1, -2, d);
            assert_eq!(
                Value::decode(&ColType::Duration, &v.to_bytes()).unwrap(),
                Some(v)
            );
        }
    }

    #[test]
    fn varint_order() {
        assert_eq!(cmp_varint(&[0xff], &[0x01]), Ordering::Less);
        assert_eq!(cmp_varint(&[0x01, 0x00], &[0x7f]), Ordering::Greater);
        assert_eq!(cmp_varint(&[0xfe, 0xff], &[0xff]), Ordering::Less);
    }
}
