//! The admission rules of SPEC §2: one pure function per object kind that returns *every*
//! violation and warning, reached through one entry point, [`judge`]. The webhook denies on
//! its verdict; `plan` refuses on it; the translation turns it into status conditions for
//! objects that got in while the webhook was down.

mod defaults;
mod format;
mod gateway;
mod gateway_class;
mod infra;
mod ingress;
mod ingress_class;
mod ingress_host;
mod ingress_parse;
mod judge;
mod kind;
mod ownership;
mod service;

pub use defaults::default_gateway;
pub use format::{MAX_WARNING_LEN, is_dns1123_label, is_dns1123_subdomain, is_label_key, is_label_value};
pub use gateway::{ClassState, GatewayContext, validate_gateway};
pub use gateway_class::{is_our_class, validate_gateway_class};
pub use infra::validate_infra_setting;
pub use ingress::{SecretProblem, host_taken, ingress_local_rules, secret_problem};
pub use ingress_class::{ClassChoice, ClassInfra, multiple_defaults_message, resolve_class};
pub use ingress_host::{HostAnalysis, HostEntry, TlsChoice, analyze_host};
pub use ingress_parse::{
    ANNOTATION_DEFAULT_INGRESS_CLASS, Backend, ClassParameters, IngressAge, ParsedIngress,
    ParsedIngressClass, ParsedPath, ParsedRule, ParsedTls, PathType, PortRef, RuleHost, is_wildcard,
};
pub use judge::{Change, ClusterView, Review, judge};
pub use kind::{INGRESS_GROUP, RuleKind};
pub use ownership::{ServiceOwnership, gateway_ref_of, service_ownership};
pub use service::{ServiceContext, preferred_ip, validate_service};

use std::fmt;

/// Stable rule codes (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleCode {
    GwLabelsMissing,
    GwLabelsMismatch,
    GwAddrCount,
    GwAddrType,
    GwAddrIpv4,
    GwVipImmutable,
    GwListenerProtocol,
    GwListenerDup,
    GwHostname,
    GwClassUnknown,
    GwcParams,
    GwcControllerImmutable,
    SvcLabelsPair,
    SvcLbLabels,
    SvcPortNoListener,
    SvcIpInvalid,
    SvcVipImmutable,
    AisRhi,
    AisCidr,
    AisNetworkRef,
    IngHostTaken,
    IngHostWildcard,
    IngBackendResource,
    IclParams,
    IclControllerImmutable,
    IngRuleNoHttp,
    IngDefaultBackend,
    IngHostEmpty,
    IngTlsUnusedHost,
    IngSecretMissing,
    IngPathDuplicate,
    IngTlsConflict,
    IngPathExactHttp,
}

impl RuleCode {
    pub fn as_str(self) -> &'static str {
        use RuleCode::*;
        match self {
            GwLabelsMissing => "GW-LABELS-MISSING",
            GwLabelsMismatch => "GW-LABELS-MISMATCH",
            GwAddrCount => "GW-ADDR-COUNT",
            GwAddrType => "GW-ADDR-TYPE",
            GwAddrIpv4 => "GW-ADDR-IPV4",
            GwVipImmutable => "GW-VIP-IMMUTABLE",
            GwListenerProtocol => "GW-LISTENER-PROTOCOL",
            GwListenerDup => "GW-LISTENER-DUP",
            GwHostname => "GW-HOSTNAME",
            GwClassUnknown => "GW-CLASS-UNKNOWN",
            GwcParams => "GWC-PARAMS",
            GwcControllerImmutable => "GWC-CONTROLLER-IMMUTABLE",
            SvcLabelsPair => "SVC-LABELS-PAIR",
            SvcLbLabels => "SVC-LB-LABELS",
            SvcPortNoListener => "SVC-PORT-NO-LISTENER",
            SvcIpInvalid => "SVC-IP-INVALID",
            SvcVipImmutable => "SVC-VIP-IMMUTABLE",
            AisRhi => "AIS-RHI",
            AisCidr => "AIS-CIDR",
            AisNetworkRef => "AIS-NETWORK-REF",
            IngHostTaken => "ING-HOST-TAKEN",
            IngHostWildcard => "ING-HOST-WILDCARD",
            IngBackendResource => "ING-BACKEND-RESOURCE",
            IclParams => "ICL-PARAMS",
            IclControllerImmutable => "ICL-CONTROLLER-IMMUTABLE",
            IngRuleNoHttp => "ING-RULE-NO-HTTP",
            IngDefaultBackend => "ING-DEFAULT-BACKEND",
            IngHostEmpty => "ING-HOST-EMPTY",
            IngTlsUnusedHost => "ING-TLS-UNUSED-HOST",
            IngSecretMissing => "ING-SECRET-MISSING",
            IngPathDuplicate => "ING-PATH-DUPLICATE",
            IngTlsConflict => "ING-TLS-CONFLICT",
            IngPathExactHttp => "ING-PATH-EXACT-HTTP",
        }
    }

    /// The reason of the Warning event an Ingress gets for this rule (SPEC-ingress §2); `None`
    /// for rules without one. ING-SECRET-MISSING says `SecretNotFound` here; an invalid Secret
    /// is `SecretInvalid` (the translation picks).
    pub fn ingress_event_reason(self) -> Option<&'static str> {
        use RuleCode::*;
        Some(match self {
            IngHostTaken => "HostTaken",
            IngHostWildcard => "WildcardHost",
            IngBackendResource => "InvalidBackend",
            IclParams => "InvalidIngressClass",
            IngRuleNoHttp => "RuleWithoutHTTP",
            IngDefaultBackend => "DefaultBackendIgnored",
            IngHostEmpty => "HostEmpty",
            IngTlsUnusedHost => "TLSHostUnused",
            IngSecretMissing => "SecretNotFound",
            IngPathDuplicate => "PathDuplicate",
            IngTlsConflict => "TLSConflict",
            IngPathExactHttp => "ExactPathAsPrefix",
            _ => return None,
        })
    }

    /// The Gateway `Scheduled=False` reason (SPEC §4) for a Gateway that breaks this rule.
    pub fn gateway_reason(self) -> &'static str {
        use RuleCode::*;
        match self {
            GwLabelsMissing | GwLabelsMismatch => "InvalidMatchLabels",
            GwAddrCount | GwAddrType | GwAddrIpv4 | GwVipImmutable => "InvalidAddress",
            GwListenerProtocol | GwListenerDup | GwHostname => "InvalidListener",
            GwClassUnknown => "InvalidGatewayClass",
            _ => "Invalid",
        }
    }

    /// Whether a Gateway that breaks this rule gets no Avi objects at all. A listener with a
    /// non-L4 protocol only loses that listener (SPEC §3: the other listeners still work).
    pub fn blocks_whole_gateway(self) -> bool {
        !matches!(self, RuleCode::GwListenerProtocol)
    }
}

impl fmt::Display for RuleCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken rule: Kubernetes field-error style `<field>: <what is wrong>: <what to do>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub code: RuleCode,
    pub field: String,
    pub message: String,
    /// The listener it concerns, for per-listener status.
    pub listener: Option<usize>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The outcome of the rules for one object: all violations (deny) and warnings (allow).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    pub violations: Vec<Violation>,
    pub warnings: Vec<Violation>,
}

impl Verdict {
    pub fn allowed(&self) -> bool {
        self.violations.is_empty()
    }

    pub(crate) fn deny(&mut self, code: RuleCode, field: impl Into<String>, message: impl Into<String>) {
        self.violations.push(Violation {
            code,
            field: field.into(),
            message: message.into(),
            listener: None,
        });
    }

    pub(crate) fn deny_listener(
        &mut self,
        code: RuleCode,
        listener: usize,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.violations.push(Violation {
            code,
            field: field.into(),
            message: message.into(),
            listener: Some(listener),
        });
    }

    pub(crate) fn warn(&mut self, code: RuleCode, field: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Violation {
            code,
            field: field.into(),
            message: message.into(),
            listener: None,
        });
    }

    /// The text a denial carries: every violation, one per line after a heading naming the
    /// object, so `kubectl apply` shows what to fix in one go.
    pub fn denial_message(&self, kind: &str, object: &str) -> String {
        match self.violations.as_slice() {
            [] => String::new(),
            [one] => format!("{kind} {object} is invalid: {one}"),
            many => {
                let mut s = format!("{kind} {object} is invalid ({} problems):", many.len());
                for v in many {
                    s.push_str("\n- ");
                    s.push_str(&v.to_string());
                }
                s
            }
        }
    }

    /// Warnings as the strings an AdmissionReview carries.
    pub fn warning_messages(&self) -> Vec<String> {
        self.warnings.iter().map(|w| w.to_string()).collect()
    }
}
