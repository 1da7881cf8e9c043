//! The dependency index (one change re-translates only the keys that use it) and the status
//! rendering the reconciler does once Avi answers.
mod translate_util;

use avigw_shared::api::ConditionStatus;
use avigw_shared::translate::{
    AviOutcome, COND_READY, COND_SCHEDULED, GatewayStatusMemo, ObjectKind, ServiceIngressPlan,
    render_gateway_status, render_ingress, translate_all, translate_key,
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
        Some(&GatewayStatusMemo::of(&pending)),
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

    // The same outcome again: every time carried over, listeners' too, so nothing to write.
    let memo = GatewayStatusMemo::of(&placed);
    let again = render_gateway_status(plan, AviOutcome::Placed { vip: "10.0.0.5" }, "t3", Some(&memo));
    assert_eq!(again, placed);
    assert!(memo.matches(&again));

    let err = render_gateway_status(plan, AviOutcome::AviError("bad request"), "t2", Some(&memo));
    let ready = err.conditions.iter().find(|c| c.type_ == COND_READY).unwrap();
    assert_eq!(
        (ready.reason.as_str(), ready.message.as_str()),
        ("AviError", "bad request")
    );
    let bad_vip = render_gateway_status(plan, AviOutcome::InvalidAddress("recreate"), "t2", None);
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
        None,
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

#[test]
fn the_snapshot_names_what_it_holds_of_each_kind() {
    let cfg = default_config();
    let snap = snapshot(&cfg, &two_gateways());
    let names = |kind| snap.names_of(kind);
    let ns = |n: &str, name: &str| (Some(n.to_owned()), name.to_owned());
    assert_eq!(names(ObjectKind::Gateway), [ns("blue", "gw"), ns("green", "gw")]);
    assert_eq!(
        names(ObjectKind::Service),
        [ns("blue", "web"), ns("green", "web"), ns("red", "lb")]
    );
    assert_eq!(
        names(ObjectKind::EndpointSlice),
        [ns("blue", "web-1"), ns("green", "web-1")]
    );
    assert_eq!(names(ObjectKind::GatewayClass), [(None, "avi".to_owned())]);
    assert_eq!(names(ObjectKind::Node), [(None, "n1".to_owned())]);
    assert!(names(ObjectKind::Ingress).is_empty());
}

#[test]
fn a_gateway_status_is_kept_as_a_memo_and_changing_it_alone_queues_nothing() {
    let cfg = default_config();
    let context = ctx(&cfg);
    let mut snap = snapshot(&cfg, &two_gateways());
    let key = avigw_shared::translate::ObjKey::new("blue", "gw");
    assert!(snap.gateway_status(&key).is_none(), "no status yet");
    let plan = translate_key(&context, &snap, &gw_key("blue", "gw"));
    let placed = render_gateway_status(
        plan.gateway_status.as_ref().unwrap(),
        AviOutcome::Placed { vip: "10.0.0.5" },
        "2024-01-01T00:01:00Z",
        None,
    );
    let mut with_status = objects(&gateway("blue", "gw", &[("TCP", 80)])).remove(0);
    if let avigw_shared::translate::Object::Gateway(g) = &mut with_status {
        g.status = Some(placed.clone());
    }
    let affected = snap.upsert(with_status);
    assert!(
        affected.is_empty(),
        "a status change alone queues nothing: {affected:?}"
    );
    let gw = snap.gateway(&key).unwrap();
    assert!(gw.status.is_none(), "the object is kept without its status");
    let memo = snap.gateway_status(&key).unwrap();
    assert!(memo.matches(&placed));
    assert_eq!(
        memo.since(None, COND_READY, ConditionStatus::True),
        Some("2024-01-01T00:01:00Z")
    );
}
