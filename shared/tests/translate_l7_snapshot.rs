//! The Ingress side of the snapshot: host ownership, the keys each change names (an Ingress:
//! those of its old and new hosts), host-only changes, and which Secrets are kept.
mod l7_util;

use std::collections::BTreeSet;

use avigw_shared::config::ServiceType;
use avigw_shared::rules::ClusterView;
use avigw_shared::translate::{Changes, ObjectKind, Snapshot};
use l7_util::*;

fn upsert(snap: &mut Snapshot, yaml: &str) -> Changes {
    let mut all = Changes::default();
    for o in objs(yaml) {
        let c = snap.upsert_detailed(o);
        all.keys.extend(c.keys);
        all.hosts.extend(c.hosts);
        all.fetch_secrets.extend(c.fetch_secrets);
    }
    all
}

fn names(c: &Changes) -> Vec<String> {
    l7_key_names(c.keys.iter().cloned())
}

fn base() -> String {
    join(&[
        ingress_class("avi", true, None),
        ingress(
            "default",
            "ing1",
            1,
            "",
            &[rule("foo.com", &[("/foo", "Prefix", "svc1", "80")])],
        ),
        svc("default", "svc1", &[("http", 80, 8080)]),
    ])
}

#[test]
fn an_ingress_change_names_the_keys_of_its_old_and_new_hosts() {
    let cfg = l7_config(|_| {});
    let mut snap = l7_snapshot(&cfg, &base());
    assert_eq!(l7_key_names(snap.keys()), ["cluster--Shared-L7-0"]);
    // foo.com (shard 0) → bar.com (shard 1).
    let c = upsert(
        &mut snap,
        &ingress(
            "default",
            "ing1",
            1,
            "",
            &[rule("bar.com", &[("/foo", "Prefix", "svc1", "80")])],
        ),
    );
    assert_eq!(names(&c), ["cluster--Shared-L7-0", "cluster--Shared-L7-1"]);
    assert!(c.hosts.is_empty(), "an Ingress change is a whole-key change");
    assert_eq!(l7_key_names(snap.keys()), ["cluster--Shared-L7-1"]);
    // The same object again changes nothing.
    let again = upsert(
        &mut snap,
        &ingress(
            "default",
            "ing1",
            1,
            "",
            &[rule("bar.com", &[("/foo", "Prefix", "svc1", "80")])],
        ),
    );
    assert!(again.keys.is_empty());
    let gone = snap.delete_detailed(ObjectKind::Ingress, Some("default"), "ing1");
    assert_eq!(names(&gone), ["cluster--Shared-L7-1"]);
    assert!(snap.keys().is_empty());
}

#[test]
fn an_endpoint_change_touches_only_the_hosts_routing_to_it() {
    let cfg = l7_config(|_| {});
    let mut snap = l7_snapshot(
        &cfg,
        &join(&[
            base(),
            ingress(
                "default",
                "ing3",
                2,
                "",
                &[rule("abc.com", &[("/", "Prefix", "svc3", "80")])],
            ),
        ]),
    );
    let c = upsert(
        &mut snap,
        &endpoints("default", "svc1", ("http", 8080), &[("10.1.1.1", true)]),
    );
    assert_eq!(names(&c), ["cluster--Shared-L7-0"]);
    let hosts: Vec<&String> = c.hosts.values().flatten().collect();
    assert_eq!(hosts, ["foo.com"]);
    // A Service nothing routes to names no Ingress key (only its own Service key, as for L4).
    let c = upsert(&mut snap, &svc("default", "unused", &[("http", 80, 8080)]));
    assert!(
        c.keys.iter().all(|k| k.kind() == "Service") && c.hosts.is_empty(),
        "{c:?}"
    );
}

#[test]
fn the_oldest_ingress_owns_a_host_across_namespaces() {
    let cfg = l7_config(|r| r.scope.namespace_selector = Some("avi=on".into()));
    let yaml = join(&[
        ingress_class("avi", true, Some("is1")),
        infra_setting("is1", "", "Accepted"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a, labels: {avi: 'on'}}\n".to_owned(),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-b, labels: {avi: 'on'}}\n".to_owned(),
        ingress(
            "team-b",
            "web",
            5,
            "",
            &[rule("shop.com", &[("/", "Prefix", "s", "80")])],
        ),
        ingress(
            "team-a",
            "web",
            1,
            "",
            &[rule("shop.com", &[("/", "Prefix", "s", "80")])],
        ),
    ]);
    let mut snap = l7_snapshot(&cfg, &yaml);
    let naming: Vec<String> = snap
        .ingresses_naming_host("shop.com")
        .iter()
        .map(|i| i.id())
        .collect();
    assert_eq!(naming, ["team-a/web", "team-b/web"]);
    // shop.com hashes to shard 6 (LARGE) and is on the infra setting's parent.
    assert_eq!(avigw_shared::naming::fnv1a32(b"shop.com") & 7, 6);
    assert_eq!(l7_key_names(snap.keys()), ["cluster--Shared-L7-is1-6"]);
    // team-a stops being synced: team-b takes the host, same key.
    let c = upsert(
        &mut snap,
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a, labels: {avi: 'off'}}\n",
    );
    assert_eq!(names(&c), ["cluster--Shared-L7-is1-6"]);
    let naming: Vec<String> = snap
        .ingresses_naming_host("shop.com")
        .iter()
        .map(|i| i.id())
        .collect();
    assert_eq!(naming, ["team-b/web"]);
}

#[test]
fn an_infra_setting_shard_size_moves_its_hosts() {
    let cfg = l7_config(|_| {});
    let yaml = join(&[
        ingress_class("avi", true, Some("is1")),
        infra_setting("is1", "", "Accepted"),
        ingress(
            "default",
            "ing",
            1,
            "",
            &[rule("abc.com", &[("/", "Prefix", "s", "80")])],
        ),
    ]);
    let mut snap = l7_snapshot(&cfg, &yaml);
    assert_eq!(l7_key_names(snap.keys()), ["cluster--Shared-L7-is1-4"]);
    let c = upsert(
        &mut snap,
        &infra_setting("is1", "  l7Settings: {shardSize: SMALL}\n", "Accepted"),
    );
    // abc.com leaves shard 4 for shard 0; every LARGE parent of is1 is named so that those
    // beyond the new size go.
    let named = names(&c);
    for n in 0..8 {
        assert!(
            named.contains(&format!("cluster--Shared-L7-is1-{n}")),
            "{named:?}"
        );
    }
    assert_eq!(l7_key_names(snap.keys()), ["cluster--Shared-L7-is1-0"]);
    upsert(
        &mut snap,
        &infra_setting("is1", "  l7Settings: {shardSize: DEDICATED}\n", "Accepted"),
    );
    assert_eq!(l7_key_names(snap.keys()), ["cluster--is1-abc.com-L7-dedicated"]);
    // Rejected: the setting's size no longer applies; the host stays on a key (to report it).
    upsert(
        &mut snap,
        &infra_setting("is1", "  l7Settings: {shardSize: DEDICATED}\n", "Rejected"),
    );
    assert_eq!(l7_key_names(snap.keys()), ["cluster--Shared-L7-is1-4"]);
}

#[test]
fn secrets_are_kept_only_while_named_and_fetched_when_named_later() {
    let cfg = l7_config(|_| {});
    let mut snap = l7_snapshot(&cfg, &base());
    // Nobody names it: dropped on arrival.
    let c = upsert(&mut snap, &secret("default", "noo-tls", CERT, KEY));
    assert!(c.keys.is_empty() && c.fetch_secrets.is_empty());
    // A TLS entry names it now: the reconciler must read it.
    let ing2 = ingress(
        "default",
        "ing2",
        2,
        &tls(&["noo.com"], "noo-tls"),
        &[rule("noo.com", &[("/bar", "Prefix", "svc2", "http")])],
    );
    let c = upsert(&mut snap, &ing2);
    let fetch: Vec<String> = c.fetch_secrets.iter().map(|k| k.to_string()).collect();
    assert_eq!(fetch, ["default/noo-tls"]);
    // Read: it becomes valid, the host's key changes as a whole.
    let c = upsert(&mut snap, &secret("default", "noo-tls", CERT, KEY));
    assert_eq!(names(&c), ["cluster--Shared-L7-0"]);
    assert!(c.hosts.is_empty());
    // Its text changes but it stays valid: only that host's objects change.
    let c = upsert(
        &mut snap,
        &secret("default", "noo-tls", &format!("{CERT}{CERT}"), KEY),
    );
    assert_eq!(c.hosts.values().flatten().collect::<Vec<_>>(), ["noo.com"]);
    // It turns invalid: whole key again.
    let c = upsert(&mut snap, &secret("default", "noo-tls", CERT, OTHER_KEY));
    assert!(c.hosts.is_empty() && names(&c) == ["cluster--Shared-L7-0"]);
    // The Ingress goes: the Secret is dropped and not to be fetched.
    let c = snap.delete_detailed(ObjectKind::Ingress, Some("default"), "ing2");
    assert!(c.fetch_secrets.is_empty());
    let before = snap.len();
    let c = upsert(&mut snap, &secret("default", "noo-tls", CERT, KEY));
    assert!(c.keys.is_empty() && snap.len() == before);
}

#[test]
fn class_changes_re_resolve_class_less_ingresses() {
    let cfg = l7_config(|_| {});
    let mut snap = l7_snapshot(&cfg, &base());
    // A second default class: nobody is default any more, foo.com loses its owner.
    let c = upsert(&mut snap, &ingress_class("avi2", true, None));
    assert_eq!(names(&c), ["cluster--Shared-L7-0"]);
    assert!(snap.keys().is_empty());
    let c = snap.delete_detailed(ObjectKind::IngressClass, None, "avi2");
    assert_eq!(names(&c), ["cluster--Shared-L7-0"]);
    assert_eq!(l7_key_names(snap.keys()), ["cluster--Shared-L7-0"]);
}

#[test]
fn a_snapshot_without_config_ignores_ingresses() {
    let mut snap = Snapshot::new(ServiceType::ClusterIP);
    let c = upsert(&mut snap, &base());
    let l7 =
        |keys: &BTreeSet<avigw_shared::translate::Key>| keys.iter().filter(|k| k.kind() == "Ingress").count();
    assert!(l7(&c.keys) == 0 && l7(&snap.keys()) == 0 && snap.len() == 1);
    let parents: BTreeSet<String> = l7_key_names(l7_snapshot(&l7_config(|_| {}), &base()).l7_parent_keys())
        .into_iter()
        .collect();
    assert_eq!(parents.len(), 8);
}

#[test]
fn a_class_change_keeps_the_secrets_of_its_ingresses() {
    let cfg = l7_config(|_| {});
    let ing2 = ingress(
        "default",
        "ing2",
        2,
        &tls(&["noo.com"], "noo-tls"),
        &[rule("noo.com", &[("/bar", "Prefix", "svc2", "http")])],
    );
    let mut snap = l7_snapshot(
        &cfg,
        &join(&[base(), ing2, secret("default", "noo-tls", CERT, KEY)]),
    );
    let held = snap.len();
    // The class gains an AviInfraSetting: its Ingresses move to is1's keys, their Secret stays.
    let c = upsert(
        &mut snap,
        &join(&[
            ingress_class("avi", true, Some("is1")),
            infra_setting("is1", "", "Accepted"),
        ]),
    );
    assert!(c.fetch_secrets.is_empty(), "{:?}", c.fetch_secrets);
    assert_eq!(snap.len(), held + 1, "only the AviInfraSetting was added");
}

#[test]
fn a_snapshot_from_objects_reads_secrets_listed_before_their_ingress() {
    let cfg = l7_config(|_| {});
    let ing2 = ingress(
        "default",
        "ing2",
        2,
        &tls(&["noo.com"], "noo-tls"),
        &[rule("noo.com", &[("/bar", "Prefix", "svc2", "http")])],
    );
    let snap = l7_snapshot(
        &cfg,
        &join(&[secret("default", "noo-tls", CERT, KEY), base(), ing2]),
    );
    let plans = avigw_shared::translate::translate_all(&l7_ctx(&cfg), &snap);
    let p = plans.values().next().unwrap();
    assert_eq!(p.avi.sslkeyandcertificates.len(), 1, "the Secret was read");
}
