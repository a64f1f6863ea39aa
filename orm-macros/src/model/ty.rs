//! Rust type → CQL type mapping, on the syntax of the field's type.
//!
//! Types are recognised by the last path segment (`i32`, `String`, `std::vec::Vec<T>`,
//! `uuid::Uuid`, `scylla::value::CqlTimestamp`, ...), as the driver's derive macros do.

use syn::{GenericArgument, PathArguments, Type};

/// A CQL type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CqlKind {
    Native(&'static str),
    List(Box<CqlKind>),
    Set(Box<CqlKind>),
    Map(Box<CqlKind>, Box<CqlKind>),
}

impl CqlKind {
    /// The canonical spelling (`system_schema.columns.type`): nested collections frozen,
    /// `map<k, v>` with a space after the comma.
    pub fn cql(&self) -> String {
        match self {
            CqlKind::Native(n) => (*n).to_owned(),
            CqlKind::List(e) => format!("list<{}>", e.nested()),
            CqlKind::Set(e) => format!("set<{}>", e.nested()),
            CqlKind::Map(k, v) => format!("map<{}, {}>", k.nested(), v.nested()),
        }
    }

    fn nested(&self) -> String {
        if self.is_collection() {
            format!("frozen<{}>", self.cql())
        } else {
            self.cql()
        }
    }

    pub fn is_collection(&self) -> bool {
        !matches!(self, CqlKind::Native(_))
    }

    fn contains_duration(&self) -> bool {
        match self {
            CqlKind::Native(n) => *n == "duration",
            CqlKind::List(e) | CqlKind::Set(e) => e.contains_duration(),
            CqlKind::Map(k, v) => k.contains_duration() || v.contains_duration(),
        }
    }
}

/// A field's type, mapped.
#[derive(Debug, Clone)]
pub struct MappedType {
    pub kind: CqlKind,
    /// Declared `Option<T>`.
    pub nullable: bool,
    /// The type without `Option`.
    pub inner: Type,
    /// Where `Option` was written (for error spans).
    pub option_span: Option<proc_macro2::Span>,
    /// Element type of a list or set, or value type of a map.
    pub element: Option<Type>,
    /// Key type of a map.
    pub key: Option<Type>,
}

const SUPPORTED: &str = "supported: i8, i16, i32, i64, f32, f64, bool, String, Vec<u8> (blob), Uuid, CqlTimeuuid, \
CqlTimestamp, CqlDate, CqlTime, CqlDuration, CqlVarint, CqlDecimal, IpAddr, chrono's DateTime<Utc> / NaiveDate / \
NaiveTime and time's OffsetDateTime / time::Date / time::Time (with the driver's features), Vec<T>, BTreeSet<T>, \
HashSet<T>, BTreeMap<K, V>, HashMap<K, V>, and Option<T> of those";

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

/// `time::Date`: the path's first segment is `krate`.
fn qualified_by(ty: &Type, krate: &str) -> bool {
    match ty {
        Type::Path(p) => p.path.segments.len() > 1 && p.path.segments[0].ident == krate,
        _ => false,
    }
}

fn type_args(seg: &syn::PathSegment) -> Vec<&Type> {
    match &seg.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn unsupported(ty: &Type, why: &str) -> darling::Error {
    darling::Error::custom(why).with_span(ty)
}

/// Maps a field type.
pub fn map_field_type(ty: &Type) -> darling::Result<MappedType> {
    if let Some(seg) = last_segment(ty)
        && seg.ident == "Option"
    {
        let args = type_args(seg);
        let [inner] = args.as_slice() else {
            return Err(unsupported(ty, "`Option` takes exactly one type argument"));
        };
        let (kind, element, key) = map_inner(inner)?;
        if kind.contains_duration() && kind.is_collection() {
            return Err(unsupported(
                inner,
                "a duration cannot be held in a collection",
            ));
        }
        return Ok(MappedType {
            kind,
            nullable: true,
            inner: (*inner).clone(),
            option_span: Some(seg.ident.span()),
            element,
            key,
        });
    }
    let (kind, element, key) = map_inner(ty)?;
    if kind.contains_duration() && kind.is_collection() {
        return Err(unsupported(ty, "a duration cannot be held in a collection"));
    }
    Ok(MappedType {
        kind,
        nullable: false,
        inner: ty.clone(),
        option_span: None,
        element,
        key,
    })
}

type Inner = (CqlKind, Option<Type>, Option<Type>);

fn map_inner(ty: &Type) -> darling::Result<Inner> {
    let Some(seg) = last_segment(ty) else {
        return Err(match ty {
            Type::Reference(_) => unsupported(
                ty,
                &format!(
                    "unsupported column type: models own their data, use an owned type ({SUPPORTED})"
                ),
            ),
            _ => unsupported(ty, &format!("unsupported column type ({SUPPORTED})")),
        });
    };
    let name = seg.ident.to_string();
    let args = type_args(seg);
    let native = |n: &'static str| -> darling::Result<Inner> {
        if args.is_empty() {
            Ok((CqlKind::Native(n), None, None))
        } else {
            Err(unsupported(
                ty,
                &format!("`{name}` takes no type arguments"),
            ))
        }
    };
    match name.as_str() {
        "i8" => native("tinyint"),
        "i16" => native("smallint"),
        "i32" => native("int"),
        "i64" => native("bigint"),
        "f32" => native("float"),
        "f64" => native("double"),
        "bool" => native("boolean"),
        "String" => native("text"),
        "Uuid" => native("uuid"),
        "CqlTimeuuid" => native("timeuuid"),
        "CqlTimestamp" => native("timestamp"),
        "CqlDate" => native("date"),
        "CqlTime" => native("time"),
        "CqlDuration" => native("duration"),
        "CqlVarint" => native("varint"),
        "CqlDecimal" => native("decimal"),
        "IpAddr" => native("inet"),
        // With the driver's `chrono-04` / `time-03` features enabled.
        "NaiveDate" => native("date"),
        "NaiveTime" => native("time"),
        "DateTime" => Ok((CqlKind::Native("timestamp"), None, None)), // chrono::DateTime<Utc>
        "OffsetDateTime" => native("timestamp"),
        "Date" if qualified_by(ty, "time") => native("date"),
        "Time" if qualified_by(ty, "time") => native("time"),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => Err(unsupported(
            ty,
            &format!(
                "unsupported column type `{name}`: CQL has no unsigned integers; use a signed type (i8, i16, i32, i64)"
            ),
        )),
        "Option" => Err(unsupported(
            ty,
            "`Option` is supported only as the outer type of a column: CQL collections cannot hold nulls",
        )),
        "Vec" | "BTreeSet" | "HashSet" => {
            let Some(elem) = args.first() else {
                return Err(unsupported(ty, &format!("`{name}` needs an element type")));
            };
            if name == "Vec"
                && last_segment(elem).is_some_and(|s| s.ident == "u8" && s.arguments.is_empty())
            {
                return Ok((CqlKind::Native("blob"), None, None));
            }
            let (e, _, _) = map_inner(elem)?;
            let kind = if name == "Vec" {
                CqlKind::List(Box::new(e))
            } else {
                CqlKind::Set(Box::new(e))
            };
            Ok((kind, Some((*elem).clone()), None))
        }
        "BTreeMap" | "HashMap" => {
            let (Some(k), Some(v)) = (args.first(), args.get(1)) else {
                return Err(unsupported(
                    ty,
                    &format!("`{name}` needs key and value types"),
                ));
            };
            let (kk, _, _) = map_inner(k)?;
            let (vk, _, _) = map_inner(v)?;
            Ok((
                CqlKind::Map(Box::new(kk), Box::new(vk)),
                Some((*v).clone()),
                Some((*k).clone()),
            ))
        }
        _ => Err(unsupported(
            ty,
            &format!("unsupported column type `{name}` ({SUPPORTED})"),
        )),
    }
}
