//! Turning terms (literals, bind markers, collection literals, functions) into values, and
//! recording the name and type of every bind marker for PREPARED metadata.

use std::net::IpAddr;

use crate::cql::ast::{Literal, Term};
use crate::error::{CqlError, Result};
use crate::types::{ColType, Value};

/// A bound value as sent by the client.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Null,
    Unset,
    Bytes(Vec<u8>),
}

/// The name and type of one bind marker (or result column).
#[derive(Debug, Clone, PartialEq)]
pub struct ColSpec {
    pub keyspace: String,
    pub table: String,
    pub name: String,
    pub ty: ColType,
}

/// An evaluated term.
#[derive(Debug, Clone, PartialEq)]
pub enum Ev {
    Val(Option<Value>),
    /// An unset bind value (or, while preparing, any bind marker).
    Unset,
}

impl Ev {
    pub fn is_unset(&self) -> bool {
        matches!(self, Ev::Unset)
    }
}

/// Evaluation context: the bound values (absent while preparing) and the marker specs seen.
pub struct Binds<'a> {
    pub values: Option<&'a [RawValue]>,
    pub specs: Vec<Option<ColSpec>>,
    pub keyspace: String,
    pub table: String,
}

impl<'a> Binds<'a> {
    pub fn new(values: Option<&'a [RawValue]>, count: usize) -> Self {
        Binds {
            values,
            specs: vec![None; count],
            keyspace: String::new(),
            table: String::new(),
        }
    }

    pub fn preparing(&self) -> bool {
        self.values.is_none()
    }

    pub fn set_table(&mut self, ks: &str, t: &str) {
        self.keyspace = ks.to_string();
        self.table = t.to_string();
    }

    fn record(&mut self, idx: usize, name: &str, ty: &ColType) {
        if idx >= self.specs.len() {
            self.specs.resize(idx + 1, None);
        }
        self.specs[idx] = Some(ColSpec {
            keyspace: self.keyspace.clone(),
            table: self.table.clone(),
            name: name.to_string(),
            ty: ty.clone(),
        });
    }

    /// Evaluates `term` against type `ty`; a bind marker gets the name `name`.
    pub fn eval(&mut self, term: &Term, ty: &ColType, name: &str) -> Result<Ev> {
        match term {
            Term::Bind(i) => {
                self.record(*i, name, ty);
                match self.values {
                    None => Ok(Ev::Unset),
                    Some(vals) => match vals.get(*i) {
                        None => Err(CqlError::invalid(format!(
                            "There were {} markers(?) in CQL but {} bound variables",
                            self.specs.len(),
                            vals.len()
                        ))),
                        Some(RawValue::Null) => Ok(Ev::Val(None)),
                        Some(RawValue::Unset) => Ok(Ev::Unset),
                        Some(RawValue::Bytes(b)) => {
                            Ok(Ev::Val(Value::decode(ty, b).map_err(|e| {
                                CqlError::invalid(format!(
                                    "Exception while binding column {name}: {}",
                                    e.message
                                ))
                            })?))
                        }
                    },
                }
            }
            Term::Literal(l) => Ok(Ev::Val(literal(l, ty, name)?)),
            Term::List(items) | Term::Set(items) => {
                let t = ty.unfrozen();
                let (elem_ty, is_set) = match t {
                    ColType::List(e) => (&**e, false),
                    ColType::Set(e) => (&**e, true),
                    _ => {
                        let kind = if matches!(term, Term::List(_)) {
                            "list"
                        } else {
                            "set"
                        };
                        return Err(CqlError::invalid(format!(
                            "Invalid {kind} literal for {name} of type {}",
                            ty.cql_name()
                        )));
                    }
                };
                let mut out = Vec::new();
                for it in items {
                    match self.eval(it, elem_ty, name)? {
                        Ev::Val(Some(v)) => out.push(v),
                        Ev::Val(None) => {
                            return Err(CqlError::invalid(
                                "null is not supported inside collections",
                            ));
                        }
                        Ev::Unset => {
                            if !self.preparing() {
                                return Err(CqlError::invalid(
                                    "unset value is not supported inside collections",
                                ));
                            }
                        }
                    }
                }
                if is_set {
                    out.sort();
                    out.dedup();
                    Ok(Ev::Val(Some(Value::Set(out))))
                } else {
                    Ok(Ev::Val(Some(Value::List(out))))
                }
            }
            Term::Map(entries) => {
                let t = ty.unfrozen();
                match t {
                    ColType::Map(kt, vt) => {
                        let mut out: Vec<(Value, Value)> = Vec::new();
                        for (k, v) in entries {
                            let k = self.eval(k, kt, name)?;
                            let v = self.eval(v, vt, name)?;
                            match (k, v) {
                                (Ev::Val(Some(k)), Ev::Val(Some(v))) => out.push((k, v)),
                                (Ev::Unset, _) | (_, Ev::Unset) if self.preparing() => {}
                                _ => {
                                    return Err(CqlError::invalid(
                                        "null is not supported inside collections",
                                    ));
                                }
                            }
                        }
                        out.sort_by(|a, b| a.0.cmp(&b.0));
                        out.dedup_by(|a, b| a.0 == b.0);
                        Ok(Ev::Val(Some(Value::Map(out))))
                    }
                    ColType::Set(_) if entries.is_empty() => Ok(Ev::Val(Some(Value::Set(vec![])))),
                    ColType::List(_) if entries.is_empty() => {
                        Ok(Ev::Val(Some(Value::List(vec![]))))
                    }
                    _ => Err(CqlError::invalid(format!(
                        "Invalid map literal for {name} of type {}",
                        ty.cql_name()
                    ))),
                }
            }
            Term::Tuple(items) => {
                let ColType::Tuple(ts) = ty.unfrozen() else {
                    return Err(CqlError::invalid(format!(
                        "Invalid tuple literal for {name} of type {}",
                        ty.cql_name()
                    )));
                };
                if items.len() > ts.len() {
                    return Err(CqlError::invalid(format!(
                        "Invalid tuple literal for {name}: too many elements. Type {} expects {} but got {}",
                        ty.cql_name(),
                        ts.len(),
                        items.len()
                    )));
                }
                let mut out = Vec::new();
                for (it, t) in items.iter().zip(ts.iter()) {
                    match self.eval(it, t, name)? {
                        Ev::Val(v) => out.push(v),
                        Ev::Unset => out.push(None),
                    }
                }
                Ok(Ev::Val(Some(Value::Tuple(out))))
            }
            Term::FunctionCall { name: f, args } => function(f, args, ty, name),
        }
    }

    /// Evaluates a term that must produce a value (not null, not unset) when executing.
    pub fn eval_required(
        &mut self,
        term: &Term,
        ty: &ColType,
        name: &str,
        what: &str,
    ) -> Result<Option<Value>> {
        match self.eval(term, ty, name)? {
            Ev::Val(Some(v)) => Ok(Some(v)),
            Ev::Unset if self.preparing() => Ok(None),
            Ev::Unset => Err(CqlError::invalid(format!("Invalid unset value for {what}"))),
            Ev::Val(None) => Err(CqlError::invalid(format!("Invalid null value for {what}"))),
        }
    }
}

fn now_timeuuid() -> Value {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    // 100ns intervals since 1582-10-15.
    let mut ts = now.as_nanos() as u64 / 100 + 0x01B2_1DD2_1381_4000;
    let prev = LAST.fetch_max(ts, Ordering::SeqCst);
    if prev >= ts {
        ts = LAST.fetch_add(1, Ordering::SeqCst) + 1;
    }
    let node = *uuid::Uuid::new_v4().as_bytes();
    let mut b = [0u8; 16];
    b[0..4].copy_from_slice(&((ts & 0xffff_ffff) as u32).to_be_bytes());
    b[4..6].copy_from_slice(&(((ts >> 32) & 0xffff) as u16).to_be_bytes());
    b[6..8].copy_from_slice(&((((ts >> 48) & 0x0fff) as u16) | 0x1000).to_be_bytes());
    b[8] = (node[8] & 0x3f) | 0x80;
    b[9..16].copy_from_slice(&node[9..16]);
    Value::Timeuuid(b)
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn function(f: &str, args: &[Term], ty: &ColType, name: &str) -> Result<Ev> {
    let v = match (f, args.len()) {
        ("now", 0) => now_timeuuid(),
        ("uuid", 0) => Value::Uuid(*uuid::Uuid::new_v4().as_bytes()),
        ("currenttimestamp", 0) => Value::Timestamp(now_millis()),
        ("totimestamp", 1) | ("tounixtimestamp", 1) => {
            let Term::FunctionCall {
                name: inner,
                args: a,
            } = &args[0]
            else {
                return Err(CqlError::unsupported(format!(
                    "function {f} with this argument"
                )));
            };
            if inner != "now" || !a.is_empty() {
                return Err(CqlError::unsupported(format!("function {f}({inner}(...))")));
            }
            if f == "totimestamp" {
                Value::Timestamp(now_millis())
            } else {
                Value::Bigint(now_millis())
            }
        }
        _ => return Err(CqlError::invalid(format!("Unknown function '{f}'"))),
    };
    let ok = matches!(
        (&v, ty),
        (Value::Timeuuid(_), ColType::Timeuuid)
            | (Value::Uuid(_), ColType::Uuid)
            | (Value::Timestamp(_), ColType::Timestamp)
            | (Value::Bigint(_), ColType::Bigint)
    );
    if ok {
        return Ok(Ev::Val(Some(v)));
    }
    if let (Value::Timeuuid(u), ColType::Uuid) = (&v, ty) {
        return Ok(Ev::Val(Some(Value::Uuid(*u))));
    }
    Err(CqlError::invalid(format!(
        "Type error: cannot assign result of function system.{f} to {name} of type {}",
        ty.cql_name()
    )))
}

fn lit_kind(l: &Literal) -> &'static str {
    match l {
        Literal::Null => "NULL",
        Literal::Bool(_) => "BOOLEAN",
        Literal::Integer(_) => "INTEGER",
        Literal::Float(_) => "FLOAT",
        Literal::String(_) => "STRING",
        Literal::Uuid(_) => "UUID",
        Literal::Blob(_) => "HEX",
        Literal::Identifier(_) => "IDENTIFIER",
    }
}

fn lit_text(l: &Literal) -> String {
    match l {
        Literal::Null => "null".into(),
        Literal::Bool(b) => b.to_string(),
        Literal::Integer(s) | Literal::Float(s) | Literal::Uuid(s) | Literal::Identifier(s) => {
            s.clone()
        }
        Literal::String(s) => s.clone(),
        Literal::Blob(b) => format!("0x{}", crate::error::hex(b)),
    }
}

/// Converts a literal to a value of type `ty` (`None` for `NULL`).
pub fn literal(l: &Literal, ty: &ColType, name: &str) -> Result<Option<Value>> {
    if let Literal::Null = l {
        return Ok(None);
    }
    let bad = || {
        CqlError::invalid(format!(
            "Invalid {} constant ({}) for \"{name}\" of type {}",
            lit_kind(l),
            lit_text(l),
            ty.cql_name()
        ))
    };
    let int = |s: &str| -> Result<i128> { s.parse::<i128>().map_err(|_| bad()) };
    let v = match (ty.unfrozen(), l) {
        (ColType::Text, Literal::String(s)) => Value::Text(s.clone()),
        (ColType::Ascii, Literal::String(s)) => {
            if !s.is_ascii() {
                return Err(CqlError::invalid(format!(
                    "Invalid ASCII character in string literal {s}"
                )));
            }
            Value::Text(s.clone())
        }
        (ColType::Int, Literal::Integer(s)) => {
            Value::Int(i32::try_from(int(s)?).map_err(|_| bad())?)
        }
        (ColType::Bigint | ColType::Counter, Literal::Integer(s)) => {
            Value::Bigint(i64::try_from(int(s)?).map_err(|_| bad())?)
        }
        (ColType::Smallint, Literal::Integer(s)) => {
            Value::Smallint(i16::try_from(int(s)?).map_err(|_| bad())?)
        }
        (ColType::Tinyint, Literal::Integer(s)) => {
            Value::Tinyint(i8::try_from(int(s)?).map_err(|_| bad())?)
        }
        (ColType::Varint, Literal::Integer(s)) => {
            let n = int(s)?;
            let b = n.to_be_bytes();
            let mut i = 0;
            while i + 1 < 16
                && ((b[i] == 0 && b[i + 1] & 0x80 == 0) || (b[i] == 0xff && b[i + 1] & 0x80 != 0))
            {
                i += 1;
            }
            Value::Varint(b[i..].to_vec())
        }
        (ColType::Double, Literal::Integer(s) | Literal::Float(s)) => {
            Value::Double(parse_float(s).ok_or_else(bad)?)
        }
        (ColType::Float, Literal::Integer(s) | Literal::Float(s)) => {
            Value::Float(parse_float(s).ok_or_else(bad)? as f32)
        }
        (ColType::Decimal, Literal::Integer(s) | Literal::Float(s)) => {
            decimal_from_str(s).ok_or_else(bad)?
        }
        (ColType::Boolean, Literal::Bool(b)) => Value::Boolean(*b),
        (ColType::Blob, Literal::Blob(b)) => Value::Blob(b.clone()),
        (ColType::Uuid, Literal::Uuid(s)) | (ColType::Uuid, Literal::String(s)) => {
            Value::Uuid(*uuid::Uuid::parse_str(s).map_err(|_| bad())?.as_bytes())
        }
        (ColType::Timeuuid, Literal::Uuid(s)) | (ColType::Timeuuid, Literal::String(s)) => {
            let u = uuid::Uuid::parse_str(s).map_err(|_| bad())?;
            if u.get_version_num() != 1 {
                return Err(CqlError::invalid(format!(
                    "Unsupported UUID version for timeuuid: {s}"
                )));
            }
            Value::Timeuuid(*u.as_bytes())
        }
        (ColType::Timestamp, Literal::Integer(s)) => {
            Value::Timestamp(i64::try_from(int(s)?).map_err(|_| bad())?)
        }
        (ColType::Timestamp, Literal::String(s)) => {
            Value::Timestamp(parse_timestamp(s).ok_or_else(bad)?)
        }
        (ColType::Date, Literal::String(s)) => Value::Date(parse_date(s).ok_or_else(bad)?),
        (ColType::Date, Literal::Integer(s)) => {
            Value::Date(u32::try_from(int(s)?).map_err(|_| bad())?)
        }
        (ColType::Time, Literal::String(s)) => Value::Time(parse_time(s).ok_or_else(bad)?),
        (ColType::Time, Literal::Integer(s)) => {
            Value::Time(i64::try_from(int(s)?).map_err(|_| bad())?)
        }
        (ColType::Inet, Literal::String(s)) => Value::Inet(s.parse::<IpAddr>().map_err(|_| bad())?),
        (ColType::Duration, Literal::String(_)) | (ColType::Duration, Literal::Identifier(_)) => {
            return Err(CqlError::unsupported("duration literals"));
        }
        _ => return Err(bad()),
    };
    Ok(Some(v))
}

fn parse_float(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        "infinity" | "+infinity" => Some(f64::INFINITY),
        "-infinity" => Some(f64::NEG_INFINITY),
        o => o.parse().ok(),
    }
}

fn decimal_from_str(s: &str) -> Option<Value> {
    let s = s.to_ascii_lowercase();
    let (mant, exp) = match s.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i32>().ok()?),
        None => (s.clone(), 0),
    };
    let (int_part, frac) = mant.split_once('.').unwrap_or((&mant, ""));
    let digits = format!("{int_part}{frac}");
    let n: i128 = digits.parse().ok()?;
    let scale = (frac.len() as i32).checked_sub(exp)?;
    let b = n.to_be_bytes();
    let mut i = 0;
    while i + 1 < 16
        && ((b[i] == 0 && b[i + 1] & 0x80 == 0) || (b[i] == 0xff && b[i + 1] & 0x80 != 0))
    {
        i += 1;
    }
    Some(Value::Decimal(scale, b[i..].to_vec()))
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn parse_ymd(s: &str) -> Option<i64> {
    let mut it = s.splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(-5_000_000..=5_000_000).contains(&y) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

fn parse_time(s: &str) -> Option<i64> {
    let (hms, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut it = hms.split(':');
    let h: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let sec: i64 = it.next().unwrap_or("0").parse().ok()?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) || !(0..60).contains(&sec) {
        return None;
    }
    let mut nanos: i64 = 0;
    if !frac.is_empty() {
        let f = format!("{frac:0<9}");
        nanos = f[..9].parse().ok()?;
    }
    Some(((h * 60 + m) * 60 + sec) * 1_000_000_000 + nanos)
}

fn parse_date(s: &str) -> Option<u32> {
    let days = parse_ymd(s)?;
    Some((days + (1i64 << 31)) as u32)
}

/// Parses `yyyy-mm-dd[( |T)hh:mm[:ss[.fff]]][Z|+hhmm]` as milliseconds since the epoch (UTC).
fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let days = parse_ymd(date)?;
    let mut ms = days * 86_400_000;
    if !rest.is_empty() {
        let (time, tz) = match rest.find(['Z', '+']).or_else(|| rest.rfind('-')) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        ms += parse_time(time)? / 1_000_000;
        if tz.len() > 1 {
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            let digits: String = tz[1..].chars().filter(|c| c.is_ascii_digit()).collect();
            if digits.len() >= 4 {
                let h: i64 = digits[..2].parse().ok()?;
                let m: i64 = digits[2..4].parse().ok()?;
                ms -= sign * (h * 60 + m) * 60_000;
            }
        }
    }
    Some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-02"), Some(86_400_000));
        assert_eq!(
            parse_timestamp("2024-01-01 00:00:01+0000"),
            Some(1_704_067_201_000)
        );
    }
}
