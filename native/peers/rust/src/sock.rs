//! Socket creation as savant-rs does it (spec §3.4, §3.5).

use crate::url::SockType;
use std::path::Path;

pub struct WriterSockOpts {
    pub send_hwm: i32,
    pub send_timeout: i32,
    pub receive_timeout: i32,
    pub receive_hwm: i32,
    pub linger: i32,
}

pub struct ReaderSockOpts {
    pub receive_hwm: i32,
    pub receive_timeout: i32,
    pub linger: i32,
    pub subscribe: Vec<u8>,
}

fn ctx_err(what: &str, e: zmq::Error) -> String {
    format!("{what}: {e}")
}

pub fn writer_socket(ctx: &zmq::Context, st: SockType, o: &WriterSockOpts) -> Result<zmq::Socket, String> {
    let s = ctx.socket(st.zmq_type()).map_err(|e| ctx_err("zmq_socket", e))?;
    s.set_sndhwm(o.send_hwm).map_err(|e| ctx_err("ZMQ_SNDHWM", e))?;
    s.set_sndtimeo(o.send_timeout).map_err(|e| ctx_err("ZMQ_SNDTIMEO", e))?;
    s.set_linger(o.linger).map_err(|e| ctx_err("ZMQ_LINGER", e))?;
    if st != SockType::Pub {
        s.set_rcvtimeo(o.receive_timeout).map_err(|e| ctx_err("ZMQ_RCVTIMEO", e))?;
        s.set_rcvhwm(o.receive_hwm).map_err(|e| ctx_err("ZMQ_RCVHWM", e))?;
    }
    Ok(s)
}

pub fn reader_socket(ctx: &zmq::Context, st: SockType, o: &ReaderSockOpts) -> Result<zmq::Socket, String> {
    let s = ctx.socket(st.zmq_type()).map_err(|e| ctx_err("zmq_socket", e))?;
    s.set_rcvhwm(o.receive_hwm).map_err(|e| ctx_err("ZMQ_RCVHWM", e))?;
    s.set_rcvtimeo(o.receive_timeout).map_err(|e| ctx_err("ZMQ_RCVTIMEO", e))?;
    s.set_linger(o.linger).map_err(|e| ctx_err("ZMQ_LINGER", e))?;
    if st == SockType::Sub {
        s.set_subscribe(&o.subscribe).map_err(|e| ctx_err("ZMQ_SUBSCRIBE", e))?;
    }
    Ok(s)
}

/// Bind (with savant-rs's ipc directory creation and chmod 0o777) or connect.
pub fn attach(s: &zmq::Socket, endpoint: &str, bind: bool) -> Result<(), String> {
    if !bind {
        return s.connect(endpoint).map_err(|e| format!("connect {endpoint}: {e}"));
    }
    let ipc_path = endpoint.strip_prefix("ipc://");
    if let Some(path) = ipc_path {
        if path.is_empty() {
            return Err("ipc endpoint has an empty path".into());
        }
        if !path.starts_with('@') {
            let p = Path::new(path);
            if p.is_dir() {
                return Err(format!("ipc path {path} is a directory"));
            }
            if let Some(parent) = p.parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("cannot create directory {}: {e}", parent.display()))?;
                }
            }
        }
    }
    s.bind(endpoint).map_err(|e| format!("bind {endpoint}: {e}"))?;
    if let Some(path) = ipc_path {
        if !path.starts_with('@') {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777))
                .map_err(|e| format!("chmod 0777 {path}: {e}"))?;
        }
    }
    Ok(())
}
