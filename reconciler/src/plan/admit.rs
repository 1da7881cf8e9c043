//! What the apiserver does with avigw's webhooks installed: mutating defaults, then the
//! validating rules (SPEC §2). Also fills in an AviInfraSetting's status the way the
//! reconciler would, so that `plan` shows whether it applies.

use std::collections::BTreeMap;

use avigw_shared::api::{Gateway, GatewayClass};
use avigw_shared::rules::{
    ClassState, GatewayContext, ServiceContext, default_gateway, gateway_ref_of, is_our_class,
    validate_gateway, validate_gateway_class, validate_infra_setting, validate_service,
};
use avigw_shared::translate::{Object, infra_setting_status};

pub(crate) struct Admitted {
    pub objects: Vec<Object>,
    /// One denial message per refused object.
    pub denials: Vec<String>,
    pub warnings: Vec<String>,
}

fn ns_name(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    let name = meta.name.as_deref().unwrap_or_default();
    match meta.namespace.as_deref() {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_owned(),
    }
}

pub(crate) fn admit(objects: Vec<Object>, default_lb_controller: bool) -> Admitted {
    let mut out = Admitted {
        objects: Vec::with_capacity(objects.len()),
        denials: Vec::new(),
        warnings: Vec::new(),
    };
    let classes: BTreeMap<String, GatewayClass> = objects
        .iter()
        .filter_map(|o| match o {
            Object::GatewayClass(c) => Some((c.metadata.name.clone().unwrap_or_default(), c.clone())),
            _ => None,
        })
        .collect();
    // Defaults first, as the mutating webhook runs before the validating one.
    let objects: Vec<Object> = objects
        .into_iter()
        .map(|o| match o {
            Object::Gateway(mut g) => {
                if g.metadata.namespace.is_none() {
                    g.metadata.namespace = Some("default".to_owned());
                }
                Object::Gateway(default_gateway(&g))
            }
            Object::Service(mut s) => {
                if s.metadata.namespace.is_none() {
                    s.metadata.namespace = Some("default".to_owned());
                }
                Object::Service(s)
            }
            other => other,
        })
        .collect();
    let gateways: BTreeMap<(String, String), Gateway> = objects
        .iter()
        .filter_map(|o| match o {
            Object::Gateway(g) => Some((
                (
                    g.metadata.namespace.clone().unwrap_or_default(),
                    g.metadata.name.clone().unwrap_or_default(),
                ),
                g.clone(),
            )),
            _ => None,
        })
        .collect();
    for o in objects {
        let (kind, verdict) = match &o {
            Object::GatewayClass(c) => ("GatewayClass", validate_gateway_class(None, c)),
            Object::Gateway(g) => {
                let class = match classes.get(&g.spec.gateway_class_name) {
                    None => ClassState::Missing,
                    Some(c) if is_our_class(c) => ClassState::Ours,
                    Some(_) => ClassState::Foreign,
                };
                ("Gateway", validate_gateway(None, g, &GatewayContext { class }))
            }
            Object::Service(s) => {
                let gateway =
                    gateway_ref_of(s).and_then(|(ns, n)| gateways.get(&(ns.to_owned(), n.to_owned())));
                (
                    "Service",
                    validate_service(
                        None,
                        s,
                        &ServiceContext {
                            default_lb_controller,
                            gateway,
                        },
                    ),
                )
            }
            Object::AviInfraSetting(a) => ("AviInfraSetting", validate_infra_setting(a)),
            _ => {
                out.objects.push(o);
                continue;
            }
        };
        let name = ns_name(o.metadata());
        out.warnings
            .extend(verdict.warnings.iter().map(|w| format!("{kind} {name}: {w}")));
        if !verdict.allowed() {
            out.denials.push(format!(
                "admission webhook would deny the request: {}",
                verdict.denial_message(kind, &name)
            ));
        }
        out.objects.push(match o {
            Object::AviInfraSetting(mut a) if a.status.as_ref().is_none_or(|s| s.status.is_none()) => {
                a.status = Some(infra_setting_status(&a));
                Object::AviInfraSetting(a)
            }
            other => other,
        });
    }
    out
}
