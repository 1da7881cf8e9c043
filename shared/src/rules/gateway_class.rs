use super::format::q;
use super::{RuleCode, Verdict};
use crate::api::{AKO_GROUP, AVI_INFRA_SETTING_KIND, CONTROLLER_NAME, GatewayClass};

pub fn is_our_class(class: &GatewayClass) -> bool {
    class.spec.controller == CONTROLLER_NAME
}

/// GWC-PARAMS (on classes that are ours) and GWC-CONTROLLER-IMMUTABLE (when either side is
/// ours: moving a class to or away from avigw would orphan or steal its Gateways).
pub fn validate_gateway_class(old: Option<&GatewayClass>, new: &GatewayClass) -> Verdict {
    let mut v = Verdict::default();
    if let Some(old) = old
        && old.spec.controller != new.spec.controller
        && (is_our_class(old) || is_our_class(new))
    {
        v.deny(
            RuleCode::GwcControllerImmutable,
            "spec.controller",
            format!(
                "Invalid value: {}: field is immutable (it was {}); create a new GatewayClass instead",
                q(&new.spec.controller),
                q(&old.spec.controller)
            ),
        );
    }
    if is_our_class(new)
        && let Some(p) = &new.spec.parameters_ref
        && (p.group != AKO_GROUP || p.kind != AVI_INFRA_SETTING_KIND)
    {
        v.deny(
            RuleCode::GwcParams,
            "spec.parametersRef",
            format!(
                "Unsupported value: group {} kind {}: supported: group \"{AKO_GROUP}\" kind \"{AVI_INFRA_SETTING_KIND}\"",
                q(&p.group),
                q(&p.kind)
            ),
        );
    }
    v
}
