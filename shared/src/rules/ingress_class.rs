//! IngressClass rules (ICL-*, SPEC-ingress §2) and how an Ingress's class resolves (§1): which
//! Ingresses are ours, and the AviInfraSetting their class gives them.

use std::sync::Arc;

use super::format::q;
use super::ingress_parse::{ParsedIngress, ParsedIngressClass};
use super::judge::ClusterView;
use super::{RuleCode, Verdict};
use crate::api::{AKO_GROUP, AVI_INFRA_SETTING_KIND};

/// The AviInfraSetting an IngressClass of ours gives its Ingresses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClassInfra {
    /// No `parameters`: global settings, and no `I` in names.
    None,
    /// `parameters` name this AviInfraSetting.
    Setting(String),
    /// `parameters` break ICL-PARAMS: the class builds none of its Ingresses. The name is kept
    /// as the class's identity for host ownership.
    Invalid(String),
}

impl ClassInfra {
    /// The name that decides host ownership ("one AviInfraSetting per host") and `I` in names.
    pub fn name(&self) -> Option<&str> {
        match self {
            ClassInfra::None => None,
            ClassInfra::Setting(n) | ClassInfra::Invalid(n) => Some(n),
        }
    }
}

/// ICL-PARAMS: the message when `parameters` do not name an AviInfraSetting, `None` when fine.
fn params_problem(class: &ParsedIngressClass) -> Option<String> {
    let p = class.parameters.as_ref()?;
    let group = p.api_group.as_deref().unwrap_or("");
    let scope_ok = p.scope.as_deref().is_none_or(|s| s == "Cluster");
    if group == AKO_GROUP && p.kind == AVI_INFRA_SETTING_KIND && scope_ok {
        return None;
    }
    Some(format!(
        "Unsupported value: apiGroup {} kind {} scope {}: supported: apiGroup \"{AKO_GROUP}\" kind \"{AVI_INFRA_SETTING_KIND}\" scope \"Cluster\" or unset",
        q(group),
        q(&p.kind),
        q(p.scope.as_deref().unwrap_or(""))
    ))
}

impl ParsedIngressClass {
    /// The AviInfraSetting this class gives its Ingresses.
    pub fn infra(&self) -> ClassInfra {
        match &self.parameters {
            None => ClassInfra::None,
            Some(p) if params_problem(self).is_some() => ClassInfra::Invalid(p.name.clone()),
            Some(p) => ClassInfra::Setting(p.name.clone()),
        }
    }

    /// The ICL-PARAMS violation as `spec.parameters: <message>`, when the class breaks it.
    pub fn params_violation(&self) -> Option<String> {
        params_problem(self).map(|m| format!("spec.parameters: {m}"))
    }
}

/// ICL-CONTROLLER-IMMUTABLE (when the old or the new class is ours) and ICL-PARAMS (on ours).
pub(crate) fn validate_ingress_class(old: Option<&ParsedIngressClass>, new: &ParsedIngressClass) -> Verdict {
    let mut v = Verdict::default();
    if let Some(old) = old
        && old.controller != new.controller
        && (old.is_ours() || new.is_ours())
    {
        v.deny(
            RuleCode::IclControllerImmutable,
            "spec.controller",
            format!(
                "Invalid value: {}: field is immutable (it was {}); create a new IngressClass instead",
                q(&new.controller),
                q(&old.controller)
            ),
        );
    }
    if new.is_ours()
        && let Some(m) = params_problem(new)
    {
        v.deny(RuleCode::IclParams, "spec.parameters", m);
    }
    v
}

/// How an Ingress's class resolves (SPEC-ingress §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassChoice {
    /// Ours: `ingressClassName` names a class of ours, or it is unset and exactly one class of
    /// ours is the default.
    Ours(Arc<ParsedIngressClass>),
    /// Not ours: another controller's class, a class that does not exist, or no class and no
    /// default of ours.
    NotOurs,
    /// No `ingressClassName` and two or more classes of ours claim to be the default: none is
    /// (Warning `MultipleDefaultClasses`). Their names, sorted.
    AmbiguousDefault(Vec<String>),
}

impl ClassChoice {
    pub fn ours(&self) -> Option<&Arc<ParsedIngressClass>> {
        match self {
            ClassChoice::Ours(c) => Some(c),
            _ => None,
        }
    }
}

/// Resolves the class of an Ingress with what `view` knows.
pub fn resolve_class(ing: &ParsedIngress, view: &dyn ClusterView) -> ClassChoice {
    match &ing.class_name {
        Some(name) => match view.ingress_class(name) {
            Some(c) if c.is_ours() => ClassChoice::Ours(c),
            _ => ClassChoice::NotOurs,
        },
        None => {
            let mut defaults: Vec<Arc<ParsedIngressClass>> = view
                .default_ingress_classes()
                .into_iter()
                .filter(|c| c.is_ours())
                .collect();
            match defaults.len() {
                0 => ClassChoice::NotOurs,
                1 => ClassChoice::Ours(defaults.remove(0)),
                _ => {
                    let mut names: Vec<String> = defaults.iter().map(|c| c.name.clone()).collect();
                    names.sort();
                    ClassChoice::AmbiguousDefault(names)
                }
            }
        }
    }
}

/// The message of Warning `MultipleDefaultClasses`.
pub fn multiple_defaults_message(classes: &[String]) -> String {
    format!(
        "spec.ingressClassName: unset, and IngressClasses {} are all marked default (ingressclass.kubernetes.io/is-default-class): none is used: set spec.ingressClassName or keep one default",
        classes.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CONTROLLER_NAME;
    use crate::rules::ingress_parse::ClassParameters;

    fn class(controller: &str, params: Option<(&str, &str, &str, Option<&str>)>) -> ParsedIngressClass {
        ParsedIngressClass {
            name: "avi".into(),
            controller: controller.into(),
            is_default: false,
            parameters: params.map(|(g, k, n, s)| ClassParameters {
                api_group: Some(g.to_owned()).filter(|g| !g.is_empty()),
                kind: k.into(),
                name: n.into(),
                scope: s.map(str::to_owned),
            }),
        }
    }

    #[test]
    fn params_valid_cases() {
        for p in [
            None,
            Some(("ako.vmware.com", "AviInfraSetting", "is1", None)),
            Some(("ako.vmware.com", "AviInfraSetting", "is1", Some("Cluster"))),
        ] {
            let c = class(CONTROLLER_NAME, p);
            assert!(validate_ingress_class(None, &c).allowed(), "{p:?}");
        }
        assert_eq!(class(CONTROLLER_NAME, None).infra(), ClassInfra::None);
        assert_eq!(
            class(
                CONTROLLER_NAME,
                Some(("ako.vmware.com", "AviInfraSetting", "is1", None))
            )
            .infra(),
            ClassInfra::Setting("is1".into())
        );
    }

    #[test]
    fn params_invalid_cases_and_message() {
        let c = class(
            CONTROLLER_NAME,
            Some(("example.com", "Thing", "t", Some("Namespace"))),
        );
        let v = validate_ingress_class(None, &c);
        assert_eq!(v.violations.len(), 1);
        assert_eq!(v.violations[0].code, RuleCode::IclParams);
        assert_eq!(
            v.violations[0].to_string(),
            "spec.parameters: Unsupported value: apiGroup \"example.com\" kind \"Thing\" scope \"Namespace\": supported: apiGroup \"ako.vmware.com\" kind \"AviInfraSetting\" scope \"Cluster\" or unset"
        );
        assert_eq!(c.infra(), ClassInfra::Invalid("t".into()));
        for bad in [
            ("", "AviInfraSetting", "x", None),
            ("ako.vmware.com", "GatewayClass", "x", None),
            ("ako.vmware.com", "AviInfraSetting", "x", Some("Namespace")),
        ] {
            let v = validate_ingress_class(None, &class(CONTROLLER_NAME, Some(bad)));
            assert_eq!(v.violations.len(), 1, "{bad:?}");
        }
        // Another controller's class is not judged.
        assert!(
            validate_ingress_class(None, &class("example.com/nginx", Some(("x", "y", "z", None)))).allowed()
        );
    }

    #[test]
    fn controller_is_immutable_when_either_side_is_ours() {
        let ours = class(CONTROLLER_NAME, None);
        let other = class("example.com/nginx", None);
        let v = validate_ingress_class(Some(&ours), &other);
        assert_eq!(v.violations[0].code, RuleCode::IclControllerImmutable);
        assert_eq!(
            v.violations[0].to_string(),
            "spec.controller: Invalid value: \"example.com/nginx\": field is immutable (it was \"ako.vmware.com/avi-lb\"); create a new IngressClass instead"
        );
        assert!(!validate_ingress_class(Some(&other), &ours).allowed());
        let other2 = class("example.com/traefik", None);
        assert!(validate_ingress_class(Some(&other), &other2).allowed());
        assert!(validate_ingress_class(Some(&ours), &ours).allowed());
    }
}
