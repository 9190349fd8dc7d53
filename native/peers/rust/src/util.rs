//! Small helpers: JSON line building, rusage, UUIDs, a cheap PRNG.

use std::fmt::Write as _;
use std::io::Read;

/// Builds one JSON object on a single line.
pub struct Json {
    s: String,
    first: bool,
}

impl Json {
    pub fn new() -> Json {
        Json { s: String::from("{"), first: true }
    }
    fn key(&mut self, k: &str) {
        if !self.first {
            self.s.push(',');
        }
        self.first = false;
        push_str(&mut self.s, k);
        self.s.push(':');
    }
    pub fn str(mut self, k: &str, v: &str) -> Self {
        self.key(k);
        push_str(&mut self.s, v);
        self
    }
    pub fn opt_str(mut self, k: &str, v: Option<&str>) -> Self {
        self.key(k);
        match v {
            Some(v) => push_str(&mut self.s, v),
            None => self.s.push_str("null"),
        }
        self
    }
    pub fn u(mut self, k: &str, v: u64) -> Self {
        self.key(k);
        let _ = write!(self.s, "{v}");
        self
    }
    pub fn i(mut self, k: &str, v: i64) -> Self {
        self.key(k);
        let _ = write!(self.s, "{v}");
        self
    }
    pub fn f(mut self, k: &str, v: f64, decimals: usize) -> Self {
        self.key(k);
        if v.is_finite() {
            let _ = write!(self.s, "{v:.decimals$}");
        } else {
            self.s.push_str("null");
        }
        self
    }
    pub fn b(mut self, k: &str, v: bool) -> Self {
        self.key(k);
        self.s.push_str(if v { "true" } else { "false" });
        self
    }
    /// Inserts pre-rendered JSON (array or object) as the value.
    pub fn raw(mut self, k: &str, v: &str) -> Self {
        self.key(k);
        self.s.push_str(v);
        self
    }
    pub fn finish(mut self) -> String {
        self.s.push('}');
        self.s
    }
}

pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Topic bytes as text for output: UTF-8 when valid, else hex with a "hex:" prefix.
pub fn bytes_text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => format!("hex:{}", hex(b)),
    }
}

pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

#[derive(Clone, Copy)]
pub struct Usage {
    pub minflt: i64,
    pub majflt: i64,
    pub user_s: f64,
    pub sys_s: f64,
}

pub fn rusage() -> Usage {
    // SAFETY: getrusage fills a plain C struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe {
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
    }
    Usage {
        minflt: ru.ru_minflt as i64,
        majflt: ru.ru_majflt as i64,
        user_s: ru.ru_utime.tv_sec as f64 + ru.ru_utime.tv_usec as f64 * 1e-6,
        sys_s: ru.ru_stime.tv_sec as f64 + ru.ru_stime.tv_usec as f64 * 1e-6,
    }
}

/// Appends the common throughput/resource fields to a summary.
pub fn perf_fields(j: Json, messages: u64, bytes: u64, seconds: f64, u0: Usage, u1: Usage) -> Json {
    let minflt = u1.minflt - u0.minflt;
    let (mps, gbps) = if seconds > 0.0 {
        (messages as f64 / seconds, bytes as f64 / seconds / 1e9)
    } else {
        (0.0, 0.0)
    };
    j.u("messages", messages)
        .u("bytes", bytes)
        .f("seconds", seconds, 6)
        .f("msgs_per_s", mps, 1)
        .f("gb_per_s", gbps, 4)
        .i("minor_faults", minflt)
        .f("minor_faults_per_msg", if messages > 0 { minflt as f64 / messages as f64 } else { 0.0 }, 2)
        .i("major_faults", u1.majflt - u0.majflt)
        .f("cpu_user_s", u1.user_s - u0.user_s, 3)
        .f("cpu_sys_s", u1.sys_s - u0.sys_s, 3)
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    let ok = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).is_ok();
    if !ok {
        // Fallback: time and pid mixed through the PRNG (still a valid v4 layout).
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let mut r = Rng::new(t ^ ((std::process::id() as u64) << 32));
        for x in b.iter_mut() {
            *x = r.next() as u8;
        }
    }
    b
}

pub fn uuid_v4_from(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

pub fn uuid_v4() -> String {
    uuid_v4_from(random_bytes::<16>())
}

/// xorshift64* — only for frame UUIDs, not for anything secret.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn uuid_v4(&mut self) -> String {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next().to_le_bytes());
        b[8..].copy_from_slice(&self.next().to_le_bytes());
        uuid_v4_from(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn uuid_shape() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert!(crate::proto::is_uuid(&u));
        assert!(crate::proto::is_uuid(&Rng::new(7).uuid_v4()));
    }
    #[test]
    fn json_escaping() {
        let j = Json::new().str("a", "x\"y\\\n\u{1}").u("n", 3).b("t", true).finish();
        assert_eq!(j, r#"{"a":"x\"y\\\n\u0001","n":3,"t":true}"#);
    }
}
