//! Savant writer (spec §6): pub / dealer / req.

use crate::payload::{self, Verify};
use crate::proto::protocol::{self as pb, message::Content};
use crate::proto::{self, PROTOCOL_VERSION};
use crate::sock;
use crate::url::{self, SockType};
use crate::util::{self, Json, Rng};
use prost::Message as _;
use std::collections::HashMap;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Video,
    UserData,
}

pub struct WriterOpts {
    pub url: String,
    pub count: u64,
    pub size: usize,
    pub source: String,
    pub topic: Option<String>,
    pub eos: bool,
    pub json: bool,
    pub kind: Kind,
    pub verify: Verify,
    pub send_timeout: i32,
    pub send_retries: i32,
    pub receive_timeout: i32,
    pub receive_retries: i32,
    pub send_hwm: i32,
    pub receive_hwm: i32,
    pub linger: i32,
    pub warmup_ms: Option<u64>,
}

enum SendOutcome {
    Success { retries: i32 },
    Ack { retries: i32, recv_retries: i32 },
    AckTimeout { elapsed_ms: u128 },
    SendTimeout,
}

struct Writer {
    sock: zmq::Socket,
    st: SockType,
    system_id: String,
    counters: HashMap<String, u64>,
    send_retries: i32,
    receive_retries: i32,
}

impl Writer {
    /// seq_id per spec §6.3 (single writer instance, so the system id part of the key is constant).
    fn next_seq(&mut self, m: &pb::Message) -> u64 {
        let key = proto::seq_key(m).to_string();
        let eos = proto::is_eos(m);
        let c = self.counters.entry(key.clone()).or_insert(0);
        *c += 1;
        let v = *c;
        if eos {
            self.counters.remove(&key);
        }
        v
    }

    /// Spec §6.4: numbering, serialising, send with retries, acknowledgement.
    fn send(&mut self, topic: &[u8], m: &mut pb::Message, buf: &mut Vec<u8>, extra: &[&[u8]]) -> Result<SendOutcome, String> {
        m.system_id.clone_from(&self.system_id);
        m.seq_id = self.next_seq(m);
        buf.clear();
        m.encode(buf).map_err(|e| format!("encode: {e}"))?;
        let mut left = self.send_retries;
        let mut sent = false;
        while left >= 0 {
            let mut parts: Vec<&[u8]> = Vec::with_capacity(2 + extra.len());
            parts.push(topic);
            parts.push(buf);
            parts.extend_from_slice(extra);
            match self.sock.send_multipart(parts, 0) {
                Ok(()) => {
                    sent = true;
                    break;
                }
                Err(zmq::Error::EAGAIN) => left -= 1,
                Err(zmq::Error::EINTR) => continue,
                Err(e) => return Err(format!("send: {e}")),
            }
        }
        if !sent {
            return Ok(SendOutcome::SendTimeout);
        }
        let retries = self.send_retries - left;
        let eos = proto::is_eos(m);
        let need_ack = self.st == SockType::Req || (eos && self.st != SockType::Pub);
        if !need_ack {
            return Ok(SendOutcome::Success { retries });
        }
        let started = Instant::now();
        let mut r = self.receive_retries;
        while r >= 0 {
            match self.sock.recv_multipart(0) {
                Ok(reply) => {
                    if eos && reply.last().map(|f| f.as_slice()) != Some(b"OK".as_slice()) {
                        return Err(format!(
                            "unexpected confirmation for EOS: {:?}",
                            reply.iter().map(|f| util::hex(f)).collect::<Vec<_>>()
                        ));
                    }
                    return Ok(SendOutcome::Ack { retries, recv_retries: self.receive_retries - r });
                }
                Err(zmq::Error::EAGAIN) => r -= 1,
                Err(zmq::Error::EINTR) => continue,
                Err(e) => return Err(format!("receive ack: {e}")),
            }
        }
        Ok(SendOutcome::AckTimeout { elapsed_ms: started.elapsed().as_millis() })
    }
}

fn build_message(kind: Kind, source: &str, index: u64, rng: &mut Rng) -> pb::Message {
    let content = match kind {
        Kind::Video => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            Content::VideoFrame(pb::VideoFrame {
                source_id: source.to_string(),
                uuid: rng.uuid_v4(),
                creation_timestamp_ns_high: (now >> 64) as u64,
                creation_timestamp_ns_low: now as u64,
                framerate: "30/1".into(),
                width: 1920,
                height: 1080,
                transcoding_method: pb::VideoFrameTranscodingMethod::Copy as i32,
                codec: Some("raw-rgb24".into()),
                keyframe: Some(true),
                time_base_numerator: 1,
                time_base_denominator: 1_000_000_000,
                pts: (index as i64).wrapping_mul(33_333_333),
                content: Some(pb::video_frame::Content::None(pb::NoneFrame {})),
                ..Default::default()
            })
        }
        Kind::UserData => Content::UserData(pb::UserData {
            source_id: source.to_string(),
            attributes: vec![pb::Attribute {
                namespace: "savant-peer".into(),
                name: "index".into(),
                values: vec![pb::AttributeValue {
                    confidence: None,
                    value: Some(pb::attribute_value::Value::Integer(pb::IntegerAttributeValueVariant {
                        data: index as i64,
                    })),
                }],
                hint: None,
                is_persistent: true,
                is_hidden: false,
            }],
        }),
    };
    pb::Message {
        protocol_version: PROTOCOL_VERSION.into(),
        content: Some(content),
        ..Default::default()
    }
}

/// Runs the writer; returns the process exit code.
pub fn run(o: &WriterOpts) -> i32 {
    let (parsed, st, bind) = match url::for_role(&o.url, true) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("savant-peer writer: {e}");
            return 2;
        }
    };
    let topic = o.topic.clone().unwrap_or_else(|| o.source.clone());
    let ctx = zmq::Context::new();
    let sopts = sock::WriterSockOpts {
        send_hwm: o.send_hwm,
        send_timeout: o.send_timeout,
        receive_timeout: o.receive_timeout,
        receive_hwm: o.receive_hwm,
        linger: o.linger,
    };
    let s = match sock::writer_socket(&ctx, st, &sopts).and_then(|s| sock::attach(&s, &parsed.endpoint, bind).map(|_| s)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("savant-peer writer: {e}");
            return 1;
        }
    };
    let mut w = Writer {
        sock: s,
        st,
        system_id: util::uuid_v4(),
        counters: HashMap::new(),
        send_retries: o.send_retries,
        receive_retries: o.receive_retries,
    };
    let mut rng = Rng::new(u64::from_le_bytes(util::random_bytes::<8>()));
    // pre-touched payload buffer, reused for every message
    let mut payload: Vec<u8> = Vec::new();
    if payload.try_reserve_exact(o.size).is_err() {
        eprintln!("savant-peer writer: cannot allocate a {} byte payload buffer", o.size);
        return 1;
    }
    payload.resize(o.size, 0);
    payload::fill(&mut payload, 0, Verify::Full);
    let mut buf = Vec::with_capacity(512);

    let warm = o.warmup_ms.unwrap_or(if st == SockType::Pub { 300 } else { 0 });
    if warm > 0 {
        std::thread::sleep(Duration::from_millis(warm));
    }

    let (mut sent, mut bytes, mut acks, mut send_retries_spent, mut recv_retries_spent) = (0u64, 0u64, 0u64, 0i64, 0i64);
    let mut send_timeouts = 0u64;
    let mut ack_timeouts = 0u64;
    let mut error: Option<String> = None;
    let mut eos_acked = false;
    let mut eos_sent = false;
    let mut eos_ack_ms = None;
    let u0 = util::rusage();
    let t0 = Instant::now();
    let mut t_end = t0;
    for i in 0..o.count {
        let mut m = build_message(o.kind, &o.source, i, &mut rng);
        // the payload carries the seq id the message will get (next counter value)
        let seq_preview = w.counters.get(&o.source).copied().unwrap_or(0) + 1;
        payload::fill(&mut payload, seq_preview, o.verify);
        match w.send(topic.as_bytes(), &mut m, &mut buf, &[&payload]) {
            Ok(SendOutcome::Success { retries }) => {
                send_retries_spent += retries as i64;
            }
            Ok(SendOutcome::Ack { retries, recv_retries }) => {
                acks += 1;
                send_retries_spent += retries as i64;
                recv_retries_spent += recv_retries as i64;
            }
            Ok(SendOutcome::AckTimeout { elapsed_ms }) => {
                ack_timeouts += 1;
                sent += 1;
                bytes += o.size as u64;
                error = Some(format!("no OK for message {} within {elapsed_ms} ms (AckTimeout); a req socket is stuck after this", i + 1));
                break;
            }
            Ok(SendOutcome::SendTimeout) => {
                send_timeouts += 1;
                error = Some(format!(
                    "send timed out {} times ({} ms each) at message {} (SendTimeout): is the reader there?",
                    o.send_retries + 1,
                    o.send_timeout,
                    i + 1
                ));
                break;
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
        sent += 1;
        bytes += o.size as u64;
        t_end = Instant::now();
    }
    if error.is_none() && o.eos {
        let mut m = pb::Message {
            protocol_version: PROTOCOL_VERSION.into(),
            content: Some(Content::EndOfStream(pb::EndOfStream { source_id: o.source.clone() })),
            ..Default::default()
        };
        let te = Instant::now();
        match w.send(topic.as_bytes(), &mut m, &mut buf, &[]) {
            Ok(SendOutcome::Success { .. }) => eos_sent = true,
            Ok(SendOutcome::Ack { .. }) => {
                eos_sent = true;
                eos_acked = true;
                eos_ack_ms = Some(te.elapsed().as_secs_f64() * 1e3);
                t_end = Instant::now();
            }
            Ok(SendOutcome::AckTimeout { elapsed_ms }) => {
                eos_sent = true;
                ack_timeouts += 1;
                error = Some(format!("EOS not acknowledged within {elapsed_ms} ms (AckTimeout)"));
            }
            Ok(SendOutcome::SendTimeout) => {
                send_timeouts += 1;
                error = Some("EOS send timed out (SendTimeout)".into());
            }
            Err(e) => error = Some(e),
        }
    }
    let seconds = (t_end - t0).as_secs_f64();
    let u1 = util::rusage();
    drop(w); // closes the socket (linger applies), then the context terminates
    drop(ctx);

    if o.json {
        let mut j = Json::new()
            .str("program", "savant-peer")
            .str("role", "writer")
            .str("socket", st.name())
            .str("endpoint", &parsed.endpoint)
            .b("bind", bind)
            .str("kind", if o.kind == Kind::Video { "video_frame" } else { "user_data" })
            .str("topic", &topic)
            .str("source_id", &o.source)
            .str("protocol_version", PROTOCOL_VERSION)
            .str("verify", o.verify.name())
            .u("size", o.size as u64);
        j = util::perf_fields(j, sent, bytes, seconds, u0, u1)
            .u("acks", acks)
            .i("send_retries_spent", send_retries_spent)
            .i("receive_retries_spent", recv_retries_spent)
            .u("send_timeouts", send_timeouts)
            .u("ack_timeouts", ack_timeouts)
            .b("eos_sent", eos_sent)
            .b("eos_acked", eos_acked)
            .b("seconds_include_eos_ack", eos_acked)
            .f("eos_ack_ms", eos_ack_ms.unwrap_or(f64::NAN), 3)
            .u("lost", 0)
            .u("corrupt", 0)
            .opt_str("error", error.as_deref());
        println!("{}", j.finish());
    } else {
        let mps = if seconds > 0.0 { sent as f64 / seconds } else { 0.0 };
        println!(
            "writer {} {} sent={} size={} {:.3}s {:.1} msg/s {:.3} GB/s acks={} eos_sent={} eos_acked={}{}",
            st.name(),
            parsed.endpoint,
            sent,
            o.size,
            seconds,
            mps,
            if seconds > 0.0 { bytes as f64 / seconds / 1e9 } else { 0.0 },
            acks,
            eos_sent,
            eos_acked,
            error.as_ref().map(|e| format!(" ERROR: {e}")).unwrap_or_default()
        );
    }
    if let Some(e) = &error {
        eprintln!("savant-peer writer: {e}");
        1
    } else {
        0
    }
}
