//! Which finalizers a key's Kubernetes object should carry. Each install holds objects with
//! its own finalizer (`avigw_shared::api::gateway_finalizer`), so that two installs in one
//! cluster never release each other's. Objects from releases before that carry the unscoped
//! one: an install that serves the object replaces it with its own in the same write; one
//! that held Avi objects of a key being deleted releases it once they are gone; any other
//! install leaves it alone.

use avigw_shared::api::{
    LEGACY_FINALIZER_GATEWAY, LEGACY_FINALIZER_SERVICE, gateway_finalizer, service_finalizer,
};
use avigw_shared::naming::ClusterName;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The kinds of object avigw holds with a finalizer (Ingresses have none: SPEC-ingress §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Gateway,
    Service,
}

/// One kind's finalizer names: this install's, and the unscoped one of earlier releases.
#[derive(Debug, Clone, Copy)]
pub struct Names<'a> {
    pub mine: &'a str,
    pub legacy: &'static str,
}

/// This install's finalizers.
#[derive(Debug, Clone)]
pub struct Finalizers {
    gateway: String,
    service: String,
}

impl Finalizers {
    pub fn new(cluster: &ClusterName) -> Self {
        Finalizers {
            gateway: gateway_finalizer(cluster),
            service: service_finalizer(cluster),
        }
    }

    pub fn of(&self, held: Held) -> Names<'_> {
        match held {
            Held::Gateway => Names {
                mine: &self.gateway,
                legacy: LEGACY_FINALIZER_GATEWAY,
            },
            Held::Service => Names {
                mine: &self.service,
                legacy: LEGACY_FINALIZER_SERVICE,
            },
        }
    }
}

pub fn carries(meta: &ObjectMeta, finalizer: &str) -> bool {
    meta.finalizers
        .as_ref()
        .is_some_and(|l| l.iter().any(|f| f == finalizer))
}

/// The list that holds the object with this install's finalizer instead of the legacy one,
/// or `None` when it already does.
pub fn hold(current: &[String], names: Names<'_>) -> Option<Vec<String>> {
    let has_mine = current.iter().any(|f| f == names.mine);
    let has_legacy = current.iter().any(|f| f == names.legacy);
    if has_mine && !has_legacy {
        return None;
    }
    let mut next: Vec<String> = current.iter().filter(|f| *f != names.legacy).cloned().collect();
    if !has_mine {
        next.push(names.mine.to_owned());
    }
    Some(next)
}

/// The list without this install's finalizer (and without the legacy one when
/// `release_legacy`), or `None` when there is nothing to release.
pub fn release(current: &[String], names: Names<'_>, release_legacy: bool) -> Option<Vec<String>> {
    let drop = |f: &String| f == names.mine || (release_legacy && f == names.legacy);
    if !current.iter().any(drop) {
        return None;
    }
    Some(current.iter().filter(|f| !drop(f)).cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: Names<'static> = Names {
        mine: "gateway.ako.vmware.com/avigw-a-cleanup",
        legacy: LEGACY_FINALIZER_GATEWAY,
    };
    const OTHER: &str = "gateway.ako.vmware.com/avigw-b-cleanup";

    fn list(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn hold_adds_mine_and_replaces_the_legacy_one_in_one_list() {
        assert_eq!(hold(&[], N), Some(list(&[N.mine])));
        assert_eq!(hold(&list(&[N.mine]), N), None);
        assert_eq!(
            hold(&list(&[OTHER, N.legacy]), N),
            Some(list(&[OTHER, N.mine])),
            "another install's finalizer stays"
        );
        assert_eq!(hold(&list(&[N.mine, N.legacy]), N), Some(list(&[N.mine])));
    }

    #[test]
    fn release_takes_only_mine_unless_the_legacy_one_is_ours_too() {
        assert_eq!(release(&list(&[OTHER, N.mine]), N, false), Some(list(&[OTHER])));
        assert_eq!(release(&list(&[OTHER]), N, true), None);
        assert_eq!(release(&list(&[N.legacy]), N, false), None);
        assert_eq!(release(&list(&[N.legacy, OTHER]), N, true), Some(list(&[OTHER])));
        assert_eq!(release(&list(&[N.mine, N.legacy]), N, true), Some(list(&[])));
    }

    #[test]
    fn names_per_kind_of_object() {
        let f = Finalizers::new(&ClusterName::new("c_").unwrap());
        let gw = f.of(Held::Gateway);
        let svc = f.of(Held::Service);
        assert_eq!(
            (gw.mine, gw.legacy),
            (
                "gateway.ako.vmware.com/avigw-c_-cleanup",
                LEGACY_FINALIZER_GATEWAY
            )
        );
        assert_eq!(
            (svc.mine, svc.legacy),
            (
                "service.ako.vmware.com/avigw-c_-cleanup",
                LEGACY_FINALIZER_SERVICE
            )
        );
    }
}
