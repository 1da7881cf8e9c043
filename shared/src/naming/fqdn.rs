//! DNS names: the automatic FQDN of a Service and RFC 1035-safe labels.

use super::MAX_DNS_LABEL_LEN;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoFqdn {
    /// `<svc>.<ns>.<domain>`
    #[default]
    Default,
    /// `<svc>-<ns>.<domain>`, the first label cut to 63 characters.
    Flat,
    /// No FQDN.
    Disabled,
}

impl AutoFqdn {
    pub const VALUES: [&'static str; 3] = ["default", "flat", "disabled"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "default" => Some(AutoFqdn::Default),
            "flat" => Some(AutoFqdn::Flat),
            "disabled" => Some(AutoFqdn::Disabled),
            _ => None,
        }
    }
}

/// The automatic FQDN of a Service (`<ns>` is the Service's own namespace), or `None` when
/// disabled or no domain is known. Labels are made RFC 1035-safe: lowercase, `.` and `_` become
/// `-`, and each label is at most 63 characters without a trailing `-`.
pub fn auto_fqdn(mode: AutoFqdn, svc_name: &str, namespace: &str, domain: Option<&str>) -> Option<String> {
    let domain = domain.map(|d| d.trim_matches('.')).filter(|d| !d.is_empty())?;
    match mode {
        AutoFqdn::Disabled => None,
        AutoFqdn::Default => Some(format!(
            "{}.{}.{domain}",
            dns_label(svc_name, MAX_DNS_LABEL_LEN),
            dns_label(namespace, MAX_DNS_LABEL_LEN)
        )),
        AutoFqdn::Flat => Some(format!("{}.{domain}", flat_label(svc_name, namespace))),
    }
}

/// `<svc>-<ns>` within 63 characters: the Service name is cut first so the namespace survives,
/// then the namespace if it alone is too long; trailing `-` removed.
pub fn flat_label(svc_name: &str, namespace: &str) -> String {
    let svc = dns_label(svc_name, MAX_DNS_LABEL_LEN);
    let ns = dns_label(namespace, MAX_DNS_LABEL_LEN);
    if svc.len() + 1 + ns.len() <= MAX_DNS_LABEL_LEN {
        return format!("{svc}-{ns}");
    }
    // Keep at least one character of the Service name and the joining '-'.
    let ns_budget = MAX_DNS_LABEL_LEN - 2;
    let ns_cut = trim_label(&ns[..ns.len().min(ns_budget)]);
    let svc_budget = MAX_DNS_LABEL_LEN - 1 - ns_cut.len();
    let svc_cut = trim_label(&svc[..svc.len().min(svc_budget)]);
    if svc_cut.is_empty() {
        ns_cut.to_owned()
    } else {
        format!("{svc_cut}-{ns_cut}")
    }
}

/// One RFC 1035-safe DNS label from a Kubernetes name: lowercase, characters outside
/// `[a-z0-9-]` become `-`, cut to `max` characters, no leading or trailing `-`.
pub fn dns_label(name: &str, max: usize) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let start = mapped.trim_start_matches('-');
    trim_label(&start[..start.len().min(max)]).to_owned()
}

fn trim_label(label: &str) -> &str {
    label.trim_end_matches('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_modes() {
        let d = Some("avi.example.com");
        assert_eq!(
            auto_fqdn(AutoFqdn::Default, "web", "blue", d).as_deref(),
            Some("web.blue.avi.example.com")
        );
        assert_eq!(
            auto_fqdn(AutoFqdn::Flat, "web", "blue", d).as_deref(),
            Some("web-blue.avi.example.com")
        );
        assert_eq!(auto_fqdn(AutoFqdn::Disabled, "web", "blue", d), None);
        assert_eq!(auto_fqdn(AutoFqdn::Default, "web", "blue", None), None);
        assert_eq!(auto_fqdn(AutoFqdn::Default, "web", "blue", Some(".")), None);
        assert_eq!(
            auto_fqdn(AutoFqdn::Default, "web", "blue", Some("x.io.")).as_deref(),
            Some("web.blue.x.io")
        );
    }

    #[test]
    fn flat_cuts_service_name_first() {
        let svc = "s".repeat(50);
        let ns = "n".repeat(20);
        let label = flat_label(&svc, &ns);
        assert_eq!(label.len(), 63);
        assert!(label.ends_with(&format!("-{ns}")));
        assert_eq!(label, format!("{}-{ns}", "s".repeat(42)));
    }

    #[test]
    fn flat_cuts_namespace_when_needed_and_trims_dashes() {
        let label = flat_label("svc", &"n".repeat(63));
        assert_eq!(label.len(), 63);
        assert_eq!(label, format!("s-{}", "n".repeat(61)));
        // A cut that lands on '-' leaves no trailing dash.
        let svc = format!("{}-{}", "a".repeat(40), "b".repeat(20));
        let label = flat_label(&svc, &"n".repeat(22));
        assert!(label.len() <= 63);
        assert!(!label.contains("--"), "{label}");
        assert!(label.ends_with(&"n".repeat(22)));
    }

    #[test]
    fn dns_label_fixes() {
        assert_eq!(dns_label("My_Svc.v1", 63), "my-svc-v1");
        assert_eq!(dns_label("-lead", 63), "lead");
        assert_eq!(dns_label("abc-", 3), "abc");
        assert_eq!(dns_label("ab-c", 3), "ab");
    }
}
