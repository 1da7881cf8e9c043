//! The findings an Ingress gets from translation (SPEC-ingress §2, §4): each becomes a Warning
//! event with its reason, once per generation. Rule violations keep their SPEC §2 message;
//! the others follow the same `<field>: <what is wrong>: <what to do>` shape.

use crate::api::AviInfraSetting;
use crate::naming::MAX_AVI_NAME_LEN;
use crate::rules::{ParsedIngress, RuleCode, SecretProblem, Violation};
use crate::translate::plan::Problem;
use crate::translate::status::REASON_NAME_TOO_LONG;

pub const REASON_SECRET_NOT_FOUND: &str = "SecretNotFound";
pub const REASON_SECRET_INVALID: &str = "SecretInvalid";
pub const REASON_BACKEND_NOT_FOUND: &str = "BackendNotFound";
pub const REASON_INFRA_SETTING_NOT_READY: &str = "InfraSettingNotReady";
pub const REASON_INVALID_INGRESS_CLASS: &str = "InvalidIngressClass";
pub const REASON_MULTIPLE_DEFAULT_CLASSES: &str = "MultipleDefaultClasses";
/// Two entries of one host whose pools would have the same Avi name (AKO's formulas turn `/`
/// into `_`, so `/a/b` and `/a_b` collide).
pub const REASON_NAME_CONFLICT: &str = "NameConflict";

/// A finding on one Ingress.
pub(crate) type Finding<'a> = (&'a ParsedIngress, Problem);

/// A rule violation as the Ingress's finding.
pub(crate) fn rule(v: &Violation) -> Problem {
    Problem {
        code: Some(v.code.as_str().to_owned()),
        reason: v.code.ingress_event_reason().unwrap_or("Invalid").to_owned(),
        message: v.to_string(),
    }
}

pub(crate) fn secret(v: &Violation, p: SecretProblem<'_>) -> Problem {
    let reason = match p {
        SecretProblem::Invalid(_) => REASON_SECRET_INVALID,
        SecretProblem::Unnamed | SecretProblem::NotFound => REASON_SECRET_NOT_FOUND,
    };
    Problem {
        reason: reason.to_owned(),
        ..rule(v)
    }
}

fn problem(code: Option<RuleCode>, reason: &str, message: String) -> Problem {
    Problem {
        code: code.map(|c| c.as_str().to_owned()),
        reason: reason.to_owned(),
        message,
    }
}

/// A long value shown by its ends, so that a message stays readable.
fn shorten(s: &str) -> String {
    const KEEP: usize = 40;
    if s.len() <= 2 * KEEP + 3 {
        return format!("{s:?}");
    }
    let mut head = KEEP;
    while !s.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = s.len() - KEEP;
    while !s.is_char_boundary(tail) {
        tail += 1;
    }
    format!("\"{}...{}\"", &s[..head], &s[tail..])
}

pub(crate) fn name_too_long(field: &str, object: &str, name: &str, what: &str) -> Problem {
    problem(
        None,
        REASON_NAME_TOO_LONG,
        format!(
            "{field}: the Avi {object} name {} is {} characters long, over Avi's limit of {MAX_AVI_NAME_LEN}: {what} is not served: shorten the host, path, namespace or Ingress name",
            shorten(name),
            name.len()
        ),
    )
}

pub(crate) fn name_conflict(field: &str, pool: &str, host: &str) -> Problem {
    problem(
        None,
        REASON_NAME_CONFLICT,
        format!(
            "{field}: its Avi pool name {} is already taken by another entry of host {host:?} (paths differing only in '/' and '_', or in '-' between path and Ingress name): this entry is not served: change the path",
            shorten(pool)
        ),
    )
}

pub(crate) fn backend_not_found(field: &str, why: &str) -> Problem {
    problem(
        None,
        REASON_BACKEND_NOT_FOUND,
        format!("{field}: {why}: the pool has no servers until the backend exists"),
    )
}

pub(crate) fn invalid_class(class: &str, why: &str) -> Problem {
    problem(
        Some(RuleCode::IclParams),
        REASON_INVALID_INGRESS_CLASS,
        format!(
            "spec.ingressClassName: IngressClass {class:?} is invalid ({why}): the Ingress is not served until the class is fixed"
        ),
    )
}

pub(crate) fn infra_not_ready(class: &str, setting: &str, found: Option<&AviInfraSetting>) -> Problem {
    let state = match found {
        None => "which does not exist".to_owned(),
        Some(s) => {
            let st = s.status.as_ref();
            let status = st.and_then(|s| s.status.as_deref()).unwrap_or("no status yet");
            let err = st
                .and_then(|s| s.error.as_deref())
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            format!("which is not Accepted ({status}{err})")
        }
    };
    problem(
        None,
        REASON_INFRA_SETTING_NOT_READY,
        format!(
            "spec.ingressClassName: IngressClass {class:?} names AviInfraSetting {setting:?}, {state}: the Ingress is not served until it is Accepted"
        ),
    )
}

pub(crate) fn multiple_defaults(classes: &[String]) -> Problem {
    problem(
        None,
        REASON_MULTIPLE_DEFAULT_CLASSES,
        crate::rules::multiple_defaults_message(classes),
    )
}

/// The Ingress-wide findings: the rules that need only the Ingress (SPEC-ingress §2).
pub(crate) fn ingress_wide(ing: &ParsedIngress) -> Vec<Problem> {
    let v = crate::rules::ingress_local_rules(ing);
    v.violations.iter().chain(&v.warnings).map(rule).collect()
}
