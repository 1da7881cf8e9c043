//! Services, their EndpointSlices and (in NodePortLocal mode) the Pods behind them, indexed
//! by Gateway, by Service and by AviInfraSetting.

use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;

use super::{Affected, Snapshot, index_add, index_remove};
use crate::config::ServiceType;
use crate::translate::keys::{Key, ObjKey};
use crate::translate::views::{PodView, SliceView, SvcView};

impl Snapshot {
    /// The keys a Service takes part in: its Gateway's, and its own when it is type
    /// LoadBalancer.
    pub(super) fn service_keys(key: &ObjKey, view: &SvcView, out: &mut Affected) {
        if let Some(gw) = &view.gateway {
            out.insert(Key::Gateway(gw.clone()));
        }
        if view.is_lb_type() {
            out.insert(Key::Service(key.clone()));
        }
    }

    pub(super) fn upsert_service(&mut self, s: Service) -> Affected {
        let Some(key) = ObjKey::of(&s.metadata) else {
            return Affected::new();
        };
        let view = SvcView::new(s);
        // The Service's own key always: whether it is (still) a LoadBalancer of ours is
        // translation's call, and a key that was one must hear that it no longer is.
        let mut out = Affected::from([Key::Service(key.clone())]);
        if let Some(old) = self.services.get(&key) {
            if old.same_as(&view) {
                self.services.insert(key, view);
                return Affected::new();
            }
            Self::service_keys(&key, old, &mut out);
        }
        self.unindex_service(&key);
        Self::service_keys(&key, &view, &mut out);
        if let Some(gw) = &view.gateway {
            index_add(&mut self.services_by_gateway, gw, &key);
        }
        if view.is_lb_type() {
            self.lb_services.insert(key.clone());
            if let Some(s) = &view.infra_setting {
                self.lb_by_setting
                    .entry(s.clone())
                    .or_default()
                    .insert(key.clone());
            }
        }
        self.services.insert(key, view);
        out
    }

    fn unindex_service(&mut self, key: &ObjKey) {
        let Some(old) = self.services.get(key) else {
            return;
        };
        if let Some(gw) = old.gateway.clone() {
            index_remove(&mut self.services_by_gateway, &gw, key);
        }
        if let Some(s) = old.infra_setting.clone() {
            index_remove(&mut self.lb_by_setting, &s, key);
        }
        self.lb_services.remove(key);
    }

    pub(super) fn remove_service(&mut self, key: &ObjKey) -> Affected {
        let mut out = Affected::new();
        if let Some(old) = self.services.get(key) {
            Self::service_keys(key, old, &mut out);
            out.insert(Key::Service(key.clone()));
        }
        self.unindex_service(key);
        self.services.remove(key);
        out
    }

    /// The keys of the Service a slice belongs to (none when the Service is unknown).
    fn keys_of_service(&self, svc: &ObjKey, out: &mut Affected) {
        if let Some(view) = self.services.get(svc) {
            Self::service_keys(svc, view, out);
        }
    }

    /// Adds or replaces a slice; `services` gets the Services whose endpoints changed.
    pub(super) fn upsert_slice(&mut self, s: &EndpointSlice, services: &mut Vec<ObjKey>) -> Affected {
        let Some(key) = ObjKey::of(&s.metadata) else {
            return Affected::new();
        };
        let view = SliceView::new(s);
        let mut out = Affected::new();
        if self.slices.get(&key) == Some(&view) {
            return out;
        }
        if let Some(old) = self.slices.remove(&key)
            && let Some(svc) = &old.service
        {
            self.keys_of_service(svc, &mut out);
            index_remove(&mut self.slices_by_service, svc, &key);
            services.push(svc.clone());
        }
        if let Some(svc) = &view.service {
            self.keys_of_service(svc, &mut out);
            index_add(&mut self.slices_by_service, svc, &key);
            if !services.contains(svc) {
                services.push(svc.clone());
            }
            self.slices.insert(key, view);
        }
        out
    }

    pub(super) fn remove_slice(&mut self, key: &ObjKey, services: &mut Vec<ObjKey>) -> Affected {
        let mut out = Affected::new();
        if let Some(old) = self.slices.remove(key)
            && let Some(svc) = &old.service
        {
            self.keys_of_service(svc, &mut out);
            index_remove(&mut self.slices_by_service, svc, key);
            services.push(svc.clone());
        }
        out
    }

    /// Keys of the Services in the pod's namespace whose selector matches the pod; `services`
    /// gets those Services.
    fn pod_keys(&self, key: &ObjKey, pod: &PodView, out: &mut Affected, services: &mut Vec<ObjKey>) {
        if self.mode != ServiceType::NodePortLocal {
            return;
        }
        for (svc_key, view) in self.services_in(&key.namespace) {
            if pod.matches(view.selector()) {
                Self::service_keys(svc_key, view, out);
                if !services.contains(svc_key) {
                    services.push(svc_key.clone());
                }
            }
        }
    }

    pub(super) fn upsert_pod(&mut self, p: &Pod, services: &mut Vec<ObjKey>) -> Affected {
        let Some(key) = ObjKey::of(&p.metadata) else {
            return Affected::new();
        };
        let view = PodView::new(p);
        if self.pods.get(&key) == view.as_ref() {
            return Affected::new();
        }
        let mut out = Affected::new();
        if let Some(old) = self.pods.remove(&key) {
            self.pod_keys(&key, &old, &mut out, services);
        }
        if let Some(view) = view {
            self.pod_keys(&key, &view, &mut out, services);
            self.pods.insert(key, view);
        }
        out
    }

    pub(super) fn remove_pod(&mut self, key: &ObjKey, services: &mut Vec<ObjKey>) -> Affected {
        let mut out = Affected::new();
        if let Some(old) = self.pods.remove(key) {
            self.pod_keys(key, &old, &mut out, services);
        }
        out
    }

    pub(crate) fn services_in<'a>(
        &'a self,
        namespace: &str,
    ) -> impl Iterator<Item = (&'a ObjKey, &'a SvcView)> + 'a {
        let ns = namespace.to_owned();
        self.services
            .range(ObjKey::namespace_start(namespace)..)
            .take_while(move |(k, _)| k.namespace == ns)
    }
}
