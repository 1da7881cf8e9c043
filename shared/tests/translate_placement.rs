//! AviInfraSetting (only when Accepted) and the global VIP/node networks (SPEC §3).
mod translate_util;

use avigw_shared::translate::{Object, infra_setting_status, translate_key};
use translate_util::*;

fn setting(name: &str, status: Option<&str>, network_extra: &str) -> String {
    let status = status
        .map(|s| format!("status: {{status: {s}}}\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata: {{name: {name}}}\nspec:\n  seGroup: {{name: se-{name}}}\n  network:\n    vipNetworks:\n    - {{networkName: vip-{name}, cidr: 10.223.63.0/26}}\n    nodeNetworks:\n    - {{networkName: nodes-{name}, cidrs: [10.20.0.0/16]}}\n{network_extra}{status}"
    )
}

fn gateway_yaml(setting_yaml: &str) -> String {
    docs(&[
        setting_yaml.to_owned(),
        class_with_setting("avi", "oam"),
        gateway("blue", "gw", &[("TCP", 80)]),
        backend("blue", "web", "blue", "gw", &[("TCP", 80)]),
    ])
}

#[test]
fn accepted_setting_through_the_class_changes_refs_and_networks_never_names() {
    let plans = translate(
        &default_config(),
        &gateway_yaml(&setting("oam", Some("Accepted"), "")),
    );
    let p = plan(&plans, &gw_key("blue", "gw"));
    let vs = p.avi.virtualservice.as_ref().unwrap();
    assert_eq!(vs.name, "c1--blue-gw");
    assert_eq!(
        vs.se_group_ref.as_deref(),
        Some("/api/serviceenginegroup?name=se-oam")
    );
    let vip = p.avi.vsvip.as_ref().unwrap().vip[0]
        .ipam_network_subnet
        .clone()
        .unwrap();
    assert_eq!(vip.network_ref.as_deref(), Some("/api/network?name=vip-oam"));
    let subnet = vip.subnet.unwrap();
    assert_eq!((subnet.ip_addr.addr.as_str(), subnet.mask), ("10.223.63.0", 26));
    let pool = &p.avi.pools[0];
    assert_eq!(pool.name, "c1--blue-web-gw-TCP-80");
    assert_eq!(pool.placement_networks.len(), 1);
    assert_eq!(
        pool.placement_networks[0].network_ref,
        "/api/network?name=nodes-oam"
    );
    assert_eq!(pool.placement_networks[0].subnet.mask, 16);
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}

#[test]
fn rejected_or_unjudged_setting_falls_back_to_globals() {
    let cfg = config(|r| {
        r.vip_network = vec!["global-vip=10.50.0.0/24".into()];
        r.node_network = vec!["global-nodes=10.60.0.0/16".into()];
        r.se_group = Some("global-se".into());
    });
    for status in [Some("Rejected"), None] {
        let plans = translate(&cfg, &gateway_yaml(&setting("oam", status, "")));
        let p = plan(&plans, &gw_key("blue", "gw"));
        let vs = p.avi.virtualservice.as_ref().unwrap();
        assert_eq!(
            vs.se_group_ref.as_deref(),
            Some("/api/serviceenginegroup?name=global-se")
        );
        let vip = p.avi.vsvip.as_ref().unwrap().vip[0]
            .ipam_network_subnet
            .clone()
            .unwrap();
        assert_eq!(vip.network_ref.as_deref(), Some("/api/network?name=global-vip"));
        assert_eq!(vip.subnet.unwrap().ip_addr.addr, "10.50.0.0");
        assert_eq!(
            p.avi.pools[0].placement_networks[0].network_ref,
            "/api/network?name=global-nodes"
        );
        assert!(
            p.notes.iter().any(|n| n.contains("\"oam\" is not Accepted")),
            "{:?}",
            p.notes
        );
    }
}

#[test]
fn no_vip_network_anywhere_leaves_the_ipam_subnet_to_the_cloud() {
    let plans = translate(
        &default_config(),
        &docs(&[class("avi"), gateway("blue", "gw", &[("TCP", 80)])]),
    );
    let vip = &plan(&plans, &gw_key("blue", "gw"))
        .avi
        .vsvip
        .as_ref()
        .unwrap()
        .vip[0];
    assert!(vip.ipam_network_subnet.is_none());
}

#[test]
fn switching_settings_and_status_re_translates_the_keys_that_use_them() {
    let cfg = default_config();
    let context = ctx(&cfg);
    let key = gw_key("blue", "gw");
    let yaml = docs(&[
        setting("oam", Some("Accepted"), ""),
        setting("trf", Some("Accepted"), ""),
        class_with_setting("avi", "oam"),
        gateway("blue", "gw", &[("TCP", 80)]),
        lb_service(
            "red",
            "lb",
            "  annotations: {aviinfrasetting.ako.vmware.com/name: trf}\n",
            "",
            &[("TCP", 80)],
        ),
    ]);
    let mut snap = snapshot(&cfg, &yaml);
    let se = |snap: &avigw_shared::translate::Snapshot, k| {
        translate_key(&context, snap, &k)
            .avi
            .virtualservice
            .unwrap()
            .se_group_ref
            .unwrap()
    };
    assert_eq!(se(&snap, key.clone()), "/api/serviceenginegroup?name=se-oam");
    assert_eq!(
        se(&snap, svc_key("red", "lb")),
        "/api/serviceenginegroup?name=se-trf"
    );

    // The class switches to the other setting.
    let affected = snap.upsert(objects(&class_with_setting("avi", "trf")).remove(0));
    assert_eq!(affected.iter().collect::<Vec<_>>(), [&key]);
    assert_eq!(se(&snap, key.clone()), "/api/serviceenginegroup?name=se-trf");

    // The setting is rejected: both users fall back to globals.
    let affected = snap.upsert(objects(&setting("trf", Some("Rejected"), "")).remove(0));
    assert_eq!(
        affected.iter().cloned().collect::<Vec<_>>(),
        [key.clone(), svc_key("red", "lb")]
    );
    assert_eq!(
        se(&snap, key.clone()),
        "/api/serviceenginegroup?name=Default-Group"
    );
    assert_eq!(
        se(&snap, svc_key("red", "lb")),
        "/api/serviceenginegroup?name=Default-Group"
    );

    // An unrelated setting changes nothing.
    assert!(
        snap.upsert(objects(&setting("unused", Some("Accepted"), "")).remove(0))
            .is_empty()
    );
}

#[test]
fn rhi_sets_enable_rhi_and_bgp_peer_labels() {
    let yaml = gateway_yaml(&setting(
        "oam",
        Some("Accepted"),
        "    enableRhi: true\n    bgpPeerLabels: [peer-a, peer-b]\n    enablePublicIP: true\n",
    ));
    let plans = translate(&default_config(), &yaml);
    let p = plan(&plans, &gw_key("blue", "gw"));
    assert_eq!(p.avi.virtualservice.as_ref().unwrap().enable_rhi, Some(true));
    let vsvip = p.avi.vsvip.as_ref().unwrap();
    assert_eq!(vsvip.bgp_peer_labels, ["peer-a", "peer-b"]);
    assert_eq!(vsvip.vip[0].auto_allocate_floating_ip, Some(true));
}

#[test]
fn settings_judged_by_the_rules() {
    let ok = objects(&setting("oam", None, ""));
    let Object::AviInfraSetting(ok) = &ok[0] else {
        panic!()
    };
    assert_eq!(infra_setting_status(ok).status.as_deref(), Some("Accepted"));
    let bad = objects(&setting("oam", None, "    bgpPeerLabels: [peer-a]\n"));
    let Object::AviInfraSetting(bad) = &bad[0] else {
        panic!()
    };
    let st = infra_setting_status(bad);
    assert_eq!(st.status.as_deref(), Some("Rejected"));
    assert!(st.error.unwrap().contains("enableRhi"));
}

#[test]
fn lb_service_with_a_missing_setting_uses_globals_with_a_note() {
    let yaml = lb_service(
        "red",
        "lb",
        "  annotations: {aviinfrasetting.ako.vmware.com/name: nope}\n",
        "",
        &[("TCP", 80)],
    );
    let plans = translate(&default_config(), &yaml);
    let p = plan(&plans, &svc_key("red", "lb"));
    assert_eq!(
        p.avi.virtualservice.as_ref().unwrap().se_group_ref.as_deref(),
        Some("/api/serviceenginegroup?name=Default-Group")
    );
    assert!(
        p.notes.iter().any(|n| n.contains("\"nope\" not found")),
        "{:?}",
        p.notes
    );
}
