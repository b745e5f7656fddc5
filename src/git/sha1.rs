//! SHA-1, only to check that an object read from git's store is the object asked for (its name is
//! the SHA-1 of its header and content). Not for any security decision: a mismatch only sends the
//! question to git.

pub(crate) fn digest(parts: &[&[u8]]) -> [u8; 20] {
    let mut state: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut block = [0u8; 64];
    let mut filled = 0;
    for part in parts {
        for &byte in *part {
            block[filled] = byte;
            filled += 1;
            if filled == 64 {
                compress(&mut state, &block);
                filled = 0;
            }
        }
    }
    block[filled] = 0x80;
    filled += 1;
    if filled > 56 {
        block[filled..].fill(0);
        compress(&mut state, &block);
        filled = 0;
    }
    block[filled..56].fill(0);
    block[56..].copy_from_slice(&((total as u64) * 8).to_be_bytes());
    compress(&mut state, &block);
    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

fn compress(state: &mut [u32; 5], block: &[u8; 64]) {
    let mut w = [0u32; 80];
    for (i, chunk) in block.chunks_exact(4).enumerate() {
        w[i] = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    for i in 16..80 {
        w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    for (i, word) in w.iter().enumerate() {
        let (f, k) = match i {
            0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
            20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
            40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let t = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(*word);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = t;
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e]) {
        *s = s.wrapping_add(v);
    }
}

#[cfg(test)]
mod tests {
    use super::digest;

    fn hex(parts: &[&[u8]]) -> String {
        hex::encode(digest(parts))
    }

    #[test]
    fn known_digests() {
        assert_eq!(hex(&[b""]), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(hex(&[b"abc"]), "a9993e364706816aba3e25717850c26c9cd0d89d");
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(hex(&[long]), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
        // Split anywhere, the same digest; 55, 56 and 64 bytes cross the padding's edges.
        assert_eq!(hex(&[&long[..7], &long[7..]]), hex(&[long]));
        let a = vec![b'a'; 1_000_000];
        assert_eq!(hex(&[&a]), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
        for n in [55, 56, 63, 64, 65] {
            let data = vec![b'x'; n];
            assert_eq!(hex(&[&data[..1], &data[1..]]), hex(&[&data]), "{n}");
        }
        // git's name for the empty blob: "blob 0\0".
        assert_eq!(
            hex(&[b"blob 0\0"]),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
    }
}
