//! The Ingress translation (SPEC-ingress §4, §5): the worked example object for object, host
//! security, ownership, backends, names, AviInfraSettings and what each Ingress is told.
mod l7_util;

use std::collections::BTreeSet;

use avigw_shared::avi::AviObjects;
use avigw_shared::translate::{
    Key, KeyPlan, ObjKey, Ownership, Problem, ingress_report, ingress_status, translate_key,
    translate_l7_hosts,
};
use l7_util::*;

fn worked_example() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/inputs/l7-worked-example.yaml"
    ))
    .unwrap()
}

fn only_plan(cfg: &avigw_shared::config::Config, yaml: &str) -> KeyPlan {
    let plans = l7_translate(cfg, yaml);
    assert_eq!(plans.len(), 1, "{:?}", plans.keys().collect::<Vec<_>>());
    plans.into_values().next().unwrap()
}

fn kinds_and_names(avi: &AviObjects) -> Vec<String> {
    avi.names().iter().map(|(k, n)| format!("{k} {n}")).collect()
}

fn findings<'a>(p: &'a KeyPlan, ns: &str, name: &str) -> &'a [Problem] {
    &p.ingresses[&ObjKey::new(ns, name)].findings
}

fn reasons(f: &[Problem]) -> Vec<&str> {
    f.iter().map(|p| p.reason.as_str()).collect()
}

#[test]
fn the_worked_example_object_for_object() {
    let p = only_plan(&l7_config(|_| {}), &worked_example());
    assert_eq!(p.ownership, Ownership::Ours);
    assert_eq!(
        kinds_and_names(&p.avi),
        [
            "sslkeyandcertificate cluster--noo.com",
            "pool cluster--foo.com_foo-default-ing1",
            "pool cluster--default-noo.com_bar-ing2",
            "pool cluster--default-noo.com_bar_v2-ing2",
            "poolgroup cluster--Shared-L7-0",
            "poolgroup cluster--default-noo.com_bar-ing2",
            "poolgroup cluster--default-noo.com_bar_v2-ing2",
            "vsdatascriptset cluster--Shared-L7-0",
            "httppolicyset cluster--Shared-L7-0",
            "httppolicyset cluster--default-noo.com",
            "vsvip cluster--Shared-L7-0",
            "virtualservice cluster--Shared-L7-0",
            "virtualservice cluster--noo.com",
        ]
    );
    let a = &p.avi;
    let cert = &a.sslkeyandcertificates[0];
    assert_eq!(cert.certificate.certificate, CERT);
    assert_eq!(cert.key.as_ref().unwrap().expose(), KEY, "the key goes to Avi");
    let servers = |i: usize| -> Vec<String> {
        a.pools[i]
            .servers
            .iter()
            .map(|s| {
                format!(
                    "{}:{}{}",
                    s.ip.addr,
                    s.port.unwrap(),
                    if s.enabled { "" } else { "!" }
                )
            })
            .collect()
    };
    assert_eq!(servers(0), ["10.1.1.1:8080"]);
    assert_eq!(servers(1), ["10.1.2.1:8080", "10.1.2.2:8080!"]);
    assert_eq!(servers(2), servers(1));
    let pg = &a.poolgroups[0];
    assert!(pg.implicit_priority_labels);
    assert_eq!(pg.members.len(), 1);
    assert_eq!(pg.members[0].priority_label.as_deref(), Some("foo.com/foo"));
    assert_eq!(pg.members[0].ratio, Some(100));
    assert!(!a.poolgroups[1].implicit_priority_labels);
    let ds = a.vsdatascriptset.as_ref().unwrap();
    assert!(
        ds.datascript[0]
            .script
            .contains("avi.poolgroup.select(\"cluster--Shared-L7-0\"")
    );
    assert_eq!(ds.pool_group_refs, ["/api/poolgroup?name=cluster--Shared-L7-0"]);
    let redirect = &a.httppolicysets[0].http_request_policy.rules[0];
    assert_eq!(
        redirect.match_.as_ref().unwrap().host_hdr.as_ref().unwrap().value,
        ["noo.com"]
    );
    let fqdns: Vec<&str> = a
        .vsvip
        .as_ref()
        .unwrap()
        .dns_info
        .iter()
        .map(|d| d.fqdn.as_str())
        .collect();
    assert_eq!(
        fqdns,
        ["cluster--Shared-L7-0.admin.avi.internal", "foo.com", "noo.com"]
    );
    let parent = a.virtualservice.as_ref().unwrap();
    assert_eq!(parent.type_.as_deref(), Some("VS_TYPE_VH_PARENT"));
    assert_eq!(parent.http_policies[0].index, 11);
    let child = &a.child_virtualservices[0];
    assert_eq!(child.type_.as_deref(), Some("VS_TYPE_VH_CHILD"));
    assert!(child.services.is_empty() && child.vsvip_ref.is_none());
    assert_eq!(child.se_group_ref, parent.se_group_ref);
    // Status: each Ingress its own host.
    let ing = |n: &str| &p.ingresses[&ObjKey::new("default", n)];
    assert_eq!(ing("ing1").hosts, ["foo.com"]);
    assert_eq!(ing("ing2").hosts, ["noo.com"]);
    assert!(ing("ing1").findings.is_empty() && ing("ing2").findings.is_empty());
}

#[test]
fn deleting_the_worked_example_keeps_the_parent() {
    let cfg = l7_config(|_| {});
    let ctx = l7_ctx(&cfg);
    let mut snap = l7_snapshot(&cfg, &worked_example());
    let key = snap.keys().into_iter().next().unwrap();
    let affected = snap.delete(
        avigw_shared::translate::ObjectKind::Ingress,
        Some("default"),
        "ing2",
    );
    assert_eq!(affected.iter().collect::<Vec<_>>(), [&key]);
    let p = translate_key(&ctx, &snap, &key);
    assert_eq!(
        kinds_and_names(&p.avi),
        [
            "pool cluster--foo.com_foo-default-ing1",
            "poolgroup cluster--Shared-L7-0",
            "vsdatascriptset cluster--Shared-L7-0",
            "vsvip cluster--Shared-L7-0",
            "virtualservice cluster--Shared-L7-0",
        ]
    );
    assert!(
        p.avi.virtualservice.as_ref().unwrap().http_policies.is_empty(),
        "redirect set detached"
    );
    snap.delete(
        avigw_shared::translate::ObjectKind::Ingress,
        Some("default"),
        "ing1",
    );
    assert!(snap.keys().is_empty(), "no host left");
    let p = translate_key(&ctx, &snap, &key);
    assert_eq!(
        kinds_and_names(&p.avi),
        [
            "poolgroup cluster--Shared-L7-0",
            "vsdatascriptset cluster--Shared-L7-0",
            "vsvip cluster--Shared-L7-0",
            "virtualservice cluster--Shared-L7-0",
        ]
    );
    assert!(p.avi.poolgroups[0].members.is_empty());
    let fqdns: Vec<&str> = p
        .avi
        .vsvip
        .as_ref()
        .unwrap()
        .dns_info
        .iter()
        .map(|d| d.fqdn.as_str())
        .collect();
    assert_eq!(fqdns, ["cluster--Shared-L7-0.admin.avi.internal"]);
    assert_eq!(l7_key_names(snap.l7_parent_keys()).len(), 8);
}

fn svc_and_eps() -> String {
    join(&[
        svc("default", "svc1", &[("http", 80, 8080)]),
        endpoints("default", "svc1", ("http", 8080), &[("10.1.1.1", true)]),
    ])
}

#[test]
fn a_tls_host_without_a_valid_secret_is_not_served() {
    let cfg = l7_config(|_| {});
    let ing = |secret: &str| {
        ingress(
            "default",
            "web",
            1,
            &tls(&["noo.com"], secret),
            &[rule("noo.com", &[("/", "Prefix", "svc1", "80")])],
        )
    };
    for (extra, reason, message) in [
        (
            String::new(),
            "SecretNotFound",
            "spec.tls[0].secretName: Secret \"noo-tls\" not found in namespace default: host \"noo.com\" is not served until it exists",
        ),
        (
            secret("default", "noo-tls", CERT, OTHER_KEY),
            "SecretInvalid",
            "spec.tls[0].secretName: Secret default/noo-tls: tls.key does not match the first certificate in tls.crt: host \"noo.com\" is not served until it is fixed",
        ),
    ] {
        let p = only_plan(
            &cfg,
            &join(&[
                ingress_class("avi", true, None),
                ing("noo-tls"),
                svc_and_eps(),
                extra,
            ]),
        );
        // Only the parent stands: no pool, no child, no redirect, no DNS name for the host.
        assert_eq!(p.avi.pools.len(), 0);
        assert!(p.avi.child_virtualservices.is_empty() && p.avi.httppolicysets.is_empty());
        assert_eq!(p.avi.vsvip.as_ref().unwrap().dns_info.len(), 1);
        let f = findings(&p, "default", "web");
        assert_eq!(reasons(f), [reason]);
        assert_eq!(f[0].code.as_deref(), Some("ING-SECRET-MISSING"));
        assert_eq!(f[0].message, message);
        assert!(p.ingresses[&ObjKey::new("default", "web")].hosts.is_empty());
    }
}

#[test]
fn a_host_secure_in_one_ingress_serves_all_entries_on_its_child() {
    let cfg = l7_config(|_| {});
    let p = only_plan(
        &cfg,
        &join(&[
            ingress_class("avi", true, None),
            ingress(
                "default",
                "plain",
                1,
                "",
                &[rule("noo.com", &[("/a", "Prefix", "svc1", "80")])],
            ),
            ingress("default", "tls", 2, &tls(&["noo.com"], "noo-tls"), &[]),
            secret("default", "noo-tls", CERT, KEY),
            svc_and_eps(),
        ]),
    );
    assert!(p.avi.poolgroups[0].members.is_empty(), "nothing on the parent");
    assert_eq!(p.avi.child_virtualservices.len(), 1);
    assert_eq!(p.avi.pools[0].name, "cluster--default-noo.com_a-plain");
    assert_eq!(p.ingresses[&ObjKey::new("default", "plain")].hosts, ["noo.com"]);
    // The TLS-only Ingress serves no entry: it is told its TLS host is unused by its rules.
    assert_eq!(reasons(findings(&p, "default", "tls")), ["TLSHostUnused"]);
}

#[test]
fn the_oldest_namespace_owns_a_host() {
    let cfg = l7_config(|_| {});
    let p = only_plan(
        &cfg,
        &join(&[
            ingress_class("avi", true, None),
            ingress(
                "team-b",
                "web",
                5,
                "",
                &[rule("shop.com", &[("/", "Prefix", "svc1", "80")])],
            ),
            ingress(
                "team-a",
                "web",
                1,
                "",
                &[rule("shop.com", &[("/", "Prefix", "svc1", "80")])],
            ),
        ]),
    );
    assert_eq!(p.avi.pools.len(), 1);
    assert_eq!(p.avi.pools[0].name, "cluster--shop.com_-team-a-web");
    let f = findings(&p, "team-b", "web");
    assert_eq!(reasons(f), ["HostTaken"]);
    assert_eq!(
        f[0].message,
        "spec.rules[0].host: \"shop.com\" is already served by Ingress team-a/web: a host belongs to one namespace: use another host or create this Ingress in namespace team-a"
    );
    assert!(p.ingresses[&ObjKey::new("team-b", "web")].hosts.is_empty());
}

#[test]
fn backends_that_cannot_be_found_give_empty_pools() {
    let cfg = l7_config(|_| {});
    let p = only_plan(
        &cfg,
        &join(&[
            ingress_class("avi", true, None),
            ingress(
                "default",
                "web",
                1,
                "",
                &[rule(
                    "foo.com",
                    &[
                        ("/missing", "Prefix", "nope", "80"),
                        ("/port", "Prefix", "svc1", "grpc"),
                        ("/ext", "Prefix", "ext", "80"),
                        ("/ok", "Prefix", "svc1", "http"),
                    ],
                )],
            ),
            svc_and_eps(),
            "apiVersion: v1\nkind: Service\nmetadata: {name: ext, namespace: default}\nspec: {type: ExternalName, externalName: x.example.com, ports: [{port: 80}]}\n".to_owned(),
        ]),
    );
    let servers: Vec<(String, usize)> = p
        .avi
        .pools
        .iter()
        .map(|x| (x.name.clone(), x.servers.len()))
        .collect();
    assert_eq!(
        servers,
        [
            ("cluster--foo.com_ext-default-web".to_owned(), 0),
            ("cluster--foo.com_missing-default-web".to_owned(), 0),
            ("cluster--foo.com_ok-default-web".to_owned(), 1),
            ("cluster--foo.com_port-default-web".to_owned(), 0),
        ]
    );
    let msgs: Vec<&str> = findings(&p, "default", "web")
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        msgs,
        [
            "spec.rules[0].http.paths[0].backend.service: Service \"nope\" not found in namespace default: the pool has no servers until the backend exists",
            "spec.rules[0].http.paths[1].backend.service: port \"grpc\" not found on Service default/svc1 (its ports: 80 (\"http\")): the pool has no servers until the backend exists",
            "spec.rules[0].http.paths[2].backend.service: Service default/ext is of type ExternalName, which has no endpoints: the pool has no servers until the backend exists",
        ]
    );
    assert!(
        findings(&p, "default", "web")
            .iter()
            .all(|f| f.reason == "BackendNotFound")
    );
}

#[test]
fn duplicates_exact_paths_and_name_conflicts() {
    let cfg = l7_config(|_| {});
    let p = only_plan(
        &cfg,
        &join(&[
            ingress_class("avi", true, None),
            ingress(
                "default",
                "old",
                1,
                "",
                &[rule("foo.com", &[("/a", "Prefix", "svc1", "80")])],
            ),
            ingress(
                "default",
                "new",
                2,
                "",
                &[rule(
                    "foo.com",
                    &[
                        ("/a", "Prefix", "svc1", "80"),
                        ("/A", "Exact", "svc1", "80"),
                        ("/x/y", "Prefix", "svc1", "80"),
                        ("/x_y", "Prefix", "svc1", "80"),
                    ],
                )],
            ),
            svc_and_eps(),
        ]),
    );
    assert_eq!(
        reasons(findings(&p, "default", "new")),
        ["PathDuplicate", "PathDuplicate", "NameConflict"]
    );
    let members: Vec<&str> = p.avi.poolgroups[0]
        .members
        .iter()
        .map(|m| m.priority_label.as_deref().unwrap())
        .collect();
    assert_eq!(members, ["foo.com/a", "foo.com/x/y"]);
    // An Exact path on a shared HTTP host is served, with a warning.
    let p = only_plan(
        &cfg,
        &join(&[
            ingress_class("avi", true, None),
            ingress(
                "default",
                "web",
                1,
                "",
                &[rule("foo.com", &[("/e", "Exact", "svc1", "80")])],
            ),
            svc_and_eps(),
        ]),
    );
    assert_eq!(reasons(findings(&p, "default", "web")), ["ExactPathAsPrefix"]);
    assert_eq!(p.avi.pools.len(), 1);
}

#[test]
fn class_and_infra_setting_problems_keep_ingresses_off_avi() {
    let cfg = l7_config(|_| {});
    let web = ingress(
        "default",
        "web",
        1,
        "  ingressClassName: edge\n",
        &[rule("foo.com", &[("/", "Prefix", "svc1", "80")])],
    );
    // The class names an AviInfraSetting that does not exist, then one that is Rejected.
    for (setting, state) in [
        (String::new(), "which does not exist"),
        (
            infra_setting("is1", "", "Rejected"),
            "which is not Accepted (Rejected)",
        ),
    ] {
        let p = only_plan(
            &cfg,
            &join(&[ingress_class("edge", false, Some("is1")), web.clone(), setting]),
        );
        assert_eq!(p.ownership, Ownership::NotOurs);
        assert!(p.avi.is_empty());
        let f = findings(&p, "default", "web");
        assert_eq!(reasons(f), ["InfraSettingNotReady"]);
        assert_eq!(
            f[0].message,
            format!(
                "spec.ingressClassName: IngressClass \"edge\" names AviInfraSetting \"is1\", {state}: the Ingress is not served until it is Accepted"
            )
        );
    }
    // A class breaking ICL-PARAMS builds none of its Ingresses.
    let bad = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: edge}\nspec:\n  controller: ako.vmware.com/avi-lb\n  parameters: {apiGroup: example.com, kind: Thing, name: t}\n";
    let p = only_plan(&cfg, &join(&[bad.to_owned(), web]));
    assert!(p.avi.is_empty());
    let f = findings(&p, "default", "web");
    assert_eq!(reasons(f), ["InvalidIngressClass"]);
    assert_eq!(f[0].code.as_deref(), Some("ICL-PARAMS"));
}

#[test]
fn an_ingress_without_a_key_still_gets_its_report() {
    let cfg = l7_config(|_| {});
    let ctx = l7_ctx(&cfg);
    let snap = l7_snapshot(
        &cfg,
        &join(&[
            ingress_class("a", true, None),
            ingress_class("b", true, None),
            ingress(
                "default",
                "web",
                1,
                "",
                &[rule("foo.com", &[("/", "Prefix", "svc1", "80")])],
            ),
        ]),
    );
    assert!(snap.keys().is_empty());
    let r = ingress_report(&ctx, &snap, &ObjKey::new("default", "web")).unwrap();
    assert!(!r.ours && r.hosts.is_empty());
    assert_eq!(reasons(&r.findings), ["MultipleDefaultClasses"]);
    assert_eq!(
        r.findings[0].message,
        "spec.ingressClassName: unset, and IngressClasses \"a\", \"b\" are all marked default (ingressclass.kubernetes.io/is-default-class): none is used: set spec.ingressClassName or keep one default"
    );
    assert!(ingress_report(&ctx, &snap, &ObjKey::new("default", "nope")).is_none());
}

#[test]
fn namespace_sync_and_generated_hosts() {
    let cfg = l7_config(|r| r.scope.blocked_namespace = vec!["off".into()]);
    let plans = l7_translate(
        &cfg,
        &join(&[
            ingress_class("avi", true, None),
            ingress(
                "off",
                "web",
                1,
                "",
                &[rule("foo.com", &[("/", "Prefix", "svc1", "80")])],
            ),
            ingress(
                "default",
                "gen",
                2,
                "  defaultBackend: {service: {name: svc1, port: {number: 80}}}\n",
                &[rule("", &[("/", "Prefix", "svc1", "80")])],
            ),
            svc_and_eps(),
        ]),
    );
    // foo.com of a namespace not synced has no key; the host-less rule is gen.default.avi.internal.
    assert_eq!(plans.len(), 1);
    let p = plans.values().next().unwrap();
    let ing = &p.ingresses[&ObjKey::new("default", "gen")];
    assert_eq!(ing.hosts, ["gen.default.avi.internal"]);
    assert_eq!(reasons(&ing.findings), ["DefaultBackendIgnored"]);
}

#[test]
fn too_long_names_skip_the_entry_or_the_host() {
    let cfg = l7_config(|_| {});
    let long_path = format!("/{}", "p".repeat(240));
    let p = only_plan(
        &cfg,
        &join(&[
            ingress_class("avi", true, None),
            ingress(
                "default",
                "web",
                1,
                "",
                &[rule(
                    "foo.com",
                    &[
                        (&long_path, "Prefix", "svc1", "80"),
                        ("/ok", "Prefix", "svc1", "80"),
                    ],
                )],
            ),
            svc_and_eps(),
        ]),
    );
    assert_eq!(p.avi.pools.len(), 1);
    let f = findings(&p, "default", "web");
    assert_eq!(reasons(f), ["NameTooLong"]);
    assert!(
        f[0].message
            .starts_with("spec.rules[0].http.paths[0]: the Avi pool name \"cluster--foo.com_"),
        "{}",
        f[0].message
    );
    let len = format!("cluster--foo.com_{}-default-web", "p".repeat(240)).len();
    assert!(
        f[0].message.contains(&format!(
            "is {len} characters long, over Avi's limit of 255: this entry is not served"
        )),
        "{}",
        f[0].message
    );
    // A secure host whose SNI child name is too long is not served at all.
    let host = format!(
        "{}.{}.{}.{}.com",
        "a".repeat(60),
        "b".repeat(60),
        "c".repeat(60),
        "d".repeat(60)
    );
    let p = only_plan(
        &cfg,
        &join(&[
            ingress_class("avi", true, None),
            ingress(
                "default",
                "web",
                1,
                &tls(&[&host], "noo-tls"),
                &[rule(&host, &[("/", "Prefix", "svc1", "80")])],
            ),
            secret("default", "noo-tls", CERT, KEY),
        ]),
    );
    assert!(p.avi.child_virtualservices.is_empty() && p.avi.pools.is_empty());
    assert_eq!(reasons(findings(&p, "default", "web")), ["NameTooLong"]);
}

#[test]
fn parent_fqdn_follows_auto_fqdn() {
    let yaml = join(&[
        ingress_class("avi", true, None),
        ingress(
            "default",
            "web",
            1,
            "",
            &[rule("foo.com", &[("/", "Prefix", "svc1", "80")])],
        ),
    ]);
    let fqdns = |mode: &str| -> Vec<String> {
        let p = only_plan(&l7_config(|r| r.auto_fqdn = Some(mode.into())), &yaml);
        p.avi
            .vsvip
            .unwrap()
            .dns_info
            .into_iter()
            .map(|d| d.fqdn)
            .collect()
    };
    assert_eq!(
        fqdns("default"),
        ["cluster--Shared-L7-0.admin.avi.internal", "foo.com"]
    );
    assert_eq!(
        fqdns("flat"),
        ["cluster--Shared-L7-0-admin.avi.internal", "foo.com"]
    );
    assert_eq!(fqdns("disabled"), ["foo.com"]);
}

#[test]
fn nodeport_mode_pools_list_the_nodes() {
    let cfg = l7_config(|r| r.service_type = Some("NodePort".into()));
    let p = only_plan(
        &cfg,
        &join(&[
            ingress_class("avi", true, None),
            ingress("default", "web", 1, "", &[rule("foo.com", &[("/", "Prefix", "np", "80")])]),
            "apiVersion: v1\nkind: Service\nmetadata: {name: np, namespace: default}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 30080}]}\n".to_owned(),
            "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {addresses: [{type: InternalIP, address: 192.168.0.1}]}\n".to_owned(),
        ]),
    );
    let s = &p.avi.pools[0].servers;
    assert_eq!((s[0].ip.addr.as_str(), s[0].port), ("192.168.0.1", Some(30080)));
}

#[test]
fn re_translating_hosts_gives_the_full_translation_of_those_hosts() {
    let cfg = l7_config(|_| {});
    let ctx = l7_ctx(&cfg);
    let mut snap = l7_snapshot(&cfg, &worked_example());
    let change = objs(&endpoints(
        "default",
        "svc2",
        ("http", 8080),
        &[("10.1.2.9", true)],
    ))
    .remove(0);
    let changes = snap.upsert_detailed(change);
    let (key, hosts): (&Key, &BTreeSet<String>) = changes.hosts.iter().next().unwrap();
    assert_eq!(hosts.iter().collect::<Vec<_>>(), ["noo.com"]);
    let part = translate_l7_hosts(&ctx, &snap, key, hosts);
    let full = translate_key(&ctx, &snap, key);
    let part_names = kinds_and_names(&part.avi);
    assert_eq!(
        part_names,
        [
            "sslkeyandcertificate cluster--noo.com",
            "pool cluster--default-noo.com_bar-ing2",
            "pool cluster--default-noo.com_bar_v2-ing2",
            "poolgroup cluster--default-noo.com_bar-ing2",
            "poolgroup cluster--default-noo.com_bar_v2-ing2",
            "httppolicyset cluster--default-noo.com",
            "virtualservice cluster--noo.com",
        ]
    );
    for o in part.avi.create_order() {
        let same = full
            .avi
            .create_order()
            .into_iter()
            .find(|f| f.kind() == o.kind() && f.name() == o.name())
            .unwrap();
        assert_eq!(
            serde_json::to_value(o).unwrap(),
            serde_json::to_value(same).unwrap()
        );
    }
    assert!(part.avi.pools[0].servers.iter().any(|s| s.ip.addr == "10.1.2.9"));
}

#[test]
fn status_lists_served_hosts_sorted() {
    let s = ingress_status([("b.com", "10.0.0.2"), ("a.com", "10.0.0.1")]);
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"loadBalancer": {"ingress": [
            {"hostname": "a.com", "ip": "10.0.0.1"}, {"hostname": "b.com", "ip": "10.0.0.2"}]}})
    );
    assert_eq!(
        serde_json::to_value(ingress_status([])).unwrap(),
        serde_json::json!({"loadBalancer": {}})
    );
}

#[test]
fn parents_come_with_their_first_host_and_go_with_their_setting() {
    let cfg = l7_config(|_| {});
    let ctx = l7_ctx(&cfg);
    let mut snap = l7_snapshot(&cfg, &infra_setting("is1", "", "Accepted"));
    // A class naming an Accepted setting, no Ingress yet: no key yields anything.
    for o in objs(&ingress_class("avi", true, Some("is1"))) {
        for k in snap.upsert(o) {
            assert!(
                translate_key(&ctx, &snap, &k).avi.is_empty(),
                "{k} would create a parent"
            );
        }
    }
    // The first host creates its shard's parent.
    let web = ingress(
        "default",
        "web",
        1,
        "",
        &[rule("abc.com", &[("/", "Prefix", "svc1", "80")])],
    );
    let named = snap.upsert(objs(&web).remove(0));
    assert_eq!(l7_key_names(named.clone()), ["cluster--Shared-L7-is1-4"]);
    let key = named.into_iter().next().unwrap();
    snap.delete(
        avigw_shared::translate::ObjectKind::Ingress,
        Some("default"),
        "web",
    );
    assert!(!translate_key(&ctx, &snap, &key).avi.is_empty(), "kept");
    // Its setting's SE group changes: the kept parent is to be updated where it stands, and is
    // not a key to sync (that would create the parents that never had a host).
    let c = snap
        .upsert_detailed(objs(&infra_setting("is1", "", "Accepted").replace("se-is1", "se-other")).remove(0));
    assert!(c.keys.is_empty(), "{:?}", c.keys);
    assert!(c.kept_parents.contains(&key) && c.kept_parents.len() == 8);
    let vs = translate_key(&ctx, &snap, &key).avi.virtualservice.unwrap();
    assert_eq!(
        vs.se_group_ref.as_deref(),
        Some("/api/serviceenginegroup?name=se-other")
    );
    // The setting is Rejected: its kept parent is named, and yields nothing (deleted).
    let named = snap.upsert(objs(&infra_setting("is1", "", "Rejected")).remove(0));
    assert!(named.contains(&key), "{named:?}");
    assert!(translate_key(&ctx, &snap, &key).avi.is_empty());
}
