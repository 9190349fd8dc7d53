//! Verifiable payload pattern, identical to the C baseline's:
//! bytes 0..8 = sequence (u64 LE), 8..16 = size (u64 LE), byte i >= 16 = (seq*31 + i) & 0xff.
//! Payloads shorter than 16 bytes carry no header: byte i = (i*31... with seq 0) = i & 0xff.

pub const HDR: usize = 16;
pub const PAGE: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    None,
    Sample,
    Full,
}

impl Verify {
    pub fn parse(s: &str) -> Option<Verify> {
        match s {
            "none" => Some(Verify::None),
            "sample" => Some(Verify::Sample),
            "full" => Some(Verify::Full),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Verify::None => "none",
            Verify::Sample => "sample",
            Verify::Full => "full",
        }
    }
}

static RAMP: [u8; 512] = {
    let mut r = [0u8; 512];
    let mut i = 0;
    while i < 512 {
        r[i] = (i & 0xff) as u8;
        i += 1;
    }
    r
};

#[inline]
fn pat(seq: u64, i: usize) -> u8 {
    (seq.wrapping_mul(31).wrapping_add(i as u64) & 0xff) as u8
}

pub fn fill(buf: &mut [u8], seq: u64, v: Verify) {
    let size = buf.len();
    if size < HDR {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = pat(0, i);
        }
        return;
    }
    buf[0..8].copy_from_slice(&seq.to_le_bytes());
    buf[8..16].copy_from_slice(&(size as u64).to_le_bytes());
    if size == HDR {
        return;
    }
    match v {
        Verify::Full => {
            let mut i = HDR;
            while i < size {
                let n = (size - i).min(256);
                let s = pat(seq, i) as usize;
                buf[i..i + n].copy_from_slice(&RAMP[s..s + n]);
                i += n;
            }
        }
        Verify::Sample => {
            buf[HDR] = pat(seq, HDR);
            let mut i = PAGE;
            while i < size {
                buf[i] = pat(seq, i);
                i += PAGE;
            }
            buf[size - 1] = pat(seq, size - 1);
        }
        Verify::None => {}
    }
}

/// Returns the sequence stored in the payload when it is intact.
pub fn check(buf: &[u8], v: Verify) -> Option<u64> {
    let size = buf.len();
    if size < HDR {
        return if v == Verify::None || buf.iter().enumerate().all(|(i, b)| *b == pat(0, i)) {
            Some(0)
        } else {
            None
        };
    }
    let seq = u64::from_le_bytes(buf[0..8].try_into().unwrap());
    if u64::from_le_bytes(buf[8..16].try_into().unwrap()) != size as u64 {
        return None;
    }
    if size == HDR {
        return Some(seq);
    }
    let ok = match v {
        Verify::Full => {
            let mut i = HDR;
            let mut ok = true;
            while i < size {
                let n = (size - i).min(256);
                let s = pat(seq, i) as usize;
                if buf[i..i + n] != RAMP[s..s + n] {
                    ok = false;
                    break;
                }
                i += n;
            }
            ok
        }
        Verify::Sample => {
            let mut ok = buf[HDR] == pat(seq, HDR) && buf[size - 1] == pat(seq, size - 1);
            let mut i = PAGE;
            while ok && i < size {
                ok = buf[i] == pat(seq, i);
                i += PAGE;
            }
            ok
        }
        Verify::None => true,
    };
    if ok {
        Some(seq)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn roundtrip_and_corruption() {
        for size in [0usize, 1, 15, 16, 17, 300, 4096, 4097, 10000] {
            for v in [Verify::Sample, Verify::Full] {
                let mut b = vec![0u8; size];
                fill(&mut b, 12345, v);
                let want = if size < HDR { 0 } else { 12345 };
                assert_eq!(check(&b, v), Some(want), "size {size}");
                if size > HDR {
                    let last = size - 1;
                    b[last] ^= 1;
                    assert_eq!(check(&b, v), None);
                }
            }
        }
        // byte-compatible with the C baseline formula
        let mut b = vec![0u8; 64];
        fill(&mut b, 3, Verify::Full);
        assert_eq!(b[20], ((3 * 31 + 20) & 0xff) as u8);
    }
}
