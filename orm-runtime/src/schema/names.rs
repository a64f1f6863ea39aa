//! Names of the schema objects the index features create, and ScyllaDB's 48-character limit.
//!
//! The spec (`shared/specs/index-math.md` §4) names the hidden columns and their indexes after
//! genix-orm: `zz_hb_<c1>_<c2>..._b<size>` with the global index
//! `<table>__zz_hb_..._b<size>_index_0`, and `zz_ixp_<c1>_<c2>...` with the local index
//! `<table>__zz_ixp_..._index_1` (this ORM names the materialized view that backs
//! `#[packed_index(view)]` `<table>__zz_ixp_..._view`).
//!
//! Correction (ScyllaDB wins): ScyllaDB rejects index names longer than 48 characters
//! (`index names shouldn't be more than 48 characters long`), and table and view names are
//! limited to 48 as well, while the spec's names often exceed it
//! (`sale_order__zz_hb_detail_products_ids_week_b4_index_0` is 53). The rule, applied by
//! [`schema_object_name`]:
//!
//! - a spec name of at most 48 characters is used as is;
//! - a longer one becomes its first 39 characters, `_`, and the 8 lowercase hex digits of the
//!   32-bit FNV-1a hash ([`name_hash`]) of the whole spec name: exactly 48 characters,
//!   deterministic, and distinct for distinct spec names unless their hashes collide.
//!
//! Hidden COLUMN names have no such limit and are exactly the spec's. `#[derive(Model)]`
//! applies the same rule at compile time (a test keeps both in lock-step).

/// The longest index, view or table name ScyllaDB accepts.
pub const MAX_NAME_LEN: usize = 48;

/// The characters of the spec name kept when it is shortened: 48 − `_` − 8 hex digits.
pub const KEPT_PREFIX_LEN: usize = MAX_NAME_LEN - 9;

/// 32-bit FNV-1a (offset basis 2166136261, prime 16777619) over the bytes of `name`.
///
/// ```
/// use orm_runtime::schema::names::name_hash;
///
/// assert_eq!(name_hash(""), 2_166_136_261);
/// assert_eq!(name_hash("a"), 0xe40c_292c);
/// ```
#[must_use]
pub const fn name_hash(name: &str) -> u32 {
    let bytes = name.as_bytes();
    let mut hash: u32 = 2_166_136_261;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u32;
        hash = hash.wrapping_mul(16_777_619);
        i += 1;
    }
    hash
}

/// The name to create an index or view under: `spec_name` itself when it has at most
/// [`MAX_NAME_LEN`] characters, else its first [`KEPT_PREFIX_LEN`] characters + `_` + the 8
/// lowercase hex digits of [`name_hash`]`(spec_name)`.
///
/// Spec names are ASCII identifiers; a non-ASCII name is cut at a character boundary.
///
/// ```
/// use orm_runtime::schema::names::schema_object_name;
///
/// assert_eq!(schema_object_name("sales__zz_hb_ids_week_b1_index_0"), "sales__zz_hb_ids_week_b1_index_0");
/// let long = schema_object_name("sale_order__zz_hb_detail_products_ids_week_b4_index_0");
/// assert_eq!(long.len(), 48);
/// assert!(long.starts_with("sale_order__zz_hb_detail_products_ids_w_"));
/// ```
#[must_use]
pub fn schema_object_name(spec_name: &str) -> String {
    if spec_name.len() <= MAX_NAME_LEN {
        return spec_name.to_owned();
    }
    let mut cut = KEPT_PREFIX_LEN;
    while !spec_name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{:08x}", &spec_name[..cut], name_hash(spec_name))
}

/// The spec name of a bucket-hash column's global index: `<table>__<column>_index_0`.
#[must_use]
pub fn hash_index_spec_name(table: &str, hidden_column: &str) -> String {
    format!("{table}__{hidden_column}_index_0")
}

/// The spec name of a packed column's local index: `<table>__<column>_index_1`.
#[must_use]
pub fn packed_index_spec_name(table: &str, hidden_column: &str) -> String {
    format!("{table}__{hidden_column}_index_1")
}

/// The name of the materialized view backing `#[packed_index(view)]`: `<table>__<column>_view`.
#[must_use]
pub fn packed_view_spec_name(table: &str, hidden_column: &str) -> String {
    format!("{table}__{hidden_column}_view")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_vectors() {
        // Published FNV-1a 32 test vectors.
        assert_eq!(name_hash(""), 0x811c_9dc5);
        assert_eq!(name_hash("a"), 0xe40c_292c);
        assert_eq!(name_hash("foobar"), 0xbf9c_f968);
    }

    #[test]
    fn short_names_are_kept() {
        let name = "sale_order__zz_ixp_status_updated_index_1";
        assert!(name.len() <= 48);
        assert_eq!(schema_object_name(name), name);
        let exactly_48 = "a".repeat(48);
        assert_eq!(schema_object_name(&exactly_48), exactly_48);
    }

    #[test]
    fn long_names_are_shortened_deterministically() {
        let spec = "sale_order__zz_hb_detail_products_ids_week_b4_index_0";
        assert_eq!(spec.len(), 53);
        let short = schema_object_name(spec);
        assert_eq!(short.len(), MAX_NAME_LEN);
        assert_eq!(
            short,
            format!("{}_{:08x}", &spec[..39], name_hash(spec)),
            "prefix, underscore, hash"
        );
        assert_eq!(short, schema_object_name(spec));
        assert_eq!(short, "sale_order__zz_hb_detail_products_ids_w_2cc95ab2");
        // Sizes 1, 4 and 5 share the prefix but not the name.
        let b1 = schema_object_name("sale_order__zz_hb_detail_products_ids_week_b1_index_0");
        let b5 = schema_object_name("sale_order__zz_hb_detail_products_ids_week_b5_index_0");
        assert_eq!(b1[..39], short[..39]);
        assert!(b1 != short && b5 != short && b1 != b5);
        let exactly_49 = "b".repeat(49);
        assert_eq!(schema_object_name(&exactly_49).len(), 48);
        assert!(
            short
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        );
    }

    #[test]
    fn spec_names() {
        assert_eq!(
            hash_index_spec_name("sale_order", "zz_hb_detail_products_ids_week_b4"),
            "sale_order__zz_hb_detail_products_ids_week_b4_index_0"
        );
        assert_eq!(
            packed_index_spec_name("sale_order", "zz_ixp_status_updated"),
            "sale_order__zz_ixp_status_updated_index_1"
        );
        assert_eq!(
            packed_view_spec_name("t", "zz_ixp_a_b"),
            "t__zz_ixp_a_b_view"
        );
    }
}
