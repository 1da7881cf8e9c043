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

/// The longest an admission warning may be (`<field>: <message>`): the apiserver truncates
/// longer ones.
pub const MAX_WARNING_LEN: usize = 256;

/// Shortens `field: message` to [`MAX_WARNING_LEN`] bytes: the longest quoted values lose
/// their middle (`abc...xyz`) first, so every value stays recognisable; only if that is not
/// enough is the message cut.
pub(crate) fn fit(field: String, mut message: String) -> (String, String) {
    let over = |m: &str| (field.len() + 2 + m.len()).saturating_sub(MAX_WARNING_LEN);
    while over(&message) > 0 {
        let Some((start, end)) = longest_quoted(&message) else {
            break;
        };
        let inner = &message[start..end];
        let keep = inner.len().saturating_sub(over(&message) + 3).max(12);
        if keep + 3 >= inner.len() {
            break;
        }
        let head = floor_char(inner, keep / 2);
        let tail = ceil_char(inner, inner.len() - (keep - keep / 2));
        let short = format!("{}...{}", &inner[..head], &inner[tail..]);
        message.replace_range(start..end, &short);
    }
    let excess = over(&message);
    if excess > 0 {
        let cut = floor_char(&message, message.len().saturating_sub(excess + 3));
        message.truncate(cut);
        message.push_str("...");
    }
    (field, message)
}

/// The byte range inside the longest `"..."` of `s` (escaped quotes respected).
fn longest_quoted(s: &str) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let end = j.min(b.len());
            if best.is_none_or(|(s0, e0)| end - start > e0 - s0) {
                best = Some((start, end));
            }
            i = end + 1;
        } else {
            i += 1;
        }
    }
    best
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
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
    fn warnings_fit_256_bytes_and_keep_their_values_recognisable() {
        let host = format!("{}.example.com", "h".repeat(240));
        let (f, m) = fit(
            "spec.rules[0].http.paths[1]".into(),
            format!(
                "host {host:?} path \"/x\" is already served by the older Ingress a/b: this entry is not served"
            ),
        );
        assert!(
            f.len() + 2 + m.len() <= MAX_WARNING_LEN,
            "{}",
            f.len() + 2 + m.len()
        );
        assert!(
            m.contains("...") && m.contains("example.com\"") && m.contains("\"hhhh"),
            "{m}"
        );
        assert!(m.ends_with("this entry is not served"));
        // Short warnings are left as they are.
        let (f2, m2) = fit("spec.defaultBackend".into(), "not used".into());
        assert_eq!((f2.as_str(), m2.as_str()), ("spec.defaultBackend", "not used"));
        // Without quoted values the message is cut.
        let (f3, m3) = fit("spec".into(), "x".repeat(400));
        assert_eq!(f3.len() + 2 + m3.len(), MAX_WARNING_LEN);
        assert!(m3.ends_with("..."));
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
