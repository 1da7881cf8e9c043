//! The object types avisim serves and how each behaves.

#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    /// URL name: `/api/<name>`.
    pub name: &'static str,
    /// Model name used in "referred by" messages (`VirtualService vs1`).
    pub model: &'static str,
    /// Django verbose name used in duplicate messages (`Virtual service with this Name, ...`):
    /// Django's default for the model's class name (`HTTPPolicySet` -> `Http policy set`).
    pub verbose: &'static str,
    /// Clients may create/update/delete objects of this type.
    pub writable: bool,
    /// Unique per (name, tenant, cloud) rather than (name, tenant).
    pub cloud_scoped: bool,
    /// Objects in the admin tenant are visible from every tenant (profiles, clouds, ...).
    pub shared: bool,
}

const fn k(
    name: &'static str,
    model: &'static str,
    verbose: &'static str,
    writable: bool,
    cloud_scoped: bool,
    shared: bool,
) -> Kind {
    Kind {
        name,
        model,
        verbose,
        writable,
        cloud_scoped,
        shared,
    }
}

pub const KINDS: &[Kind] = &[
    k(
        "virtualservice",
        "VirtualService",
        "Virtual service",
        true,
        true,
        false,
    ),
    k("vsvip", "VsVip", "Vs vip", true, true, false),
    k("pool", "Pool", "Pool", true, true, false),
    k("poolgroup", "PoolGroup", "Pool group", true, true, false),
    k("l4policyset", "L4PolicySet", "L4 policy set", true, false, false),
    k(
        "vsdatascriptset",
        "VSDataScriptSet",
        "Vs data script set",
        true,
        false,
        false,
    ),
    k(
        "httppolicyset",
        "HTTPPolicySet",
        "Http policy set",
        true,
        false,
        false,
    ),
    k(
        "sslkeyandcertificate",
        "SSLKeyAndCertificate",
        "Ssl key and certificate",
        true,
        false,
        true,
    ),
    k("tenant", "Tenant", "Tenant", true, false, true),
    k(
        "healthmonitor",
        "HealthMonitor",
        "Health monitor",
        true,
        false,
        true,
    ),
    k(
        "applicationprofile",
        "ApplicationProfile",
        "Application profile",
        true,
        false,
        true,
    ),
    k(
        "networkprofile",
        "NetworkProfile",
        "Network profile",
        true,
        false,
        true,
    ),
    k(
        "analyticsprofile",
        "AnalyticsProfile",
        "Analytics profile",
        false,
        false,
        true,
    ),
    k("sslprofile", "SSLProfile", "Ssl profile", false, false, true),
    k("cloud", "Cloud", "Cloud", false, false, true),
    k("vrfcontext", "VrfContext", "Vrf context", false, true, true),
    k(
        "serviceenginegroup",
        "ServiceEngineGroup",
        "Service engine group",
        true,
        true,
        true,
    ),
    k("network", "Network", "Network", false, true, true),
];

pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

/// Fields the controller computes and ignores on input (clients echo them back after a GET).
pub fn server_managed_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "virtualservice" => &[
            "marked_for_delete",
            "redis_db",
            "redis_port",
            "self_se_election",
            "tls_ticket_key",
            "version",
            "vip_runtime",
        ],
        "vsvip" => &["vs_refs"],
        _ => &[],
    }
}

/// `<x>_name` convenience fields some clients send instead of `<x>_ref` (the recorded SDK
/// sends `application_profile_name`): field, ref field, target type.
pub fn name_fields(kind: &str) -> &'static [(&'static str, &'static str, &'static str)] {
    match kind {
        "virtualservice" => &[
            (
                "application_profile_name",
                "application_profile_ref",
                "applicationprofile",
            ),
            ("network_profile_name", "network_profile_ref", "networkprofile"),
        ],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_unique() {
        let mut names: Vec<_> = super::KINDS.iter().map(|k| k.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), super::KINDS.len());
    }
}
