//! libFuzzer counterpart of `webhook/tests/fuzz_review.rs`: the bytes go to `review()` in both
//! modes against the proptest's StaticView. Nothing may panic; every Ok answer is a well-formed
//! AdmissionReview (apiVersion admission.k8s.io/v1, string `response.uid`, boolean
//! `response.allowed`) whose uid echoes the request's uid when the input has one.
#![no_main]

use std::sync::LazyLock;

use avigw_shared::config::Scope;
use avigw_webhook::review::{Mode, review};
use avigw_webhook::view::StaticView;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// The same view as fuzz_review.rs: one GatewayClass "avi" and one Gateway blue/gw.
static VIEW: LazyLock<StaticView> = LazyLock::new(|| {
    let mut v = StaticView::default();
    v.add_class(serde_json::from_value(json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "GatewayClass", "metadata": {"name": "avi"}, "spec": {"controller": "ako.vmware.com/avi-lb"}})).unwrap());
    v.add_gateway(serde_json::from_value(json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "Gateway", "metadata": {"name": "gw", "namespace": "blue"}, "spec": {"gatewayClassName": "avi", "listeners": [{"protocol": "TCP", "port": 80}]}})).unwrap());
    v
});

fuzz_target!(|body: &[u8]| {
    // The request uid, when the input is a JSON document that carries one as a string.
    let input_uid = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["request"]["uid"].as_str().map(str::to_owned));
    for mode in [Mode::Validate, Mode::Mutate] {
        if let Ok(r) = review(body, mode, &*VIEW, &Scope::default()) {
            // The proptest's property, verbatim.
            let out: Value = serde_json::from_slice(&r.body).expect("response body is JSON");
            assert_eq!(&out["apiVersion"], "admission.k8s.io/v1");
            assert!(out["response"]["uid"].is_string());
            assert!(out["response"]["allowed"].is_boolean());
            // And the echo its doc comment promises.
            if let Some(uid) = &input_uid {
                assert_eq!(
                    out["response"]["uid"].as_str(),
                    Some(uid.as_str()),
                    "uid not echoed"
                );
            }
            assert_eq!(out["response"]["allowed"].as_bool(), Some(r.allowed));
        }
    }
});
