//! The dependency index (one change re-translates only the keys that use it) and the status
//! rendering the reconciler does once Avi answers.
mod translate_util;

use avigw_shared::api::{ConditionStatus, GatewayStatus};
use avigw_shared::translate::{
    AviOutcome, COND_READY, COND_SCHEDULED, ObjectKind, ServiceIngressPlan, render_gateway_status,
    render_ingress, translate_all, translate_key,
};
use translate_util::*;

fn two_gateways() -> String {
    docs(&[
        class("avi"),
        gateway("blue", "gw", &[("TCP", 80)]),
        gateway("green", "gw", &[("TCP", 80)]),
        backend("blue", "web", "blue", "gw", &[("TCP", 80)]),
        backend("green", "web", "green", "gw", &[("TCP", 80)]),
        lb_service("red", "lb", "", "", &[("TCP", 80)]),
        slice(
            "blue",
            "web",
            "web-1",
            0,
            "TCP",
            8080,
            &[("10.1.0.1", None, None, Some("n1"))],
        ),
        slice(
            "green",
            "web",
            "web-1",
            0,
            "TCP",
            8080,
            &[("10.2.0.1", None, None, Some("n1"))],
        ),
        node("n1", "192.168.0.1", "", ""),
    ])
}

#[test]
fn one_endpoint_change_re_translates_only_its_gateway() {
    let cfg = default_config();
    let context = ctx(&cfg);
    let mut snap = snapshot(&cfg, &two_gateways());
    let before = translate_all(&context, &snap);
    let changed = slice(
        "blue",
        "web",
        "web-1",
        0,
        "TCP",
        8080,
        &[
            ("10.1.0.1", None, None, Some("n1")),
            ("10.1.0.2", None, None, None),
        ],
    );
    let affected = snap.upsert(objects(&changed).remove(0));
    assert_eq!(
        affected.iter().cloned().collect::<Vec<_>>(),
        [gw_key("blue", "gw")]
    );
    let after = translate_all(&context, &snap);
    for (k, p) in &after {
        if affected.contains(k) {
            assert_ne!(to_json(p), to_json(&before[k]));
        } else {
            assert_eq!(to_json(p), to_json(&before[k]), "{k} changed without being named");
        }
    }
    assert_eq!(
        servers(&translate_key(&context, &snap, &gw_key("blue", "gw")).avi.pools[0]),
        ["10.1.0.1:8080", "10.1.0.2:8080"]
    );
}

#[test]
fn changes_translation_does_not_read_affect_nothing() {
    let cfg = default_config();
    let mut snap = snapshot(&cfg, &two_gateways());
    // The same objects again (e.g. a resync, or only status/resourceVersion changed).
    for o in objects(&two_gateways()) {
        assert!(snap.upsert(o).is_empty());
    }
    let with_status = backend("blue", "web", "blue", "gw", &[("TCP", 80)])
        + "status:\n  loadBalancer:\n    ingress: [{ip: 10.9.9.9}]\n";
    assert!(snap.upsert(objects(&with_status).remove(0)).is_empty());
    // A slice of a Service nobody knows.
    assert!(
        snap.upsert(
            objects(&slice(
                "blue",
                "ghost",
                "ghost-1",
                0,
                "TCP",
                1,
                &[("10.0.0.1", None, None, None)]
            ))
            .remove(0)
        )
        .is_empty()
    );
    // Nodes matter only in NodePort mode.
    assert!(
        snap.upsert(objects(&node("n2", "192.168.0.2", "", "")).remove(0))
            .is_empty()
    );
    let cfg = config(|r| r.service_type = Some("NodePort".into()));
    let mut snap = snapshot(&cfg, &two_gateways());
    let affected = snap.upsert(objects(&node("n2", "192.168.0.2", "", "")).remove(0));
    assert_eq!(affected, snap.keys());
}

#[test]
fn deletes_name_their_keys() {
    let cfg = default_config();
    let mut snap = snapshot(&cfg, &two_gateways());
    let a = snap.delete(ObjectKind::EndpointSlice, Some("green"), "web-1");
    assert_eq!(a.into_iter().collect::<Vec<_>>(), [gw_key("green", "gw")]);
    let a = snap.delete(ObjectKind::Service, Some("red"), "lb");
    assert_eq!(a.into_iter().collect::<Vec<_>>(), [svc_key("red", "lb")]);
    let a = snap.delete(ObjectKind::GatewayClass, None, "avi");
    assert_eq!(
        a.into_iter().collect::<Vec<_>>(),
        [gw_key("blue", "gw"), gw_key("green", "gw")]
    );
    assert!(
        snap.delete(ObjectKind::Service, Some("red"), "lb").is_empty(),
        "already gone"
    );
}

#[test]
fn rendering_the_status_once_avi_answers() {
    let cfg = default_config();
    let context = ctx(&cfg);
    let snap = snapshot(&cfg, &two_gateways());
    let p = translate_key(&context, &snap, &gw_key("blue", "gw"));
    let plan = p.gateway_status.as_ref().unwrap();

    let pending = render_gateway_status(plan, AviOutcome::Pending, "2024-01-01T00:00:00Z", None);
    assert!(pending.addresses.is_empty());
    let ready = pending.conditions.iter().find(|c| c.type_ == COND_READY).unwrap();
    assert_eq!(
        (ready.status, ready.reason.as_str()),
        (ConditionStatus::False, "Pending")
    );

    let placed = render_gateway_status(
        plan,
        AviOutcome::Placed { vip: "10.0.0.5" },
        "2024-01-01T00:01:00Z",
        Some(&pending),
    );
    assert_eq!(placed.addresses[0].value, "10.0.0.5");
    assert_eq!(placed.addresses[0].type_.as_deref(), Some("IPAddress"));
    let ready = placed.conditions.iter().find(|c| c.type_ == COND_READY).unwrap();
    assert_eq!(
        (ready.status, ready.reason.as_str()),
        (ConditionStatus::True, "Ready")
    );
    assert_eq!(ready.last_transition_time, "2024-01-01T00:01:00Z");
    let sched = placed
        .conditions
        .iter()
        .find(|c| c.type_ == COND_SCHEDULED)
        .unwrap();
    assert_eq!(
        sched.last_transition_time, "2024-01-01T00:00:00Z",
        "unchanged status keeps its time"
    );
    assert_eq!(placed.listeners[0].conditions[0].status, ConditionStatus::True);

    let err = render_gateway_status(plan, AviOutcome::AviError("bad request"), "t2", Some(&placed));
    let ready = err.conditions.iter().find(|c| c.type_ == COND_READY).unwrap();
    assert_eq!(
        (ready.reason.as_str(), ready.message.as_str()),
        ("AviError", "bad request")
    );
    let bad_vip = render_gateway_status(
        plan,
        AviOutcome::InvalidAddress("recreate"),
        "t2",
        None::<&GatewayStatus>,
    );
    assert_eq!(
        bad_vip
            .conditions
            .iter()
            .find(|c| c.type_ == COND_READY)
            .unwrap()
            .reason,
        "InvalidAddress"
    );
    let taken = render_gateway_status(
        plan,
        AviOutcome::NameTaken(
            "Avi object virtualservice/c--ns-gw belongs to ako-c; set adoptFrom to take it over",
        ),
        "t2",
        None::<&GatewayStatus>,
    );
    let ready = taken.conditions.iter().find(|c| c.type_ == COND_READY).unwrap();
    assert_eq!(
        (ready.status, ready.reason.as_str(), ready.message.as_str()),
        (
            ConditionStatus::False,
            "NameTaken",
            "Avi object virtualservice/c--ns-gw belongs to ako-c; set adoptFrom to take it over"
        )
    );
    assert!(taken.addresses.is_empty(), "no address while the name is taken");
    assert!(
        serde_json::to_string(&placed)
            .unwrap()
            .contains("\"observedGeneration\"")
            || plan.observed_generation.is_none()
    );
}

#[test]
fn rendering_service_ingress() {
    let plan = ServiceIngressPlan {
        preferred_vip: None,
        hostnames: vec!["a.example.com".into(), "b.example.com".into()],
    };
    let ing = render_ingress(&plan, "10.0.0.5");
    assert_eq!(ing.len(), 2);
    assert_eq!(ing[1].hostname.as_deref(), Some("b.example.com"));
    assert!(ing.iter().all(|i| i.ip.as_deref() == Some("10.0.0.5")));
    let ing = render_ingress(
        &ServiceIngressPlan {
            preferred_vip: None,
            hostnames: vec![],
        },
        "10.0.0.5",
    );
    assert_eq!((ing.len(), ing[0].hostname.as_deref()), (1, None));
}
