//! Avi object references. avigw sends refs by name (`/api/<kind>?name=<name>`, SPEC §6); the
//! controller answers with absolute URLs (`https://host/api/<kind>/<uuid>#<name>`). [`parse_ref`]
//! reads both so desired and actual objects compare by name.

/// Avi object kinds (URL path segments).
pub mod kind {
    pub const VIRTUALSERVICE: &str = "virtualservice";
    pub const VSVIP: &str = "vsvip";
    pub const POOL: &str = "pool";
    pub const L4POLICYSET: &str = "l4policyset";
    pub const POOLGROUP: &str = "poolgroup";
    pub const VSDATASCRIPTSET: &str = "vsdatascriptset";
    pub const HTTPPOLICYSET: &str = "httppolicyset";
    pub const SSLKEYANDCERTIFICATE: &str = "sslkeyandcertificate";
    pub const SSL_PROFILE: &str = "sslprofile";
    pub const TENANT: &str = "tenant";
    pub const CLOUD: &str = "cloud";
    pub const VRFCONTEXT: &str = "vrfcontext";
    pub const SE_GROUP: &str = "serviceenginegroup";
    pub const APPLICATION_PROFILE: &str = "applicationprofile";
    pub const NETWORK_PROFILE: &str = "networkprofile";
    pub const HEALTH_MONITOR: &str = "healthmonitor";
    pub const NETWORK: &str = "network";
}

/// `/api/<kind>?name=<name>`, the name percent-encoded where a query needs it.
pub fn name_ref(kind: &str, name: &str) -> String {
    let mut s = String::with_capacity(kind.len() + name.len() + 11);
    s.push_str("/api/");
    s.push_str(kind);
    s.push_str("?name=");
    encode_into(name, &mut s);
    s
}

/// `/api/<kind>/<uuid>`, for settings that name an object by UUID (e.g. `networkUUID`).
pub fn uuid_ref(kind: &str, uuid: &str) -> String {
    let mut s = format!("/api/{kind}/");
    encode_into(uuid, &mut s);
    s
}

/// What a ref points at: its kind and its name and/or UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTarget {
    pub kind: String,
    pub name: Option<String>,
    pub uuid: Option<String>,
}

/// Reads `/api/<kind>?name=<n>`, `/api/<kind>/<uuid>`, `https://host/api/<kind>/<uuid>#<n>`.
pub fn parse_ref(r: &str) -> Option<RefTarget> {
    let (_, rest) = r.split_once("/api/")?;
    let (rest, fragment) = match rest.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (rest, None),
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let mut parts = path.trim_end_matches('/').splitn(2, '/');
    let kind = parts.next().filter(|k| !k.is_empty())?.to_owned();
    let uuid = parts.next().filter(|u| !u.is_empty()).map(decode);
    let query_name = query.and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("name=")).map(decode));
    let name = query_name.or_else(|| fragment.filter(|f| !f.is_empty()).map(decode));
    if name.is_none() && uuid.is_none() {
        return None;
    }
    Some(RefTarget { kind, name, uuid })
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn encode_into(s: &str, out: &mut String) {
    for b in s.bytes() {
        if is_unreserved(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                // Two hex digits always fit a byte.
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_round_trip() {
        assert_eq!(
            name_ref("pool", "c--blue-svc-gw-TCP-80"),
            "/api/pool?name=c--blue-svc-gw-TCP-80"
        );
        assert_eq!(
            name_ref("network", "vip net/1"),
            "/api/network?name=vip%20net%2F1"
        );
        let t = parse_ref(&name_ref("network", "vip net/1")).unwrap();
        assert_eq!(
            (t.kind.as_str(), t.name.as_deref(), t.uuid),
            ("network", Some("vip net/1"), None)
        );
        let t = parse_ref("https://avi-controller/api/pool/pool-6426d0be#basic_vs-pool").unwrap();
        assert_eq!(t.kind, "pool");
        assert_eq!(t.name.as_deref(), Some("basic_vs-pool"));
        assert_eq!(t.uuid.as_deref(), Some("pool-6426d0be"));
        let t = parse_ref(&uuid_ref("network", "dvportgroup-1-cloud-x")).unwrap();
        assert_eq!(t.uuid.as_deref(), Some("dvportgroup-1-cloud-x"));
        assert!(parse_ref("/api/pool").is_none());
        assert!(parse_ref("nonsense").is_none());
    }
}
