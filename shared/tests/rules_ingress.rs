//! The Ingress and IngressClass rules of SPEC-ingress §2, through the one entry point
//! [`judge`]: each valid case, each invalid case, the exact message.

mod common;

use std::sync::Arc;

use avigw_shared::api::ShardSize;
use avigw_shared::config::{LabelPair, Scope};
use avigw_shared::rules::{
    Change, MAX_WARNING_LEN, ParsedIngress, ParsedIngressClass, Review, RuleCode, RuleKind, Verdict,
    analyze_host, judge,
};
use common::TestView as View;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

fn class_yaml(name: &str, controller: &str, default: bool, params: &str) -> IngressClass {
    serde_yaml::from_str(&format!(
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: {name}\n  annotations: {{ingressclass.kubernetes.io/is-default-class: '{default}'}}\nspec:\n  controller: {controller}{params}\n"
    ))
    .unwrap()
}

fn class(name: &str, default: bool, infra: Option<&str>) -> Arc<ParsedIngressClass> {
    let params = infra
        .map(|i| format!("\n  parameters: {{apiGroup: ako.vmware.com, kind: AviInfraSetting, name: {i}}}"))
        .unwrap_or_default();
    Arc::new(ParsedIngressClass::new(&class_yaml(
        name,
        "ako.vmware.com/avi-lb",
        default,
        &params,
    )))
}

/// An Ingress `ns/name` created at minute `minute` (none when `minute` is `None`), with `spec`
/// (YAML, indented two spaces).
fn raw_at(ns: &str, name: &str, minute: Option<u32>, spec: &str) -> Ingress {
    let created = minute
        .map(|m| format!(", creationTimestamp: '2024-01-01T00:{m:02}:00Z'"))
        .unwrap_or_default();
    serde_yaml::from_str(&format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {name}, namespace: {ns}{created}}}\nspec:\n{spec}"
    ))
    .unwrap_or_else(|e| panic!("{e}\n{spec}"))
}

fn raw(ns: &str, name: &str, minute: u32, spec: &str) -> Ingress {
    raw_at(ns, name, Some(minute), spec)
}

/// The scope the tests judge with: `--default-domain avi.internal`, the rest default.
fn scope() -> Scope {
    Scope {
        default_domain: Some("avi.internal".into()),
        ..Scope::default()
    }
}

/// An Ingress as the view holds it.
fn ing(ns: &str, name: &str, minute: u32, spec: &str) -> Arc<ParsedIngress> {
    Arc::new(ParsedIngress::new(
        &raw(ns, name, minute, spec),
        Some("avi.internal"),
    ))
}

fn rule(host: &str, paths: &[(&str, &str)]) -> String {
    let paths: String = paths
        .iter()
        .map(|(p, t)| {
            format!("      - {{path: {p}, pathType: {t}, backend: {{service: {{name: svc, port: {{number: 80}}}}}}}}\n")
        })
        .collect();
    format!("  - host: {host}\n    http:\n      paths:\n{paths}")
}

fn rules(rs: &[String]) -> String {
    format!("  rules:\n{}", rs.concat())
}

fn view() -> View {
    View {
        ingress_classes: vec![class("avi", true, None)],
        ..Default::default()
    }
}

/// A create of `new`, judged with [`scope`].
fn create(v: &View, new: &Ingress) -> Verdict {
    create_with(v, new, &scope())
}

fn create_with(v: &View, new: &Ingress, scope: &Scope) -> Verdict {
    let review = Review::Ingress(Change::create(new));
    assert_eq!(review.kind(), RuleKind::Ingress);
    judge(&review, v, scope)
}

fn update(v: &View, old: &Ingress, new: &Ingress) -> Verdict {
    judge(&Review::Ingress(Change::update(old, new)), v, &scope())
}

fn only(v: &Verdict) -> (RuleCode, String) {
    let all: Vec<_> = v.violations.iter().chain(&v.warnings).collect();
    assert_eq!(all.len(), 1, "{v:#?}");
    (all[0].code, all[0].to_string())
}

#[test]
fn a_valid_ingress_has_no_findings() {
    let v = view();
    let new = raw(
        "shop",
        "web",
        5,
        &format!(
            "  tls: [{{hosts: [a.com], secretName: s}}]\n{}",
            rules(&[rule("a.com", &[("/x", "Prefix"), ("/x/y", "Exact")])])
        ),
    );
    let verdict = create(&v, &new);
    assert!(
        verdict.violations.is_empty() && verdict.warnings.is_empty(),
        "{verdict:#?}"
    );
}

#[test]
fn other_controllers_ingresses_are_not_judged() {
    let mut v = view();
    v.ingress_classes = vec![];
    let new = raw("shop", "web", 5, &rules(&[rule("'*.a.com'", &[("/", "Prefix")])]));
    assert!(create(&v, &new).violations.is_empty());
    // Two defaults: none is ours.
    v.ingress_classes = vec![class("a", true, None), class("b", true, None)];
    assert!(create(&v, &new).violations.is_empty());
}

#[test]
fn host_taken_by_another_namespace() {
    let mut v = view();
    v.ingresses = vec![
        (ing(
            "team-a",
            "web",
            1,
            &rules(&[rule("shop.example.com", &[("/", "Prefix")])]),
        )),
    ];
    let new = raw(
        "team-b",
        "web",
        5,
        &rules(&[
            rule("other.com", &[("/", "Prefix")]),
            rule("shop.example.com", &[("/", "Prefix")]),
        ]),
    );
    let verdict = create(&v, &new);
    assert_eq!(
        only(&verdict),
        (
            RuleCode::IngHostTaken,
            "spec.rules[1].host: \"shop.example.com\" is already served by Ingress team-a/web: a host belongs to one namespace: use another host or create this Ingress in namespace team-a".to_owned()
        )
    );
    // The same host in the same namespace is fine.
    let same = raw(
        "team-a",
        "api",
        5,
        &rules(&[rule("shop.example.com", &[("/api", "Prefix")])]),
    );
    assert!(create(&v, &same).violations.is_empty());
    // An update only judges hosts the stored object lacked.
    assert!(update(&v, &new, &new).violations.is_empty());
    let before = raw(
        "team-b",
        "web",
        5,
        &rules(&[rule("other.com", &[("/", "Prefix")])]),
    );
    assert_eq!(only(&update(&v, &before, &new)).0, RuleCode::IngHostTaken);
    // The other namespace is not synced: its Ingress does not count. Blocked:
    let blocked = Scope {
        blocked_namespaces: vec!["team-a".into()],
        ..scope()
    };
    assert!(create_with(&v, &new, &blocked).violations.is_empty());
    // Or without the namespace selector's label:
    let selected = Scope {
        namespace_selector: Some(LabelPair {
            key: "avi".into(),
            value: "on".into(),
        }),
        ..scope()
    };
    assert!(create_with(&v, &new, &selected).violations.is_empty());
    v.namespaces
        .insert("team-a".into(), [("avi".to_owned(), "on".to_owned())].into());
    assert_eq!(only(&create_with(&v, &new, &selected)).0, RuleCode::IngHostTaken);
}

#[test]
fn host_taken_names_the_owner_not_another_claimant() {
    // team-a owns the host; team-b's Ingress got in while the webhook was down and is not
    // served. A new Ingress of team-a joins its namespace's host; one of team-c is told the
    // owner.
    let mut v = view();
    let h = || rules(&[rule("shop.com", &[("/", "Prefix")])]);
    v.ingresses = vec![ing("team-b", "late", 3, &h()), ing("team-a", "web", 1, &h())];
    let joins = raw(
        "team-a",
        "api",
        5,
        &rules(&[rule("shop.com", &[("/api", "Prefix")])]),
    );
    let verdict = create(&v, &joins);
    assert!(verdict.allowed(), "{verdict:#?}");
    let (code, message) = only(&create(&v, &raw("team-c", "x", 5, &h())));
    assert_eq!(code, RuleCode::IngHostTaken);
    assert!(
        message.contains("already served by Ingress team-a/web"),
        "{message}"
    );
}

#[test]
fn an_ingress_the_view_holds_is_judged_at_its_age() {
    // plan and check judge the objects they hold: the oldest claim owns the host, as the
    // translation decides, and only the others are denied.
    let h = || rules(&[rule("shop.com", &[("/", "Prefix")])]);
    let a = raw("team-a", "web", 1, &h());
    let b = raw("team-b", "web", 2, &h());
    let mut v = view();
    for i in [&a, &b] {
        v.ingresses
            .push(Arc::new(ParsedIngress::new(i, Some("avi.internal"))));
    }
    assert!(create(&v, &a).allowed(), "{:#?}", create(&v, &a));
    assert_eq!(only(&create(&v, &b)).0, RuleCode::IngHostTaken);
    // Without timestamps (manifests), namespace/name decide.
    let a = raw_at("team-a", "web", None, &h());
    let b = raw_at("team-b", "web", None, &h());
    v.ingresses = [&a, &b]
        .iter()
        .map(|i| Arc::new(ParsedIngress::new(i, Some("avi.internal"))))
        .collect();
    assert!(create(&v, &a).allowed());
    assert_eq!(only(&create(&v, &b)).0, RuleCode::IngHostTaken);
    // A create the view does not hold is the newest claim, whatever its timestamp says: it
    // never takes a host from its owner.
    v.ingresses.retain(|i| i.namespace == "team-b");
    let earlier = raw("team-a", "web", 0, &h());
    assert_eq!(only(&create(&v, &earlier)).0, RuleCode::IngHostTaken);
    // Nor does an update that adds the host to an older Ingress.
    let before = raw(
        "team-a",
        "web",
        0,
        &rules(&[rule("other.com", &[("/", "Prefix")])]),
    );
    v.ingresses
        .push(Arc::new(ParsedIngress::new(&before, Some("avi.internal"))));
    assert_eq!(only(&update(&v, &before, &earlier)).0, RuleCode::IngHostTaken);
}

#[test]
fn host_taken_by_another_infra_setting() {
    let mut v = view();
    v.ingress_classes.push(class("edge", false, Some("is1")));
    v.ingresses = vec![
        (ing(
            "shop",
            "old",
            1,
            &format!(
                "  ingressClassName: edge\n{}",
                rules(&[rule("a.com", &[("/", "Prefix")])])
            ),
        )),
    ];
    let new = raw("shop", "new", 5, &rules(&[rule("a.com", &[("/x", "Prefix")])]));
    assert_eq!(
        only(&create(&v, &new)),
        (
            RuleCode::IngHostTaken,
            "spec.rules[0].host: \"a.com\" is already served by Ingress shop/old with AviInfraSetting \"is1\" (this Ingress's class gives none): a host belongs to one AviInfraSetting: use another host or the IngressClass of Ingress shop/old".to_owned()
        )
    );
}

#[test]
fn wildcard_hosts_are_denied() {
    let v = view();
    let new = raw(
        "shop",
        "web",
        5,
        &format!(
            "  tls: [{{hosts: ['*.b.com'], secretName: s}}]\n{}",
            rules(&[rule("'*.a.com'", &[("/", "Prefix")])])
        ),
    );
    let verdict = create(&v, &new);
    let msgs: Vec<String> = verdict.violations.iter().map(|x| x.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "spec.rules[0].host: \"*.a.com\": wildcard hosts are not supported yet: use the full host name",
            "spec.tls[0].hosts[0]: \"*.b.com\": wildcard hosts are not supported yet: use the full host name"
        ]
    );
    assert!(
        verdict
            .violations
            .iter()
            .all(|x| x.code == RuleCode::IngHostWildcard)
    );
}

#[test]
fn resource_backends_are_denied() {
    let v = view();
    let new = raw(
        "shop",
        "web",
        5,
        "  rules:\n  - host: a.com\n    http:\n      paths:\n      - {path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}\n      - {path: /b, pathType: Prefix, backend: {resource: {apiGroup: k8s.example.com, kind: Bucket, name: pics}}}\n",
    );
    assert_eq!(
        only(&create(&v, &new)),
        (
            RuleCode::IngBackendResource,
            "spec.rules[0].http.paths[1].backend.resource: Unsupported value: k8s.example.com/Bucket \"pics\": only service backends are supported: set backend.service".to_owned()
        )
    );
}

#[test]
fn warnings_rule_without_http_default_backend_empty_host_unused_tls_host() {
    let v = view();
    let new = raw(
        "shop",
        "web",
        5,
        "  defaultBackend: {service: {name: s, port: {number: 80}}}\n  tls: [{hosts: [a.com, z.com], secretName: s}]\n  rules:\n  - host: a.com\n  - host: b.com\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}\n",
    );
    let verdict = create(&v, &new);
    assert!(verdict.violations.is_empty());
    // a.com is named by a rule (one without http), so it is no unused TLS host.
    let msgs: Vec<(RuleCode, String)> = verdict.warnings.iter().map(|w| (w.code, w.to_string())).collect();
    assert_eq!(
        msgs,
        [
            (
                RuleCode::IngRuleNoHttp,
                "spec.rules[0]: the rule for host \"a.com\" has no http paths: the rule is not served: add http.paths".to_owned()
            ),
            (
                RuleCode::IngTlsUnusedHost,
                "spec.tls[0].hosts[1]: \"z.com\" is the host of no rule of this Ingress: add a rule for it or remove it".to_owned()
            ),
            (
                RuleCode::IngDefaultBackend,
                "spec.defaultBackend: is not used by avigw: add a rule with path \"/\" instead".to_owned()
            ),
        ]
    );
}

#[test]
fn empty_host_warns_only_without_default_domain() {
    let v = view();
    let spec = "  rules:\n  - http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}\n";
    let new = raw("shop", "web", 5, spec);
    assert!(create(&v, &new).warnings.is_empty());
    assert_eq!(
        ParsedIngress::new(&new, Some("avi.internal")).rule_hosts(),
        ["web.shop.avi.internal"]
    );
    assert_eq!(
        only(&create_with(&v, &new, &Scope::default())),
        (
            RuleCode::IngHostEmpty,
            "spec.rules[0].host: is empty and no --default-domain is set: the rule is skipped: set a host"
                .to_owned()
        )
    );
}

#[test]
fn path_duplicate_with_an_older_ingress_and_within_one() {
    let mut v = view();
    v.ingresses = vec![(ing("shop", "old", 1, &rules(&[rule("a.com", &[("/x", "Prefix")])])))];
    let new = raw(
        "shop",
        "new",
        5,
        &rules(&[rule(
            "a.com",
            &[("/x", "Prefix"), ("/y", "Prefix"), ("/y", "Exact")],
        )]),
    );
    let verdict = create(&v, &new);
    let msgs: Vec<String> = verdict.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "spec.rules[0].http.paths[0]: host \"a.com\" path \"/x\" (Prefix) is already served by the older Ingress shop/old: this entry is not served: remove it or change its path",
            "spec.rules[0].http.paths[2]: host \"a.com\" path \"/y\" is already in spec.rules[0].http.paths[1] of this Ingress: this entry is not served: remove one of them",
        ]
    );
    assert!(
        verdict
            .warnings
            .iter()
            .all(|w| w.code == RuleCode::IngPathDuplicate)
    );
    // Another pathType is another entry (on a TLS host, where it is matched exactly).
    let other = raw(
        "shop",
        "new",
        5,
        &format!(
            "  tls: [{{hosts: [a.com], secretName: s}}]\n{}",
            rules(&[rule("a.com", &[("/x", "Exact")])])
        ),
    );
    assert!(
        create(&v, &other).warnings.is_empty(),
        "{:#?}",
        create(&v, &other)
    );
    // A newer Ingress with the same entry does not make the older one a duplicate (an older
    // Ingress the view holds is judged at its age: on update, or in plan).
    let older = raw("shop", "older", 0, &rules(&[rule("a.com", &[("/x", "Prefix")])]));
    v.ingresses
        .push(Arc::new(ParsedIngress::new(&older, Some("avi.internal"))));
    assert!(update(&v, &older, &older).warnings.is_empty());
    assert!(create(&v, &older).warnings.is_empty());
    // A create the view does not hold yet is the newest, whatever its timestamp.
    v.ingresses.pop();
    assert_eq!(only(&create(&v, &older)).0, RuleCode::IngPathDuplicate);
}

#[test]
fn tls_conflict_names_both_secrets() {
    let mut v = view();
    v.ingresses = vec![
        (ing(
            "shop",
            "old",
            1,
            &format!(
                "  tls: [{{hosts: [a.com], secretName: old-tls}}]\n{}",
                rules(&[rule("a.com", &[("/x", "Prefix")])])
            ),
        )),
    ];
    let new = raw(
        "shop",
        "new",
        5,
        &format!(
            "  tls: [{{hosts: [a.com], secretName: new-tls}}]\n{}",
            rules(&[rule("a.com", &[("/y", "Prefix")])])
        ),
    );
    assert_eq!(
        only(&create(&v, &new)),
        (
            RuleCode::IngTlsConflict,
            "spec.tls[0].secretName: host \"a.com\" already gets Secret \"old-tls\" from the older Ingress shop/old, not \"new-tls\": the older one's is used: use the same Secret or remove the host from this entry".to_owned()
        )
    );
}

#[test]
fn exact_path_on_a_shared_http_host() {
    let mut v = view();
    let new = raw("shop", "web", 5, &rules(&[rule("a.com", &[("/x", "Exact")])]));
    assert_eq!(
        only(&create(&v, &new)),
        (
            RuleCode::IngPathExactHttp,
            "spec.rules[0].http.paths[0].pathType: Exact path \"/x\" on host \"a.com\" is matched as a case-insensitive prefix on the shared virtual service (no Ingress lists the host under spec.tls): add the host under spec.tls or use shard size DEDICATED".to_owned()
        )
    );
    // Another Ingress of the namespace makes the host a TLS host.
    v.ingresses = vec![(ing("shop", "tls", 9, "  tls: [{hosts: [a.com], secretName: s}]\n"))];
    assert!(create(&v, &new).warnings.is_empty());
    // DEDICATED, globally or by the class's AviInfraSetting, matches exactly.
    v.ingresses.clear();
    let dedicated = Scope {
        shard_vs_size: ShardSize::Dedicated,
        ..scope()
    };
    assert!(create_with(&v, &new, &dedicated).warnings.is_empty());
    v.ingress_classes.push(class("edge", false, Some("is1")));
    v.settings.push(Arc::new(
        serde_yaml::from_str(
            "apiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata: {name: is1}\nspec: {l7Settings: {shardSize: DEDICATED}}\nstatus: {status: Accepted}\n",
        )
        .unwrap(),
    ));
    let edge = raw(
        "shop",
        "web",
        5,
        &format!(
            "  ingressClassName: edge\n{}",
            rules(&[rule("a.com", &[("/x", "Exact")])])
        ),
    );
    assert!(create(&v, &edge).warnings.is_empty());
}

#[test]
fn all_findings_together() {
    let mut v = view();
    v.ingresses = vec![(ing("team-a", "web", 1, &rules(&[rule("t.com", &[("/", "Prefix")])])))];
    let new = raw(
        "shop",
        "web",
        5,
        &format!(
            "  defaultBackend: {{service: {{name: s, port: {{number: 80}}}}}}\n{}",
            rules(&[
                rule("'*.w.com'", &[("/", "Prefix")]),
                rule("t.com", &[("/", "Prefix")]),
                rule("e.com", &[("/e", "Exact")]),
            ])
        ),
    );
    let verdict = create(&v, &new);
    let codes: Vec<RuleCode> = verdict.violations.iter().map(|x| x.code).collect();
    assert_eq!(codes, [RuleCode::IngHostWildcard, RuleCode::IngHostTaken]);
    let codes: Vec<RuleCode> = verdict.warnings.iter().map(|x| x.code).collect();
    assert_eq!(codes, [RuleCode::IngDefaultBackend, RuleCode::IngPathExactHttp]);
}

#[test]
fn warnings_stay_within_256_characters() {
    let long = format!("{}.{}.example.com", "a".repeat(63), "b".repeat(63));
    let path = format!("/{}", "p".repeat(300));
    let mut v = view();
    v.ingresses = vec![
        (ing(
            "shop",
            &"o".repeat(60),
            1,
            &format!(
                "  tls: [{{hosts: [{long}], secretName: {}}}]\n{}",
                "s".repeat(200),
                rules(&[rule(&long, &[(&path, "Prefix")])])
            ),
        )),
    ];
    let new = raw(
        "shop",
        &"n".repeat(60),
        5,
        &format!(
            "  tls: [{{hosts: [{long}, z{long}], secretName: {}}}]\n{}",
            "t".repeat(200),
            rules(&[rule(&long, &[(&path, "Prefix"), (&path, "Exact")])])
        ),
    );
    let verdict = create(&v, &new);
    assert!(verdict.warnings.len() >= 3, "{verdict:#?}");
    for w in verdict.warning_messages() {
        assert!(w.len() <= MAX_WARNING_LEN, "{} > 256: {w}", w.len());
    }
}

#[test]
fn host_analysis_keeps_the_oldest_and_orders_by_age() {
    let old = ing(
        "shop",
        "old",
        1,
        &rules(&[rule("a.com", &[("/x", "Prefix"), ("/Y", "Prefix")])]),
    );
    let new = ing(
        "shop",
        "new",
        5,
        &rules(&[rule("a.com", &[("/x", "Prefix"), ("/y", "Prefix")])]),
    );
    // On a shared parent /Y and /y have the same label (case-insensitive): the older wins.
    let a = analyze_host("a.com", &[&*old, &*new], true);
    let served: Vec<(&str, &str)> = a
        .entries
        .iter()
        .map(|e| (e.ingress.name.as_str(), e.path.path.as_str()))
        .collect();
    assert_eq!(served, [("old", "/x"), ("old", "/Y")]);
    assert_eq!(a.findings.len(), 2);
    assert!(
        a.findings
            .iter()
            .all(|(i, w)| i.name == "new" && w.code == RuleCode::IngPathDuplicate)
    );
    assert!(
        a.findings[1].1.message.contains("case-insensitive"),
        "{}",
        a.findings[1].1
    );
    // On an SNI child they are different paths.
    let a = analyze_host("a.com", &[&*old, &*new], false);
    assert_eq!(a.entries.len(), 3);
}

#[test]
fn ingress_class_rules_through_judge() {
    let ours = class_yaml("avi", "ako.vmware.com/avi-lb", false, "");
    let bad_params = class_yaml(
        "avi",
        "ako.vmware.com/avi-lb",
        false,
        "\n  parameters: {apiGroup: example.com, kind: Thing, name: t}",
    );
    let review = Review::IngressClass(Change::create(&bad_params));
    assert_eq!(review.kind(), RuleKind::IngressClass);
    assert_eq!(
        only(&judge(&review, &view(), &scope())),
        (
            RuleCode::IclParams,
            "spec.parameters: Unsupported value: apiGroup \"example.com\" kind \"Thing\" scope \"\": supported: apiGroup \"ako.vmware.com\" kind \"AviInfraSetting\" scope \"Cluster\" or unset".to_owned()
        )
    );
    let nginx = class_yaml("avi", "example.com/nginx", false, "");
    let changed = Review::IngressClass(Change::update(&ours, &nginx));
    assert_eq!(
        only(&judge(&changed, &view(), &scope())),
        (
            RuleCode::IclControllerImmutable,
            "spec.controller: Invalid value: \"example.com/nginx\": field is immutable (it was \"ako.vmware.com/avi-lb\"); create a new IngressClass instead".to_owned()
        )
    );
    // Another controller's class, with any parameters, is not judged.
    let foreign = class_yaml(
        "nginx",
        "example.com/nginx",
        false,
        "\n  parameters: {apiGroup: example.com, kind: Thing, name: t}",
    );
    assert_eq!(
        judge(&Review::IngressClass(Change::create(&foreign)), &view(), &scope()),
        Verdict::default()
    );
}
