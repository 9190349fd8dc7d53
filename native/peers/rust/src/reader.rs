//! Savant reader (spec §7): sub / router / rep, receiving the way savant-rs does
//! (`recv_multipart` into owned Vec<u8>s, then owned copies of the extra frames).

use crate::payload::{self, Verify};
use crate::proto::{self, PROTOCOL_VERSION};
use crate::sock;
use crate::url::{self, SockType};
use crate::util::{self, Json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

pub struct ReaderOpts {
    pub url: String,
    pub count: Option<u64>,
    pub timeout_ms: u64,
    pub receive_timeout: i32,
    pub receive_hwm: i32,
    pub prefix: Option<String>,
    pub verify: Verify,
    pub json: bool,
    pub dump: bool,
    pub keep_going: bool,
}

const BLACKLIST_TTL: Duration = Duration::from_secs(10);
const BLACKLIST_SIZE: usize = 1024;
const ROUTING_CACHE: usize = 512;

#[derive(Default)]
struct Counters {
    messages: u64,
    bytes: u64,
    corrupt: u64,
    eos: u64,
    timeouts: u64,
    too_short: u64,
    decode_failed: u64,
    version_mismatch: u64,
    blacklisted: u64,
    prefix_mismatch: u64,
    routing_id_mismatch: u64,
    seq_gaps: u64,
    seq_missing: u64,
    seq_restarts: u64,
}

struct RoutingFilter {
    current: HashMap<Vec<u8>, Vec<u8>>,
    expired: HashSet<(Vec<u8>, Vec<u8>)>,
    order: VecDeque<(Vec<u8>, Vec<u8>)>,
}

impl RoutingFilter {
    /// Spec §7.2 (D-20: the stored id is replaced whatever its length).
    fn allow(&mut self, topic: &[u8], rid: Option<&[u8]>) -> bool {
        let rid = match rid {
            Some(r) => r,
            None => return true,
        };
        match self.current.get(topic) {
            None => {
                self.current.insert(topic.to_vec(), rid.to_vec());
                true
            }
            Some(cur) if cur.as_slice() == rid => true,
            Some(cur) => {
                let key = (topic.to_vec(), rid.to_vec());
                if self.expired.contains(&key) {
                    return false;
                }
                let old = (topic.to_vec(), cur.clone());
                if self.expired.insert(old.clone()) {
                    self.order.push_back(old);
                    if self.order.len() > ROUTING_CACHE {
                        if let Some(x) = self.order.pop_front() {
                            self.expired.remove(&x);
                        }
                    }
                }
                self.current.insert(topic.to_vec(), rid.to_vec());
                true
            }
        }
    }
}

fn dump_line(j: Json) {
    println!("{}", j.finish());
}

fn sizes_json(frames: &[Vec<u8>]) -> String {
    let v: Vec<String> = frames.iter().map(|f| f.len().to_string()).collect();
    format!("[{}]", v.join(","))
}

/// Runs the reader; returns the process exit code.
pub fn run(o: &ReaderOpts) -> i32 {
    let (parsed, st, bind) = match url::for_role(&o.url, false) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("savant-peer reader: {e}");
            return 2;
        }
    };
    let prefix = o.prefix.clone().unwrap_or_default();
    let ctx = zmq::Context::new();
    let sopts = sock::ReaderSockOpts {
        receive_hwm: o.receive_hwm,
        receive_timeout: o.receive_timeout.min(o.timeout_ms.min(i32::MAX as u64) as i32).max(1),
        linger: 100,
        subscribe: prefix.as_bytes().to_vec(),
    };
    let s = match sock::reader_socket(&ctx, st, &sopts).and_then(|s| sock::attach(&s, &parsed.endpoint, bind).map(|_| s)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("savant-peer reader: {e}");
            return 1;
        }
    };
    let min_frames = if st == SockType::Router { 3 } else { 2 };
    let mut c = Counters::default();
    let mut blacklist: HashMap<Vec<u8>, Instant> = HashMap::new();
    let mut routing = RoutingFilter { current: HashMap::new(), expired: HashSet::new(), order: VecDeque::new() };
    let mut seqs: HashMap<(String, String), u64> = HashMap::new();
    let mut error: Option<String> = None;
    let mut eos_received = false;
    let mut timed_out = false;
    let mut count_reached = false;
    let mut last_activity = Instant::now();
    let mut drain_deadline: Option<Instant> = None;
    let mut t_first: Option<Instant> = None;
    let mut t_last = Instant::now();
    let mut u0 = util::rusage();

    let reply_ok = |s: &zmq::Socket, rid: Option<&[u8]>| -> Result<(), String> {
        let r = match rid {
            Some(rid) => s.send_multipart([rid, b"OK".as_slice()], 0),
            None => s.send(b"OK".as_slice(), 0),
        };
        r.map_err(|e| format!("sending OK reply: {e}"))
    };

    loop {
        if let Some(d) = drain_deadline {
            if Instant::now() >= d {
                break;
            }
        }
        // step 2
        let frames = match s.recv_multipart(0) {
            Ok(f) => f,
            Err(zmq::Error::EAGAIN) => {
                c.timeouts += 1;
                if drain_deadline.is_none() && last_activity.elapsed() >= Duration::from_millis(o.timeout_ms) {
                    timed_out = true;
                    break;
                }
                continue;
            }
            Err(zmq::Error::EINTR) => continue,
            Err(e) => {
                error = Some(format!("receive: {e}"));
                break;
            }
        };
        last_activity = Instant::now();
        if t_first.is_none() {
            t_first = Some(last_activity);
            u0 = util::rusage();
        }
        // step 3
        if frames.len() < min_frames {
            c.too_short += 1;
            if o.dump {
                dump_line(Json::new().str("result", "too_short").u("frames", frames.len() as u64).raw("frame_sizes", &sizes_json(&frames)));
            }
            // D-7: a REP reader answers every request it has read, so the REQ peer never wedges
            if st == SockType::Rep {
                if let Err(e) = reply_ok(&s, None) {
                    error = Some(e);
                    break;
                }
            }
            continue;
        }
        // step 4
        let base = if st == SockType::Router { 1 } else { 0 };
        let rid: Option<&[u8]> = if st == SockType::Router { Some(&frames[0]) } else { None };
        let topic: &[u8] = &frames[base];
        let body: &[u8] = &frames[base + 1];
        let rid_json = rid.map(util::hex);
        // step 5
        if let Some(exp) = blacklist.get(topic) {
            if *exp > Instant::now() {
                c.blacklisted += 1;
                if o.dump {
                    dump_line(Json::new().str("result", "blacklisted").str("topic", &util::bytes_text(topic)));
                }
                if st == SockType::Rep {
                    if let Err(e) = reply_ok(&s, None) {
                        error = Some(e);
                        break;
                    }
                }
                continue;
            }
            blacklist.remove(topic);
        }
        // step 6
        let m = match proto::decode(body) {
            Ok(m) => m,
            Err(reason) => {
                c.decode_failed += 1;
                if o.dump {
                    dump_line(
                        Json::new()
                            .str("result", "decode_failed")
                            .str("topic", &util::bytes_text(topic))
                            .opt_str("routing_id", rid_json.as_deref())
                            .str("reason", &reason),
                    );
                }
                if st == SockType::Rep {
                    if let Err(e) = reply_ok(&s, None) {
                        error = Some(e);
                        break;
                    }
                }
                continue;
            }
        };
        // step 7
        if m.protocol_version != PROTOCOL_VERSION {
            c.version_mismatch += 1;
            if blacklist.len() >= BLACKLIST_SIZE {
                if let Some(k) = blacklist.iter().min_by_key(|(_, v)| **v).map(|(k, _)| k.clone()) {
                    blacklist.remove(&k);
                }
            }
            blacklist.insert(topic.to_vec(), Instant::now() + BLACKLIST_TTL);
            if o.dump {
                dump_line(
                    Json::new()
                        .str("result", "version_mismatch")
                        .str("topic", &util::bytes_text(topic))
                        .opt_str("routing_id", rid_json.as_deref())
                        .str("sender_version", &m.protocol_version)
                        .str("expected_version", PROTOCOL_VERSION),
                );
            }
            if st == SockType::Rep {
                if let Err(e) = reply_ok(&s, None) {
                    error = Some(e);
                    break;
                }
            }
            continue;
        }
        // step 8: sequence validation (statistics only)
        let key = (m.system_id.clone(), proto::seq_key(&m).to_string());
        let v = seqs.get(&key).copied().unwrap_or(0);
        let sq = m.seq_id;
        if sq <= v {
            c.seq_restarts += 1;
        } else if sq != v + 1 {
            c.seq_gaps += 1;
            c.seq_missing += sq - v - 1;
        }
        if proto::is_eos(&m) {
            seqs.remove(&key);
        } else {
            seqs.insert(key, sq);
        }
        let dump_msg = |data: &[Vec<u8>], payload_ok: Option<bool>| {
            if o.dump {
                let mut j = Json::new()
                    .str("result", "message")
                    .str("topic", &util::bytes_text(topic))
                    .opt_str("routing_id", rid_json.as_deref())
                    .str("kind", proto::kind_name(&m))
                    .u("seq_id", m.seq_id)
                    .opt_str("source_id", proto::source_id(&m))
                    .str("protocol_version", &m.protocol_version)
                    .str("system_id", &m.system_id)
                    .u("message_bytes", body.len() as u64)
                    .raw("extra_sizes", &sizes_json(data));
                j = match payload_ok {
                    Some(b) => j.b("payload_ok", b),
                    None => j.raw("payload_ok", "null"),
                };
                dump_line(j);
            }
        };
        // step 9: EOS (before prefix check and routing filter); returned without data
        if proto::is_eos(&m) {
            if st != SockType::Sub {
                if let Err(e) = reply_ok(&s, rid) {
                    error = Some(e);
                    break;
                }
            }
            c.eos += 1;
            eos_received = true;
            t_last = Instant::now();
            dump_msg(&[], None);
            if !o.keep_going {
                break;
            }
            continue;
        }
        // step 10
        if !topic.starts_with(prefix.as_bytes()) {
            c.prefix_mismatch += 1;
            if st == SockType::Rep {
                if let Err(e) = reply_ok(&s, None) {
                    error = Some(e);
                    break;
                }
            }
            if o.dump {
                dump_line(Json::new().str("result", "prefix_mismatch").str("topic", &util::bytes_text(topic)));
            }
            continue;
        }
        // step 11
        if st == SockType::Rep {
            if let Err(e) = reply_ok(&s, None) {
                error = Some(e);
                break;
            }
        }
        // step 12
        if !routing.allow(topic, rid) {
            c.routing_id_mismatch += 1;
            if o.dump {
                dump_line(
                    Json::new()
                        .str("result", "routing_id_mismatch")
                        .str("topic", &util::bytes_text(topic))
                        .opt_str("routing_id", rid_json.as_deref()),
                );
            }
            continue;
        }
        // the Message result owns copies of the extra frames, as savant-rs's does
        let data: Vec<Vec<u8>> = frames[base + 2..].to_vec();
        let payload_ok = if o.verify != Verify::None {
            match data.first() {
                Some(p) => {
                    let ok = payload::check(p, o.verify).is_some();
                    if !ok {
                        c.corrupt += 1;
                    }
                    Some(ok)
                }
                None => None,
            }
        } else {
            None
        };
        c.messages += 1;
        c.bytes += data.iter().map(|d| d.len() as u64).sum::<u64>();
        t_last = Instant::now();
        dump_msg(&data, payload_ok);
        if let Some(n) = o.count {
            if c.messages >= n && drain_deadline.is_none() {
                count_reached = true;
                if o.keep_going {
                    continue;
                }
                // give a trailing EOS a moment so a dealer/req writer gets its OK
                drain_deadline = Some(Instant::now() + Duration::from_millis(o.timeout_ms.min(1000)));
            }
        }
    }
    let u1 = util::rusage();
    let seconds = t_first.map(|t| (t_last - t).as_secs_f64()).unwrap_or(0.0);
    drop(s);
    drop(ctx);
    let lost = match o.count {
        Some(n) => n.saturating_sub(c.messages),
        None => c.seq_missing,
    };
    if o.json {
        let j = Json::new()
            .str("program", "savant-peer")
            .str("role", "reader")
            .str("socket", st.name())
            .str("endpoint", &parsed.endpoint)
            .b("bind", bind)
            .str("verify", o.verify.name());
        let j = util::perf_fields(j, c.messages, c.bytes, seconds, u0, u1)
            .u("lost", lost)
            .str("lost_basis", if o.count.is_some() { "count" } else { "seq_ids" })
            .u("corrupt", c.corrupt)
            .b("eos_received", eos_received)
            .u("eos_count", c.eos)
            .b("count_reached", count_reached)
            .b("timed_out", timed_out)
            .u("timeouts", c.timeouts)
            .u("too_short", c.too_short)
            .u("decode_failed", c.decode_failed)
            .u("version_mismatch", c.version_mismatch)
            .u("blacklisted", c.blacklisted)
            .u("prefix_mismatch", c.prefix_mismatch)
            .u("routing_id_mismatch", c.routing_id_mismatch)
            .u("seq_gaps", c.seq_gaps)
            .u("seq_missing", c.seq_missing)
            .u("seq_restarts", c.seq_restarts)
            .opt_str("error", error.as_deref());
        println!("{}", j.finish());
    } else {
        let mps = if seconds > 0.0 { c.messages as f64 / seconds } else { 0.0 };
        println!(
            "reader {} {} msgs={} bytes={} {:.3}s {:.1} msg/s lost={} corrupt={} eos={} timed_out={} decode_failed={} version_mismatch={}{}",
            st.name(),
            parsed.endpoint,
            c.messages,
            c.bytes,
            seconds,
            mps,
            lost,
            c.corrupt,
            eos_received,
            timed_out,
            c.decode_failed,
            c.version_mismatch,
            error.as_ref().map(|e| format!(" ERROR: {e}")).unwrap_or_default()
        );
    }
    if let Some(e) = &error {
        eprintln!("savant-peer reader: {e}");
        return 1;
    }
    if c.corrupt > 0 || (o.count.is_some() && lost > 0) {
        return 1;
    }
    if timed_out && !eos_received && !count_reached && !(o.keep_going && (c.messages > 0 || c.eos > 0)) {
        eprintln!(
            "savant-peer reader: stopped after {} ms without a message, before EOS{}",
            o.timeout_ms,
            if o.count.is_some() { " or --count" } else { "" }
        );
        return 1;
    }
    0
}
