//! Savant URL grammar (savant-rs 1.15.1, spec §2), canonical form only:
//! `[socktype "+" mode ":"] ("ipc://" path | "tcp://" host ":" port) [":" [source]]`.
//! Anchored at both ends; the unanchored-regex quirks of savant-rs (§2.6) are
//! rejected with a clear error instead of being guessed at (decision D-1).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockType {
    Pub,
    Sub,
    Req,
    Rep,
    Dealer,
    Router,
}

impl SockType {
    pub fn name(self) -> &'static str {
        match self {
            SockType::Pub => "pub",
            SockType::Sub => "sub",
            SockType::Req => "req",
            SockType::Rep => "rep",
            SockType::Dealer => "dealer",
            SockType::Router => "router",
        }
    }
    pub fn is_writer(self) -> bool {
        matches!(self, SockType::Pub | SockType::Dealer | SockType::Req)
    }
    pub fn zmq_type(self) -> zmq::SocketType {
        match self {
            SockType::Pub => zmq::PUB,
            SockType::Sub => zmq::SUB,
            SockType::Req => zmq::REQ,
            SockType::Rep => zmq::REP,
            SockType::Dealer => zmq::DEALER,
            SockType::Router => zmq::ROUTER,
        }
    }
    fn parse(s: &str) -> Option<SockType> {
        Some(match s {
            "pub" => SockType::Pub,
            "sub" => SockType::Sub,
            "req" => SockType::Req,
            "rep" => SockType::Rep,
            "dealer" => SockType::Dealer,
            "router" => SockType::Router,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedUrl {
    pub endpoint: String,
    pub socket_type: Option<SockType>,
    pub bind: Option<bool>,
    pub source: Option<String>,
}

pub fn parse(url: &str) -> Result<ParsedUrl, String> {
    let (prefix, rest) = if url.starts_with("ipc://") || url.starts_with("tcp://") {
        (None, url)
    } else {
        let idx = url
            .find(':')
            .ok_or_else(|| format!("invalid ZeroMQ socket URI '{url}'"))?;
        let head = &url[..idx];
        let rest = &url[idx + 1..];
        if !(rest.starts_with("ipc://") || rest.starts_with("tcp://")) {
            return Err(format!("invalid ZeroMQ socket URI '{url}' (expected ipc:// or tcp:// endpoint)"));
        }
        let (t, m) = head
            .split_once('+')
            .ok_or_else(|| format!("invalid socket options '{head}' in '{url}'"))?;
        let st = SockType::parse(t)
            .ok_or_else(|| format!("invalid socket options '{head}': unknown socket type '{t}'"))?;
        let bind = match m {
            "bind" => true,
            "connect" => false,
            _ => return Err(format!("invalid socket options '{head}': mode must be bind or connect")),
        };
        (Some((st, bind)), rest)
    };

    let (endpoint, remainder) = if let Some(path_and_more) = rest.strip_prefix("ipc://") {
        let end = path_and_more.find(':').unwrap_or(path_and_more.len());
        if end == 0 {
            return Err(format!("invalid ZeroMQ socket URI '{url}': empty ipc path"));
        }
        (format!("ipc://{}", &path_and_more[..end]), &path_and_more[end..])
    } else {
        let hp = &rest["tcp://".len()..];
        let colon = hp
            .find(':')
            .ok_or_else(|| format!("invalid ZeroMQ socket URI '{url}': tcp endpoint needs host:port"))?;
        let host = &hp[..colon];
        if host.is_empty() {
            return Err(format!("invalid ZeroMQ socket URI '{url}': empty host"));
        }
        let after = &hp[colon + 1..];
        let digits = after.bytes().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Err(format!("invalid ZeroMQ socket URI '{url}': missing or invalid port"));
        }
        (format!("tcp://{}:{}", host, &after[..digits]), &after[digits..])
    };

    let source = if remainder.is_empty() {
        None
    } else if let Some(src) = remainder.strip_prefix(':') {
        if src.is_empty() {
            None
        } else {
            match prefix {
                Some((st, _)) if st.is_writer() => Some(src.to_string()),
                _ => {
                    return Err(format!(
                        "source specification is not allowed for reader sockets (or URLs without a writer prefix): '{url}'"
                    ))
                }
            }
        }
    } else {
        return Err(format!("invalid ZeroMQ socket URI '{url}': unexpected '{remainder}' after the endpoint"));
    };

    Ok(ParsedUrl {
        endpoint,
        socket_type: prefix.map(|p| p.0),
        bind: prefix.map(|p| p.1),
        source,
    })
}

/// Resolves socket type and bind flag for a role, applying savant-rs defaults
/// (reader: router + bind, writer: dealer + bind) and the role check.
pub fn for_role(url: &str, writer: bool) -> Result<(ParsedUrl, SockType, bool), String> {
    let p = parse(url)?;
    let st = p
        .socket_type
        .unwrap_or(if writer { SockType::Dealer } else { SockType::Router });
    if st.is_writer() != writer {
        return Err(format!(
            "invalid socket type for {}: '{}' (use {})",
            if writer { "writer" } else { "reader" },
            st.name(),
            if writer { "pub, dealer or req" } else { "sub, router or rep" }
        ));
    }
    let bind = p.bind.unwrap_or(true);
    Ok((p, st, bind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(u: &str) -> (String, Option<&'static str>, Option<bool>, Option<String>) {
        let p = parse(u).unwrap_or_else(|e| panic!("{u}: {e}"));
        (p.endpoint, p.socket_type.map(|s| s.name()), p.bind, p.source)
    }

    #[test]
    fn spec_examples() {
        assert_eq!(ok("tcp://127.0.0.1:5555"), ("tcp://127.0.0.1:5555".into(), None, None, None));
        assert_eq!(ok("ipc:///tmp/a/b"), ("ipc:///tmp/a/b".into(), None, None, None));
        assert_eq!(ok("sub+bind:tcp://1.1.1.1:1234"), ("tcp://1.1.1.1:1234".into(), Some("sub"), Some(true), None));
        assert_eq!(ok("router+connect:ipc:///tmp/x"), ("ipc:///tmp/x".into(), Some("router"), Some(false), None));
        assert_eq!(
            ok("pub+bind:tcp://1.1.1.1:1234:source"),
            ("tcp://1.1.1.1:1234".into(), Some("pub"), Some(true), Some("source".into()))
        );
        assert_eq!(
            ok("dealer+connect:ipc:///a/b/c:cam-1"),
            ("ipc:///a/b/c".into(), Some("dealer"), Some(false), Some("cam-1".into()))
        );
        assert_eq!(ok("pub+bind:tcp://h:1:a:b").3, Some("a:b".into()));
        assert_eq!(ok("tcp://*:5555").0, "tcp://*:5555");
        assert_eq!(ok("ipc://relative/sock").0, "ipc://relative/sock");
        assert_eq!(ok("sub+bind:tcp://h:1:"), ("tcp://h:1".into(), Some("sub"), Some(true), None));
        for bad in [
            "tcp://127.0.0.1:5555:src",
            "sub+bind:tcp://1.1.1.1:1234:source",
            "sub+bind:udp://address",
            "sub+bind:tcp://1.2.3.4",
            "push+bind:tcp://1.2.3.4:5",
            "tcp://[::1]:5555",
            "garbage ipc:///tmp/a",
            "Router+Bind:tcp://1.2.3.4:5",
            "xsub+bind:tcp://1.2.3.4:5",
            "tcp://localhost:5555/",
            "tcp://host:12ab",
            "ipc://",
            "ipc:/tmp/x",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn roles_and_defaults() {
        let (_, st, bind) = for_role("tcp://127.0.0.1:1", true).unwrap();
        assert_eq!((st, bind), (SockType::Dealer, true));
        let (_, st, bind) = for_role("tcp://127.0.0.1:1", false).unwrap();
        assert_eq!((st, bind), (SockType::Router, true));
        assert!(for_role("sub+bind:tcp://h:1", true).is_err());
        assert!(for_role("pub+bind:tcp://h:1", false).is_err());
    }
}
