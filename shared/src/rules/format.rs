//! Kubernetes name and label syntax checks, written out so they cost no regex compile per call.

/// RFC 1123 subdomain: lowercase alphanumerics, `-` and `.`, starting and ending alphanumeric,
/// at most 253 characters, each label at most 63.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

/// RFC 1123 label: at most 63 lowercase alphanumerics or `-`, starting and ending alphanumeric.
pub fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// A label key: optional DNS-subdomain prefix and `/`, then a name of at most 63 characters.
pub fn is_label_key(s: &str) -> bool {
    let (prefix, name) = match s.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    prefix.is_none_or(is_dns1123_subdomain) && !name.is_empty() && is_label_value(name)
}

/// A label value: empty, or at most 63 alphanumerics, `-`, `_`, `.`, starting and ending
/// alphanumeric.
pub fn is_label_value(s: &str) -> bool {
    let b = s.as_bytes();
    b.is_empty()
        || (b.len() <= 63
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric())
}

/// Quotes a value the way Kubernetes field errors do.
pub(crate) fn q(s: &str) -> String {
    format!("{s:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains() {
        for ok in ["a", "example.com", "svc-1.blue.example.com", &"a".repeat(63)] {
            assert!(is_dns1123_subdomain(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "A.com",
            "a..b",
            "a_b",
            "*.example.com",
            &"a".repeat(64),
            &format!("{}.b", "a".repeat(252)),
        ] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
    }

    #[test]
    fn labels() {
        assert!(is_label_key("ako.vmware.com/gateway-name"));
        assert!(is_label_key("app"));
        assert!(!is_label_key("/app"));
        assert!(!is_label_key("Bad_Prefix/app"));
        assert!(is_label_value(""));
        assert!(is_label_value("My_value.1"));
        assert!(!is_label_value("-x"));
        assert!(!is_label_value(&"x".repeat(64)));
    }
}
