//! A minimal DER reader: one element at a time, its bytes kept exactly as they were encoded
//! (what a signature over signed attributes or a TBS certificate is checked against).

/// One DER element: its tag, its contents, the whole element, and what follows it.
pub(crate) struct Tlv<'a> {
    pub(crate) tag: u8,
    pub(crate) contents: &'a [u8],
    pub(crate) whole: &'a [u8],
    pub(crate) rest: &'a [u8],
}

/// Reads one DER element (definite lengths only, single-byte tags).
pub(crate) fn tlv(input: &[u8]) -> Option<Tlv<'_>> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for b in input.get(2..2 + n)? {
            len = (len << 8) | usize::from(*b);
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    Some(Tlv {
        tag,
        contents: input.get(header..end)?,
        whole: input.get(..end)?,
        rest: input.get(end..)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_reads_short_and_long_lengths() {
        let short = [0x04, 0x02, 0xaa, 0xbb, 0x05];
        let t = tlv(&short).unwrap();
        assert_eq!(
            (t.tag, t.contents, t.rest),
            (0x04, &[0xaa, 0xbb][..], &[0x05][..])
        );
        let mut long = vec![0x30, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        assert_eq!(tlv(&long).unwrap().contents.len(), 0x80);
        assert!(tlv(&[0x30, 0x05, 0x00]).is_none());
        assert!(tlv(&[0x30, 0x85, 0, 0, 0, 0, 1]).is_none());
    }
}
