//! What the apiserver does with avigw's webhooks installed: mutating defaults, then the
//! validating rules (SPEC §2), judged against the same snapshot `plan` then translates. Also
//! fills in an AviInfraSetting's status the way the reconciler would, so that `plan` shows
//! whether it applies.

use avigw_shared::config::{Scope, ServiceType};
use avigw_shared::rules::{default_gateway, judge};
use avigw_shared::translate::{Object, Snapshot, infra_setting_status};

pub(crate) struct Admitted {
    pub snapshot: Snapshot,
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
        Object::AviInfraSetting(mut a) if a.status.as_ref().is_none_or(|s| s.status.is_none()) => {
            a.status = Some(infra_setting_status(&a));
            Object::AviInfraSetting(a)
        }
        other => other,
    }
}

pub(crate) fn admit(mode: ServiceType, objects: Vec<Object>, scope: &Scope) -> Admitted {
    let objects: Vec<Object> = objects.into_iter().map(as_stored).collect();
    let mut denials = Vec::new();
    let mut warnings = Vec::new();
    let snapshot = Snapshot::from_objects(mode, objects.iter().cloned());
    for o in &objects {
        let Some(review) = o.review() else {
            continue;
        };
        let kind = review.kind().as_str();
        let verdict = judge(&review, &snapshot, scope);
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
        denials,
        warnings,
    }
}
