//! Cassandra's Murmur3 partitioner token: MurmurHash3 x64 128-bit (seed 0) with Cassandra's
//! signed-byte quirk in the tail, first 64 bits, `i64::MIN` mapped to `i64::MAX`.

fn fmix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    k
}

/// The first 64 bits of Cassandra's MurmurHash3 x64 128 of `data` (seed 0).
pub fn hash3_x64_128_first(data: &[u8]) -> i64 {
    let len = data.len();
    let nblocks = len / 16;
    let mut h1: u64 = 0;
    let mut h2: u64 = 0;
    const C1: u64 = 0x87c37b91114253d5;
    const C2: u64 = 0x4cf5ad432745937f;
    for i in 0..nblocks {
        let b = &data[i * 16..i * 16 + 16];
        let mut k1 = u64::from_le_bytes(b[0..8].try_into().unwrap());
        let mut k2 = u64::from_le_bytes(b[8..16].try_into().unwrap());
        k1 = k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
        h1 ^= k1;
        h1 = h1
            .rotate_left(27)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x52dce729);
        k2 = k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
        h2 ^= k2;
        h2 = h2
            .rotate_left(31)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x38495ab5);
    }
    let tail = &data[nblocks * 16..];
    // Java bytes are signed: each tail byte is sign-extended before shifting.
    let t = |i: usize| (tail[i] as i8) as i64 as u64;
    let mut k1: u64 = 0;
    let mut k2: u64 = 0;
    let rem = len & 15;
    if rem >= 15 {
        k2 ^= t(14) << 48;
    }
    if rem >= 14 {
        k2 ^= t(13) << 40;
    }
    if rem >= 13 {
        k2 ^= t(12) << 32;
    }
    if rem >= 12 {
        k2 ^= t(11) << 24;
    }
    if rem >= 11 {
        k2 ^= t(10) << 16;
    }
    if rem >= 10 {
        k2 ^= t(9) << 8;
    }
    if rem >= 9 {
        k2 ^= t(8);
        k2 = k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
        h2 ^= k2;
    }
    if rem >= 8 {
        k1 ^= t(7) << 56;
    }
    if rem >= 7 {
        k1 ^= t(6) << 48;
    }
    if rem >= 6 {
        k1 ^= t(5) << 40;
    }
    if rem >= 5 {
        k1 ^= t(4) << 32;
    }
    if rem >= 4 {
        k1 ^= t(3) << 24;
    }
    if rem >= 3 {
        k1 ^= t(2) << 16;
    }
    if rem >= 2 {
        k1 ^= t(1) << 8;
    }
    if rem >= 1 {
        k1 ^= t(0);
        k1 = k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
        h1 ^= k1;
    }
    h1 ^= len as u64;
    h2 ^= len as u64;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = h1.wrapping_add(h2);
    h1 as i64
}

/// The Murmur3Partitioner token of a serialized partition key.
pub fn token(key: &[u8]) -> i64 {
    let h = hash3_x64_128_first(key);
    if h == i64::MIN { i64::MAX } else { h }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_int_tokens() {
        // Values from Cassandra/ScyllaDB `SELECT token(pk)` on an int partition key.
        assert_eq!(token(&1i32.to_be_bytes()), -4069959284402364209);
        assert_eq!(token(&2i32.to_be_bytes()), -3248873570005575792);
        assert_eq!(token(&3i32.to_be_bytes()), 9010454139840013625);
    }

    #[test]
    fn empty_and_long_keys() {
        assert_eq!(token(b""), 0);
        // A key longer than 16 bytes with high (negative as Java byte) tail bytes.
        let k: Vec<u8> = (0u8..40)
            .map(|i| i.wrapping_mul(37).wrapping_add(200))
            .collect();
        let _ = token(&k);
    }
}
