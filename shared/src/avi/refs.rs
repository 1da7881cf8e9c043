//! Avi object references. avigw sends refs by name (`/api/<kind>?name=<name>`, SPEC §6); the
//! controller answers with absolute URLs (`https://host/api/<kind>/<uuid>#<name>`). [`parse_ref`]
//! reads both so desired and actual objects compare by name.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

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

/// Everything but RFC 3986's unreserved characters is escaped.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn encode_into(s: &str, out: &mut String) {
    out.extend(utf8_percent_encode(s, ESCAPED));
}

/// Percent-decodes, with `+` as a space as in a query string (`%2B` stays a plus); a `%`
/// without two hex digits is kept as it is, and bytes that are not UTF-8 become U+FFFD.
fn decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
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

    #[test]
    fn reserved_characters_are_escaped() {
        // RFC 3986 gen-delims and sub-delims, space, percent and non-ASCII: all escaped,
        // upper-case hex; the unreserved `-._~` and alphanumerics stay.
        assert_eq!(
            name_ref("pool", ":/?#[]@!$&'()*+,;= %"),
            "/api/pool?name=%3A%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%20%25"
        );
        assert_eq!(name_ref("pool", "a-b.c_d~e9"), "/api/pool?name=a-b.c_d~e9");
        assert_eq!(name_ref("pool", "é"), "/api/pool?name=%C3%A9");
        assert_eq!(uuid_ref("network", "a/b c"), "/api/network/a%2Fb%20c");
    }

    #[test]
    fn decoding_reads_queries_as_avi_writes_them() {
        let name = |r: &str| parse_ref(r).and_then(|t| t.name);
        // `+` is a space in a query; an escaped plus is a plus.
        assert_eq!(name("/api/pool?name=a+b").as_deref(), Some("a b"));
        assert_eq!(name("/api/pool?name=a%2Bb").as_deref(), Some("a+b"));
        // Lower-case hex decodes too; a stray `%` is kept.
        assert_eq!(name("/api/pool?name=a%2fb").as_deref(), Some("a/b"));
        assert_eq!(name("/api/pool?name=100%").as_deref(), Some("100%"));
        assert_eq!(name("/api/pool?name=%zz%4").as_deref(), Some("%zz%4"));
        // Escaped bytes that are not UTF-8 become U+FFFD.
        assert_eq!(name("/api/pool?name=%FF").as_deref(), Some("\u{FFFD}"));
        // The fragment of an absolute ref is decoded the same way.
        assert_eq!(
            name("https://ctl/api/pool/pool-1#a%20b%23c").as_deref(),
            Some("a b#c")
        );
    }

    proptest::proptest! {
        #[test]
        fn any_name_survives_a_round_trip(kind in "[a-z]{1,20}", n in ".{1,40}") {
            let t = parse_ref(&name_ref(&kind, &n)).unwrap();
            proptest::prop_assert_eq!(t.kind, kind);
            proptest::prop_assert_eq!(t.name, Some(n));
            proptest::prop_assert_eq!(t.uuid, None);
        }

        #[test]
        fn any_uuid_survives_a_round_trip(u in ".{1,40}") {
            let t = parse_ref(&uuid_ref("pool", &u)).unwrap();
            proptest::prop_assert_eq!(t.uuid, Some(u));
        }
    }
}
