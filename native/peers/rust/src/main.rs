//! savant-peer: a Savant (savant-rs 1.15.1 `zmq` transport) wire-protocol peer
//! for interop tests and benchmarks. See native/README.md.

mod payload;
mod proto;
mod reader;
mod sock;
mod url;
mod util;
mod writer;

use payload::Verify;
use std::collections::HashMap;

const USAGE: &str = "\
usage:
  savant-peer writer --url URL [--count N] [--size BYTES] [--source S] [--topic T]
                     [--kind video|user-data] [--eos] [--json] [--verify none|sample|full]
                     [--send-timeout-ms MS] [--send-retries N] [--receive-timeout-ms MS]
                     [--receive-retries N] [--send-hwm N] [--receive-hwm N] [--linger-ms MS]
                     [--warmup-ms MS]
      URL: (pub|dealer|req)+(bind|connect):(ipc://PATH|tcp://HOST:PORT)[:SOURCE]
      (no prefix: dealer+bind). Defaults: --count 100 --size 1024 --source test
      --kind video --verify sample; socket options as savant-rs: send/receive
      timeout 5000 ms, 3 retries each, HWM 50, linger 100 ms; --warmup-ms 300 for pub.
  savant-peer reader --url URL [--count N] [--timeout-ms T] [--json] [--dump]
                     [--prefix P] [--verify none|sample|full] [--receive-timeout-ms MS]
                     [--receive-hwm N] [--keep-going]
      URL: (sub|router|rep)+(bind|connect):(ipc://PATH|tcp://HOST:PORT)
      (no prefix: router+bind). Stops on EOS, after --count messages, or after
      --timeout-ms (default 10000) without any message. --keep-going: do not stop on EOS.
  savant-peer decode FILE...   decode serialized protocol.Message files, one JSON line each
  savant-peer --help
exit codes: 0 ok; 1 run failed (socket error, send/ack timeout, corrupt payload, lost > 0 with
  --count, reader idle timeout before EOS/--count); 2 usage error";

fn usage_err(msg: &str) -> ! {
    eprintln!("savant-peer: {msg}\n{USAGE}");
    std::process::exit(2);
}

struct Args {
    vals: HashMap<String, String>,
    flags: Vec<String>,
}

impl Args {
    fn parse(argv: &[String], with_value: &[&str], flags: &[&str]) -> Args {
        let mut vals = HashMap::new();
        let mut fl = Vec::new();
        let mut i = 0;
        while i < argv.len() {
            let a = argv[i].as_str();
            if with_value.contains(&a) {
                let v = argv.get(i + 1).unwrap_or_else(|| usage_err(&format!("option {a} needs a value")));
                if vals.insert(a.to_string(), v.clone()).is_some() {
                    usage_err(&format!("option {a} given twice"));
                }
                i += 2;
            } else if flags.contains(&a) {
                fl.push(a.to_string());
                i += 1;
            } else {
                usage_err(&format!("unknown argument '{a}'"));
            }
        }
        Args { vals, flags: fl }
    }
    fn flag(&self, f: &str) -> bool {
        self.flags.iter().any(|x| x == f)
    }
    fn str(&self, k: &str) -> Option<String> {
        self.vals.get(k).cloned()
    }
    fn num<T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy>(&self, k: &str, default: T, min: T, max: T) -> T {
        match self.vals.get(k) {
            None => default,
            Some(v) => match v.parse::<T>() {
                Ok(n) if n >= min && n <= max => n,
                _ => usage_err(&format!("{k} must be a number in [{min}, {max}], got '{v}'")),
            },
        }
    }
    fn verify(&self) -> Verify {
        match self.vals.get("--verify") {
            None => Verify::Sample,
            Some(v) => Verify::parse(v).unwrap_or_else(|| usage_err(&format!("--verify must be none, sample or full, got '{v}'"))),
        }
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let cmd = match argv.first() {
        Some(c) => c,
        None => usage_err("missing subcommand"),
    };
    let rest = &argv[1..];
    let code = match cmd.as_str() {
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            0
        }
        "writer" => {
            let a = Args::parse(
                rest,
                &[
                    "--url", "--count", "--size", "--source", "--topic", "--kind", "--verify", "--send-timeout-ms",
                    "--send-retries", "--receive-timeout-ms", "--receive-retries", "--send-hwm", "--receive-hwm",
                    "--linger-ms", "--warmup-ms",
                ],
                &["--eos", "--json"],
            );
            let url = a.str("--url").unwrap_or_else(|| usage_err("writer needs --url"));
            let source = a.str("--source").unwrap_or_else(|| "test".into());
            let kind = match a.str("--kind").as_deref() {
                None | Some("video") => writer::Kind::Video,
                Some("user-data") => writer::Kind::UserData,
                Some(k) => usage_err(&format!("--kind must be video or user-data, got '{k}'")),
            };
            let o = writer::WriterOpts {
                url,
                count: a.num("--count", 100u64, 0, u64::MAX),
                size: a.num("--size", 1024usize, 0, 1usize << 30),
                source,
                topic: a.str("--topic"),
                eos: a.flag("--eos"),
                json: a.flag("--json"),
                kind,
                verify: a.verify(),
                send_timeout: a.num("--send-timeout-ms", 5000i32, 1, i32::MAX),
                send_retries: a.num("--send-retries", 3i32, 0, 1_000_000),
                receive_timeout: a.num("--receive-timeout-ms", 5000i32, 1, i32::MAX),
                receive_retries: a.num("--receive-retries", 3i32, 0, 1_000_000),
                send_hwm: a.num("--send-hwm", 50i32, 1, i32::MAX),
                receive_hwm: a.num("--receive-hwm", 50i32, 1, i32::MAX),
                linger: a.num("--linger-ms", 100i32, 0, i32::MAX),
                warmup_ms: a.str("--warmup-ms").map(|_| a.num("--warmup-ms", 0u64, 0, 600_000)),
            };
            writer::run(&o)
        }
        "reader" => {
            let a = Args::parse(
                rest,
                &["--url", "--count", "--timeout-ms", "--prefix", "--verify", "--receive-timeout-ms", "--receive-hwm"],
                &["--json", "--dump", "--keep-going"],
            );
            let url = a.str("--url").unwrap_or_else(|| usage_err("reader needs --url"));
            let o = reader::ReaderOpts {
                url,
                count: a.str("--count").map(|_| a.num("--count", 1u64, 1, u64::MAX)),
                timeout_ms: a.num("--timeout-ms", 10_000u64, 1, 86_400_000),
                receive_timeout: a.num("--receive-timeout-ms", 1000i32, 1, i32::MAX),
                receive_hwm: a.num("--receive-hwm", 50i32, 1, i32::MAX),
                prefix: a.str("--prefix"),
                verify: a.verify(),
                json: a.flag("--json"),
                dump: a.flag("--dump"),
                keep_going: a.flag("--keep-going"),
            };
            reader::run(&o)
        }
        "decode" => {
            if rest.is_empty() {
                usage_err("decode needs at least one FILE");
            }
            let mut code = 0;
            for f in rest {
                let line = match std::fs::read(f) {
                    Err(e) => {
                        code = 1;
                        util::Json::new().str("file", f).str("result", "error").str("reason", &e.to_string())
                    }
                    Ok(b) => match proto::decode(&b) {
                        Ok(m) => util::Json::new()
                            .str("file", f)
                            .str("result", "message")
                            .str("kind", proto::kind_name(&m))
                            .u("seq_id", m.seq_id)
                            .opt_str("source_id", proto::source_id(&m))
                            .str("protocol_version", &m.protocol_version)
                            .str("system_id", &m.system_id)
                            .u("routing_labels", m.routing_labels.len() as u64)
                            .u("propagated_context", m.propagated_context.len() as u64),
                        Err(r) => {
                            code = 1;
                            util::Json::new().str("file", f).str("result", "decode_failed").str("reason", &r)
                        }
                    },
                };
                println!("{}", line.finish());
            }
            code
        }
        other => usage_err(&format!("unknown subcommand '{other}'")),
    };
    std::process::exit(code);
}
