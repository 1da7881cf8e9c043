//! What the apiserver does with avigw's webhooks installed: mutating defaults, then the
//! validating rules (SPEC §2, SPEC-ingress §2), judged against the same snapshot `plan` then
//! translates (Ingress-aware, with the Secrets its TLS hosts name). Also fills in an
//! AviInfraSetting's status the way the reconciler would, so that `plan` shows whether it
//! applies.

use std::collections::BTreeMap;

use avigw_shared::config::Config;
use avigw_shared::rules::{default_gateway, judge};
use avigw_shared::translate::{ObjKey, Object, Snapshot, infra_setting_status};
use k8s_openapi::api::networking::v1::Ingress;

pub(crate) struct Admitted {
    pub snapshot: Snapshot,
    /// Every Ingress of the input as stored (the later definition of one wins).
    pub ingresses: BTreeMap<ObjKey, Ingress>,
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

/// The object as the apiserver would store it: in `default` when it names no namespace, with
/// the admission defaults of the mutating webhook, and (for an AviInfraSetting) the status the
/// reconciler would give it.
fn as_stored(o: Object) -> Object {
    match o {
        Object::Gateway(mut g) => {
            g.metadata.namespace.get_or_insert_with(|| "default".to_owned());
            Object::Gateway(default_gateway(&g))
        }
        Object::Service(mut s) => {
            s.metadata.namespace.get_or_insert_with(|| "default".to_owned());
            Object::Service(s)
        }
        Object::Ingress(mut i) => {
            i.metadata.namespace.get_or_insert_with(|| "default".to_owned());
            Object::Ingress(i)
        }
        Object::Secret(mut s) => {
            s.metadata.namespace.get_or_insert_with(|| "default".to_owned());
            Object::Secret(s)
        }
        Object::AviInfraSetting(mut a) if a.status.as_ref().is_none_or(|s| s.status.is_none()) => {
            a.status = Some(infra_setting_status(&a));
            Object::AviInfraSetting(a)
        }
        other => other,
    }
}

pub(crate) fn admit(config: &Config, objects: Vec<Object>) -> Admitted {
    let objects: Vec<Object> = objects.into_iter().map(as_stored).collect();
    let mut denials = Vec::new();
    let mut warnings = Vec::new();
    let snapshot = Snapshot::from_config_objects(config, objects.iter().cloned());
    let ingresses = objects
        .iter()
        .filter_map(|o| match o {
            Object::Ingress(i) => Some((ObjKey::of(&i.metadata)?, i.clone())),
            _ => None,
        })
        .collect();
    for o in &objects {
        let Some(review) = o.review() else {
            continue;
        };
        let kind = review.kind().as_str();
        let verdict = judge(&review, &snapshot, &config.scope);
        let name = ns_name(o.metadata());
        warnings.extend(verdict.warnings.iter().map(|w| format!("{kind} {name}: {w}")));
        if !verdict.allowed() {
            denials.push(format!(
                "admission webhook would deny the request: {}",
                verdict.denial_message(kind, &name)
            ));
        }
    }
    Admitted {
        snapshot,
        ingresses,
        denials,
        warnings,
    }
}
