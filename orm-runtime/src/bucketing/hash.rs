//! The composite bucket hash and bucket ids (spec §1 and §2).

/// FNV-1a 32-bit offset basis.
const FNV_OFFSET_BASIS: u32 = 2_166_136_261;
/// FNV-1a 32-bit prime.
const FNV_PRIME: u32 = 16_777_619;

/// Hashes a composite tuple into the `int` stored in a bucket-hash `set<int>` column.
///
/// FNV-1a 32-bit (offset basis 2166136261, prime 16777619) over, for each value in order, its
/// 8 bytes little-endian followed by one `0x00` byte; the 32-bit result reinterpreted as `i32`.
/// The tuple is the index's source columns in declared order, with the bucketed column replaced
/// by its bucket id ([`bucket_id`], [`Bucket::id`](crate::bucketing::Bucket::id)).
///
/// This is part of the stored-data contract: the values never change between releases and match
/// genix-orm. The empty tuple hashes to the offset basis.
///
/// ```
/// use orm_runtime::bucketing::composite_hash;
///
/// assert_eq!(composite_hash(&[1, 2]), -997_867_446);
/// assert_eq!(composite_hash(&[10, 20, 30]), 68_478_927);
/// ```
#[must_use]
pub const fn composite_hash(values: &[i64]) -> i32 {
    let mut hash = FNV_OFFSET_BASIS;
    let mut i = 0;
    while i < values.len() {
        let bytes = values[i].to_le_bytes();
        let mut b = 0;
        while b < bytes.len() {
            hash ^= bytes[b] as u32;
            hash = hash.wrapping_mul(FNV_PRIME);
            b += 1;
        }
        // The separator byte 0x00: xor with zero is a no-op, the multiplication is not.
        hash = hash.wrapping_mul(FNV_PRIME);
        i += 1;
    }
    hash as i32
}

/// The id of the bucket of `size` units that contains `basis`: `basis.div_euclid(size)`.
///
/// Floor division keeps negative values aligned: bucket `id` covers
/// `[id * size, id * size + size - 1]` (genix truncates, which agrees on values `>= 0`).
///
/// A size of `0` is not a bucket size; rather than panicking this function then treats the
/// size as `1` and returns `basis`. Call [`checked_bucket_id`] to reject it instead. The
/// planner and the layouts validate sizes up front, so generated code never passes `0`.
///
/// ```
/// use orm_runtime::bucketing::bucket_id;
///
/// assert_eq!(bucket_id(2916, 4), 729);
/// assert_eq!(bucket_id(-1, 4), -1); // floor, not truncation
/// assert_eq!(bucket_id(7, 0), 7); // size 0 behaves as size 1
/// ```
#[must_use]
pub const fn bucket_id(basis: i64, size: u32) -> i64 {
    if size == 0 {
        return basis;
    }
    // `size` is at least 1 and at most u32::MAX, so the division can neither overflow nor
    // divide by zero.
    basis.div_euclid(size as i64)
}

/// Like [`bucket_id`], but returns `None` for a size of `0` instead of treating it as `1`.
///
/// ```
/// use orm_runtime::bucketing::checked_bucket_id;
///
/// assert_eq!(checked_bucket_id(2934, 5), Some(586));
/// assert_eq!(checked_bucket_id(2934, 0), None);
/// ```
#[must_use]
pub const fn checked_bucket_id(basis: i64, size: u32) -> Option<i64> {
    if size == 0 {
        None
    } else {
        Some(bucket_id(basis, size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_hash_vectors() {
        let cases: [(&[i64], i32); 7] = [
            (&[1, 2], -997_867_446),
            (&[7], 1_695_235_878),
            (&[1, 2916], -1_523_402_221),
            (&[1, 729], -380_567_827),
            (&[-5, 3], 182_825_544),
            (&[2_147_483_647, 32_767], 1_138_552_859),
            (&[10, 20, 30], 68_478_927),
        ];
        for (input, expected) in cases {
            assert_eq!(composite_hash(input), expected, "{input:?}");
        }
    }

    #[test]
    fn empty_tuple_is_offset_basis() {
        assert_eq!(composite_hash(&[]), FNV_OFFSET_BASIS as i32);
    }

    #[test]
    fn bucket_ids_floor() {
        assert_eq!(bucket_id(-5, 4), -2);
        assert_eq!(bucket_id(i64::MIN, 1), i64::MIN);
        assert_eq!(
            bucket_id(i64::MIN, u32::MAX),
            i64::MIN.div_euclid(u32::MAX as i64)
        );
        assert_eq!(bucket_id(i64::MAX, 0), i64::MAX);
        assert_eq!(checked_bucket_id(i64::MAX, 0), None);
    }
}
