//! Namespace sync (SPEC §3): selector on and off, blocked namespaces, label lost and regained.
mod translate_util;

use avigw_shared::translate::{ObjKey, Ownership, translate_key};
use translate_util::*;

fn cluster(blue_labels: &str, red_labels: &str) -> String {
    docs(&[
        namespace("blue", blue_labels),
        namespace("red", red_labels),
        class("avi"),
        gateway("blue", "gw", &[("TCP", 80), ("TCP", 81)]),
        backend("blue", "web", "blue", "gw", &[("TCP", 80)]),
        backend("red", "api", "blue", "gw", &[("TCP", 81)]),
        lb_service("red", "lb", "", "", &[("TCP", 53)]),
    ])
}

#[test]
fn without_a_selector_every_namespace_syncs() {
    let plans = translate(&default_config(), &cluster("", ""));
    assert_eq!(plan(&plans, &gw_key("blue", "gw")).avi.pools.len(), 2);
    assert_eq!(plan(&plans, &svc_key("red", "lb")).ownership, Ownership::Ours);
}

#[test]
fn with_a_selector_only_labelled_namespaces_sync() {
    let cfg = config(|r| r.scope.namespace_selector = Some("avi=sync".into()));
    let plans = translate(&cfg, &cluster("avi: sync", "avi: other"));
    let p = plan(&plans, &gw_key("blue", "gw"));
    assert_eq!(p.ownership, Ownership::Ours);
    assert_eq!(
        pool_names(p),
        ["c1--blue-web-gw-TCP-80"],
        "the backend in red is not attached"
    );
    assert!(
        p.notes.iter().any(|n| n.contains("red/api is not attached")),
        "{:?}",
        p.notes
    );
    let lb = plan(&plans, &svc_key("red", "lb"));
    assert_eq!(lb.ownership, Ownership::NotOurs);
    assert!(lb.avi.is_empty());
}

#[test]
fn blocked_namespaces_never_sync() {
    let cfg = config(|r| r.scope.blocked_namespace = vec!["blue".into()]);
    let plans = translate(&cfg, &cluster("", ""));
    let p = plan(&plans, &gw_key("blue", "gw"));
    assert_eq!(p.ownership, Ownership::NotOurs);
    assert!(p.avi.is_empty());
    assert_eq!(plan(&plans, &svc_key("red", "lb")).ownership, Ownership::Ours);
}

#[test]
fn losing_the_label_removes_the_objects_and_regaining_it_brings_them_back() {
    let cfg = config(|r| r.scope.namespace_selector = Some("avi=sync".into()));
    let context = ctx(&cfg);
    let mut snap = snapshot(&cfg, &cluster("avi: sync", "avi: sync"));
    let gw = gw_key("blue", "gw");
    let lb = svc_key("red", "lb");
    assert_eq!(translate_key(&context, &snap, &gw).avi.pools.len(), 2);

    let affected = snap.upsert(objects(&namespace("red", "avi: gone")).remove(0));
    // red's LB Service and the Gateway its Service backs; nothing else.
    assert_eq!(
        affected.iter().cloned().collect::<Vec<_>>(),
        [gw.clone(), lb.clone()]
    );
    assert!(translate_key(&context, &snap, &lb).avi.is_empty());
    let p = translate_key(&context, &snap, &gw);
    assert_eq!(p.avi.pools.len(), 1);
    assert!(!p.service_ingress.contains_key(&ObjKey::new("red", "api")));

    let affected = snap.upsert(objects(&namespace("red", "avi: sync")).remove(0));
    assert!(affected.contains(&gw) && affected.contains(&lb));
    assert_eq!(translate_key(&context, &snap, &gw).avi.pools.len(), 2);
    assert_eq!(translate_key(&context, &snap, &lb).ownership, Ownership::Ours);

    // A label change that leaves the same labels is no change.
    assert!(
        snap.upsert(objects(&namespace("red", "avi: sync")).remove(0))
            .is_empty()
    );
}
