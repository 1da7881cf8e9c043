mod common;

use avigw_shared::rules::{RuleCode, validate_gateway_class, validate_infra_setting};
use common::*;

fn gc(controller: &str, params: &str) -> avigw_shared::api::GatewayClass {
    class(&format!(
        "apiVersion: networking.x-k8s.io/v1alpha1\nkind: GatewayClass\nmetadata: {{name: avi}}\nspec:\n  controller: {controller}\n{params}"
    ))
}

#[test]
fn class_params_must_be_aviinfrasetting() {
    let ok = gc(
        "ako.vmware.com/avi-lb",
        "  parametersRef: {group: ako.vmware.com, kind: AviInfraSetting, name: s}\n",
    );
    assert!(validate_gateway_class(None, &ok).allowed());
    assert!(validate_gateway_class(None, &gc("ako.vmware.com/avi-lb", "")).allowed());
    let bad = gc(
        "ako.vmware.com/avi-lb",
        "  parametersRef: {group: example.io, kind: Config, name: s}\n",
    );
    let v = validate_gateway_class(None, &bad);
    assert_eq!(v.violations.len(), 1);
    assert_eq!(v.violations[0].code, RuleCode::GwcParams);
    assert_eq!(
        v.violations[0].to_string(),
        "spec.parametersRef: Unsupported value: group \"example.io\" kind \"Config\": supported: group \"ako.vmware.com\" kind \"AviInfraSetting\""
    );
    let wrong_kind = gc(
        "ako.vmware.com/avi-lb",
        "  parametersRef: {group: ako.vmware.com, kind: Other, name: s}\n",
    );
    assert_eq!(
        validate_gateway_class(None, &wrong_kind).violations[0].code,
        RuleCode::GwcParams
    );
    // Not ours: never judged.
    assert!(
        validate_gateway_class(
            None,
            &gc(
                "example.io/lb",
                "  parametersRef: {group: example.io, kind: Config, name: s}\n"
            )
        )
        .allowed()
    );
}

#[test]
fn class_controller_is_immutable_when_ours_on_either_side() {
    let ours = gc("ako.vmware.com/avi-lb", "");
    let theirs = gc("example.io/lb", "");
    let other = gc("example.io/other", "");
    let v = validate_gateway_class(Some(&ours), &theirs);
    assert_eq!(
        v.violations.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        [
            "spec.controller: Invalid value: \"example.io/lb\": field is immutable (it was \"ako.vmware.com/avi-lb\"); create a new GatewayClass instead"
        ]
    );
    assert_eq!(v.violations[0].code, RuleCode::GwcControllerImmutable);
    assert_eq!(
        validate_gateway_class(Some(&theirs), &ours).violations[0].code,
        RuleCode::GwcControllerImmutable
    );
    assert!(validate_gateway_class(Some(&theirs), &other).allowed());
    assert!(validate_gateway_class(Some(&ours), &ours).allowed());
}

fn ais(network: &str) -> avigw_shared::api::AviInfraSetting {
    infra(&format!(
        "apiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata: {{name: s}}\nspec:\n  seGroup: {{name: g}}\n  network:\n{network}"
    ))
}

fn msgs(v: &avigw_shared::rules::Verdict) -> Vec<String> {
    v.violations.iter().map(|x| x.to_string()).collect()
}

#[test]
fn infra_valid() {
    let s = ais(
        "    vipNetworks: [{networkName: vip, cidr: 10.0.0.0/24, v6cidr: \"2001:db8::/64\"}, {networkUUID: dvportgroup-1}]\n    nodeNetworks: [{networkName: nodes, cidrs: [10.1.0.0/16]}]\n    enableRhi: true\n    bgpPeerLabels: [peer1]\n",
    );
    assert!(
        validate_infra_setting(&s).allowed(),
        "{:?}",
        validate_infra_setting(&s)
    );
    let no_network = infra(
        "apiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata: {name: s}\nspec: {seGroup: {name: g}}\n",
    );
    assert!(validate_infra_setting(&no_network).allowed());
}

#[test]
fn infra_rhi() {
    for (rhi, found) in [("", "unset"), ("    enableRhi: false\n", "false")] {
        let s = ais(&format!("{rhi}    bgpPeerLabels: [peer1]\n"));
        let v = validate_infra_setting(&s);
        assert_eq!(
            msgs(&v),
            [format!(
                "spec.network.bgpPeerLabels: Forbidden: BGP peer labels apply only with route health injection; set spec.network.enableRhi: true (found {found}) or remove the labels"
            )]
        );
        assert_eq!(v.violations[0].code, RuleCode::AisRhi);
    }
}

#[test]
fn infra_cidrs() {
    let s = ais(
        "    vipNetworks: [{networkName: vip, cidr: 10.0.0.0/33, v6cidr: 10.0.0.0/24}]\n    nodeNetworks: [{networkUUID: u1, cidrs: [10.1.0.0/16, nope]}]\n",
    );
    let v = validate_infra_setting(&s);
    assert_eq!(
        msgs(&v),
        [
            "spec.network.vipNetworks[0].cidr: Invalid value: \"10.0.0.0/33\": network \"vip\": must be an IPv4 CIDR such as 10.10.10.0/24",
            "spec.network.vipNetworks[0].v6cidr: Invalid value: \"10.0.0.0/24\": network \"vip\": must be an IPv6 CIDR such as 2001:db8::/64",
            "spec.network.nodeNetworks[0].cidrs[1]: Invalid value: \"nope\": network \"u1\": must be a CIDR such as 10.10.10.0/24",
        ]
    );
    assert!(v.violations.iter().all(|x| x.code == RuleCode::AisCidr));
}

#[test]
fn infra_network_ref() {
    let s = ais(
        "    vipNetworks: [{networkName: ok}, {cidr: 10.0.0.0/24}]\n    nodeNetworks: [{cidrs: [10.1.0.0/16]}]\n",
    );
    let v = validate_infra_setting(&s);
    assert_eq!(
        msgs(&v),
        [
            "spec.network.vipNetworks[1]: Required value: vipNetworks entry 1 must set networkName or networkUUID",
            "spec.network.nodeNetworks[0]: Required value: nodeNetworks entry 0 must set networkName or networkUUID",
        ]
    );
    assert!(v.violations.iter().all(|x| x.code == RuleCode::AisNetworkRef));
}
