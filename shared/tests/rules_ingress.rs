//! The Ingress rules of SPEC-ingress §2: each valid case, each invalid case, the exact message.

use std::collections::BTreeSet;
use std::sync::Arc;

use avigw_shared::api::{AviInfraSetting, ShardSize};
use avigw_shared::rules::{
    IngressClusterView, IngressRuleSettings, MAX_WARNING_LEN, ParsedIngress, ParsedIngressClass, RuleCode,
    Verdict, analyze_host, validate_ingress,
};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

#[derive(Default)]
struct View {
    classes: Vec<Arc<ParsedIngressClass>>,
    ingresses: Vec<Arc<ParsedIngress>>,
    unsynced: BTreeSet<String>,
    settings: Vec<Arc<AviInfraSetting>>,
}

impl IngressClusterView for View {
    fn ingress_class(&self, name: &str) -> Option<Arc<ParsedIngressClass>> {
        self.classes.iter().find(|c| c.name == name).cloned()
    }
    fn default_ingress_classes(&self) -> Vec<Arc<ParsedIngressClass>> {
        self.classes.iter().filter(|c| c.is_default).cloned().collect()
    }
    fn namespace_synced(&self, namespace: &str) -> bool {
        !self.unsynced.contains(namespace)
    }
    fn ingresses_naming_host(&self, host: &str) -> Vec<Arc<ParsedIngress>> {
        self.ingresses
            .iter()
            .filter(|i| i.rule_hosts().contains(&host) || i.tls_hosts().contains(&host))
            .cloned()
            .collect()
    }
    fn infra_setting(&self, name: &str) -> Option<Arc<AviInfraSetting>> {
        self.settings
            .iter()
            .find(|s| s.metadata.name.as_deref() == Some(name))
            .cloned()
    }
}

fn class(name: &str, default: bool, infra: Option<&str>) -> Arc<ParsedIngressClass> {
    let params = infra
        .map(|i| format!("\n  parameters: {{apiGroup: ako.vmware.com, kind: AviInfraSetting, name: {i}}}"))
        .unwrap_or_default();
    let c: IngressClass = serde_yaml::from_str(&format!(
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: {name}\n  annotations: {{ingressclass.kubernetes.io/is-default-class: '{default}'}}\nspec:\n  controller: ako.vmware.com/avi-lb{params}\n"
    ))
    .unwrap();
    Arc::new(ParsedIngressClass::new(&c))
}

/// An Ingress `ns/name` created at minute `minute`, with `spec` (YAML, indented two spaces).
fn ing(ns: &str, name: &str, minute: u32, spec: &str) -> ParsedIngress {
    let i: Ingress = serde_yaml::from_str(&format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {name}, namespace: {ns}, creationTimestamp: '2024-01-01T00:{minute:02}:00Z'}}\nspec:\n{spec}"
    ))
    .unwrap_or_else(|e| panic!("{e}\n{spec}"));
    ParsedIngress::new(&i, Some("avi.internal"))
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
        classes: vec![class("avi", true, None)],
        ..Default::default()
    }
}

fn settings() -> IngressRuleSettings {
    IngressRuleSettings::default()
}

fn judge(v: &View, new: &ParsedIngress) -> Verdict {
    validate_ingress(None, new, v, settings())
}

fn only(v: &Verdict) -> (RuleCode, String) {
    let all: Vec<_> = v.violations.iter().chain(&v.warnings).collect();
    assert_eq!(all.len(), 1, "{v:#?}");
    (all[0].code, all[0].to_string())
}

#[test]
fn a_valid_ingress_has_no_findings() {
    let v = view();
    let new = ing(
        "shop",
        "web",
        5,
        &format!(
            "  tls: [{{hosts: [a.com], secretName: s}}]\n{}",
            rules(&[rule("a.com", &[("/x", "Prefix"), ("/x/y", "Exact")])])
        ),
    );
    let verdict = judge(&v, &new);
    assert!(
        verdict.violations.is_empty() && verdict.warnings.is_empty(),
        "{verdict:#?}"
    );
}

#[test]
fn other_controllers_ingresses_are_not_judged() {
    let mut v = view();
    v.classes = vec![];
    let new = ing("shop", "web", 5, &rules(&[rule("'*.a.com'", &[("/", "Prefix")])]));
    assert!(judge(&v, &new).violations.is_empty());
    // Two defaults: none is ours.
    v.classes = vec![class("a", true, None), class("b", true, None)];
    assert!(judge(&v, &new).violations.is_empty());
}

#[test]
fn host_taken_by_another_namespace() {
    let mut v = view();
    v.ingresses = vec![Arc::new(ing(
        "team-a",
        "web",
        1,
        &rules(&[rule("shop.example.com", &[("/", "Prefix")])]),
    ))];
    let new = ing(
        "team-b",
        "web",
        5,
        &rules(&[
            rule("other.com", &[("/", "Prefix")]),
            rule("shop.example.com", &[("/", "Prefix")]),
        ]),
    );
    let verdict = judge(&v, &new);
    assert_eq!(
        only(&verdict),
        (
            RuleCode::IngHostTaken,
            "spec.rules[1].host: \"shop.example.com\" is already served by Ingress team-a/web: a host belongs to one namespace: use another host or create this Ingress in namespace team-a".to_owned()
        )
    );
    // The same host in the same namespace is fine.
    let same = ing(
        "team-a",
        "api",
        5,
        &rules(&[rule("shop.example.com", &[("/api", "Prefix")])]),
    );
    assert!(judge(&v, &same).violations.is_empty());
    // An update only judges hosts the stored object lacked.
    assert!(
        validate_ingress(Some(&new), &new, &v, settings())
            .violations
            .is_empty()
    );
    // The other namespace is not synced: its Ingress does not count.
    v.unsynced.insert("team-a".into());
    assert!(judge(&v, &new).violations.is_empty());
}

#[test]
fn host_taken_by_another_infra_setting() {
    let mut v = view();
    v.classes.push(class("edge", false, Some("is1")));
    v.ingresses = vec![Arc::new(ing(
        "shop",
        "old",
        1,
        &format!(
            "  ingressClassName: edge\n{}",
            rules(&[rule("a.com", &[("/", "Prefix")])])
        ),
    ))];
    let new = ing("shop", "new", 5, &rules(&[rule("a.com", &[("/x", "Prefix")])]));
    assert_eq!(
        only(&judge(&v, &new)),
        (
            RuleCode::IngHostTaken,
            "spec.rules[0].host: \"a.com\" is already served by Ingress shop/old with AviInfraSetting \"is1\" (this Ingress's class gives none): a host belongs to one AviInfraSetting: use another host or the IngressClass of Ingress shop/old".to_owned()
        )
    );
}

#[test]
fn wildcard_hosts_are_denied() {
    let v = view();
    let new = ing(
        "shop",
        "web",
        5,
        &format!(
            "  tls: [{{hosts: ['*.b.com'], secretName: s}}]\n{}",
            rules(&[rule("'*.a.com'", &[("/", "Prefix")])])
        ),
    );
    let verdict = judge(&v, &new);
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
    let new = ing(
        "shop",
        "web",
        5,
        "  rules:\n  - host: a.com\n    http:\n      paths:\n      - {path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}\n      - {path: /b, pathType: Prefix, backend: {resource: {apiGroup: k8s.example.com, kind: Bucket, name: pics}}}\n",
    );
    assert_eq!(
        only(&judge(&v, &new)),
        (
            RuleCode::IngBackendResource,
            "spec.rules[0].http.paths[1].backend.resource: Unsupported value: k8s.example.com/Bucket \"pics\": only service backends are supported: set backend.service".to_owned()
        )
    );
}

#[test]
fn warnings_rule_without_http_default_backend_empty_host_unused_tls_host() {
    let v = view();
    let new = ing(
        "shop",
        "web",
        5,
        "  defaultBackend: {service: {name: s, port: {number: 80}}}\n  tls: [{hosts: [a.com, z.com], secretName: s}]\n  rules:\n  - host: a.com\n  - host: b.com\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}\n",
    );
    let verdict = judge(&v, &new);
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
    let with_domain = ing("shop", "web", 5, spec);
    assert!(judge(&v, &with_domain).warnings.is_empty());
    assert_eq!(with_domain.rule_hosts(), ["web.shop.avi.internal"]);
    let i: Ingress = serde_yaml::from_str(&format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: web, namespace: shop}}\nspec:\n{spec}"
    ))
    .unwrap();
    let without = ParsedIngress::new(&i, None);
    assert_eq!(
        only(&judge(&v, &without)),
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
    v.ingresses = vec![Arc::new(ing(
        "shop",
        "old",
        1,
        &rules(&[rule("a.com", &[("/x", "Prefix")])]),
    ))];
    let new = ing(
        "shop",
        "new",
        5,
        &rules(&[rule(
            "a.com",
            &[("/x", "Prefix"), ("/y", "Prefix"), ("/y", "Exact")],
        )]),
    );
    let verdict = judge(&v, &new);
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
    let other = ing(
        "shop",
        "new",
        5,
        &format!(
            "  tls: [{{hosts: [a.com], secretName: s}}]\n{}",
            rules(&[rule("a.com", &[("/x", "Exact")])])
        ),
    );
    assert!(judge(&v, &other).warnings.is_empty(), "{:#?}", judge(&v, &other));
    // A newer Ingress with the same entry does not make the older one a duplicate.
    let older = ing("shop", "older", 0, &rules(&[rule("a.com", &[("/x", "Prefix")])]));
    assert!(judge(&v, &older).warnings.is_empty());
}

#[test]
fn tls_conflict_names_both_secrets() {
    let mut v = view();
    v.ingresses = vec![Arc::new(ing(
        "shop",
        "old",
        1,
        &format!(
            "  tls: [{{hosts: [a.com], secretName: old-tls}}]\n{}",
            rules(&[rule("a.com", &[("/x", "Prefix")])])
        ),
    ))];
    let new = ing(
        "shop",
        "new",
        5,
        &format!(
            "  tls: [{{hosts: [a.com], secretName: new-tls}}]\n{}",
            rules(&[rule("a.com", &[("/y", "Prefix")])])
        ),
    );
    assert_eq!(
        only(&judge(&v, &new)),
        (
            RuleCode::IngTlsConflict,
            "spec.tls[0].secretName: host \"a.com\" already gets Secret \"old-tls\" from the older Ingress shop/old, not \"new-tls\": the older one's is used: use the same Secret or remove the host from this entry".to_owned()
        )
    );
}

#[test]
fn exact_path_on_a_shared_http_host() {
    let mut v = view();
    let new = ing("shop", "web", 5, &rules(&[rule("a.com", &[("/x", "Exact")])]));
    assert_eq!(
        only(&judge(&v, &new)),
        (
            RuleCode::IngPathExactHttp,
            "spec.rules[0].http.paths[0].pathType: Exact path \"/x\" on host \"a.com\" is matched as a case-insensitive prefix on the shared virtual service (no Ingress lists the host under spec.tls): add the host under spec.tls or use shard size DEDICATED".to_owned()
        )
    );
    // Another Ingress of the namespace makes the host a TLS host.
    v.ingresses = vec![Arc::new(ing(
        "shop",
        "tls",
        9,
        "  tls: [{hosts: [a.com], secretName: s}]\n",
    ))];
    assert!(judge(&v, &new).warnings.is_empty());
    // DEDICATED, globally or by the class's AviInfraSetting, matches exactly.
    v.ingresses.clear();
    let dedicated = IngressRuleSettings {
        shard_size: ShardSize::Dedicated,
    };
    assert!(validate_ingress(None, &new, &v, dedicated).warnings.is_empty());
    v.classes.push(class("edge", false, Some("is1")));
    v.settings.push(Arc::new(
        serde_yaml::from_str(
            "apiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata: {name: is1}\nspec: {l7Settings: {shardSize: DEDICATED}}\nstatus: {status: Accepted}\n",
        )
        .unwrap(),
    ));
    let edge = ing(
        "shop",
        "web",
        5,
        &format!(
            "  ingressClassName: edge\n{}",
            rules(&[rule("a.com", &[("/x", "Exact")])])
        ),
    );
    assert!(judge(&v, &edge).warnings.is_empty());
}

#[test]
fn all_findings_together() {
    let mut v = view();
    v.ingresses = vec![Arc::new(ing(
        "team-a",
        "web",
        1,
        &rules(&[rule("t.com", &[("/", "Prefix")])]),
    ))];
    let new = ing(
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
    let verdict = judge(&v, &new);
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
    v.ingresses = vec![Arc::new(ing(
        "shop",
        &"o".repeat(60),
        1,
        &format!(
            "  tls: [{{hosts: [{long}], secretName: {}}}]\n{}",
            "s".repeat(200),
            rules(&[rule(&long, &[(&path, "Prefix")])])
        ),
    ))];
    let new = ing(
        "shop",
        &"n".repeat(60),
        5,
        &format!(
            "  tls: [{{hosts: [{long}, z{long}], secretName: {}}}]\n{}",
            "t".repeat(200),
            rules(&[rule(&long, &[(&path, "Prefix"), (&path, "Exact")])])
        ),
    );
    let verdict = judge(&v, &new);
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
    let a = analyze_host("a.com", &[&old, &new], true);
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
    let a = analyze_host("a.com", &[&old, &new], false);
    assert_eq!(a.entries.len(), 3);
}
