//! Properties of the Ingress translation over random clusters: deterministic and independent
//! of arrival order; every served host on exactly one key; no two desired objects with the same
//! (type, name); every ref to an object of the key or a system object; switching rules in a
//! total order; and incremental = full (applying changes one by one and re-translating what
//! each names, hosts only where a change says so, gives the translation of the final cluster).
mod l7_util;

use std::collections::{BTreeMap, BTreeSet};

use avigw_shared::avi::{AviObjects, parse_ref};
use avigw_shared::config::Config;
use avigw_shared::translate::{
    Key, KeyPlan, Object, ObjectKind, Snapshot, parse_manifests, translate_all, translate_key,
    translate_l7_hosts,
};
use l7_util::*;
use proptest::prelude::*;
use serde_json::{Value, json};

const NS: [&str; 3] = ["a", "a", "b"];
const ING: [&str; 3] = ["i1", "i2", "i3"];
const HOSTS: [&str; 6] = [
    "h1.example.com",
    "h2.example.com",
    "h3.example.com",
    "h4.example.com",
    "",
    "*.w.com",
];
const PATHS: [(&str, &str); 8] = [
    ("/", "Prefix"),
    ("/a", "Prefix"),
    ("/a", "Exact"),
    ("/a/b", "ImplementationSpecific"),
    ("/a_b", "Prefix"),
    ("", "ImplementationSpecific"),
    ("/A", "Prefix"),
    ("/a/", "Prefix"),
];
const SVC: [&str; 3] = ["s1", "s2", "s3"];

fn obj(v: Value) -> Option<Object> {
    parse_manifests(&serde_json::to_string(&v).ok()?)
        .ok()?
        .objects
        .into_iter()
        .next()
}

fn any_path() -> impl Strategy<Value = Value> {
    (0..PATHS.len(), 0..SVC.len(), 0..4usize).prop_map(|(p, s, port)| {
        let (path, t) = PATHS[p];
        let port = [
            json!({"number": 80}),
            json!({"name": "http"}),
            json!({"number": 81}),
            json!({"number": 99}),
        ][port]
            .clone();
        let mut v = json!({"pathType": t, "backend": {"service": {"name": SVC[s], "port": port}}});
        if !path.is_empty() {
            v["path"] = json!(path);
        }
        v
    })
}

fn any_rule() -> impl Strategy<Value = Value> {
    (
        0..HOSTS.len(),
        proptest::option::weighted(0.9, proptest::collection::vec(any_path(), 1..4)),
    )
        .prop_map(|(h, paths)| {
            let mut r = json!({});
            if !HOSTS[h].is_empty() {
                r["host"] = json!(HOSTS[h]);
            }
            if let Some(p) = paths {
                r["http"] = json!({"paths": p});
            }
            r
        })
}

fn any_ingress() -> impl Strategy<Value = Value> {
    (
        0..NS.len(),
        0..ING.len(),
        0..4u32,
        0..4usize,
        proptest::option::weighted(0.4, (proptest::collection::vec(0..4usize, 1..3), 0..3usize)),
        proptest::collection::vec(any_rule(), 0..3),
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(ns, name, minute, class, tls, rules, default_backend)| {
            let mut spec = json!({"rules": rules});
            if let Some(c) = [Some("c1"), Some("c1"), Some("c2"), None][class] {
                spec["ingressClassName"] = json!(c);
            }
            if let Some((hosts, secret)) = tls {
                let hosts: Vec<&str> = hosts.iter().map(|h| HOSTS[*h]).collect();
                spec["tls"] = json!([{"hosts": hosts, "secretName": (["t1", "t2", ""][secret])}]);
            }
            if default_backend {
                spec["defaultBackend"] = json!({"service": {"name": "s1", "port": {"number": 80}}});
            }
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": {"name": ING[name], "namespace": NS[ns], "generation": 1,
                             "creationTimestamp": format!("2024-01-01T00:0{minute}:00Z")},
                "spec": spec})
        })
}

fn any_class() -> impl Strategy<Value = Value> {
    (0..2usize, proptest::bool::weighted(0.85), any::<bool>(), 0..4usize).prop_map(|(c, ours, default, params)| {
        let mut v = json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": {"name": (["c1", "c2"][c]), "annotations": {"ingressclass.kubernetes.io/is-default-class": default.to_string()}},
            "spec": {"controller": if ours { "ako.vmware.com/avi-lb" } else { "example.com/nginx" }}});
        match params {
            1 | 2 => v["spec"]["parameters"] = json!({"apiGroup": "ako.vmware.com", "kind": "AviInfraSetting", "name": "is1"}),
            3 => v["spec"]["parameters"] = json!({"apiGroup": "example.com", "kind": "Thing", "name": "is1"}),
            _ => {}
        }
        v
    })
}

fn any_other() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0..3usize, 0..2usize).prop_map(|(s, ty)| json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": SVC[s], "namespace": "a"},
            "spec": {"type": (["ClusterIP", "NodePort"][ty]), "ports": [
                {"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080},
                {"name": "alt", "port": 81, "targetPort": 8081, "nodePort": 30081}]}})),
        (0..3usize, proptest::collection::vec((0..4u8, any::<bool>()), 0..3)).prop_map(|(s, eps)| {
            let endpoints: Vec<Value> = eps
                .iter()
                .map(|(ip, ready)| json!({"addresses": [format!("10.0.0.{ip}")], "conditions": {"ready": ready}}))
                .collect();
            json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": format!("{}-x", SVC[s]), "namespace": "a", "labels": {"kubernetes.io/service-name": SVC[s]}},
                "addressType": "IPv4", "ports": [{"name": "http", "protocol": "TCP", "port": 8080}], "endpoints": endpoints})
        }),
        (0..2usize, 0..2usize, any::<bool>()).prop_map(|(ns, s, valid)| json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": (["t1", "t2"][s]), "namespace": (["a", "b"][ns])},
            "stringData": {"tls.crt": CERT, "tls.key": if valid { KEY } else { OTHER_KEY }}})),
        (0..2usize, any::<bool>()).prop_map(|(n, sync)| json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": (["a", "b"][n]), "labels": {"avi": if sync { "sync" } else { "no" }}}})),
        (0..3usize, 0..5usize).prop_map(|(st, size)| {
            let mut v = json!({"apiVersion": "ako.vmware.com/v1alpha1", "kind": "AviInfraSetting",
                "metadata": {"name": "is1"}, "spec": {"seGroup": {"name": "se"}},
                "status": {"status": (["Accepted", "Rejected", "Accepted"][st])}});
            if let Some(s) = [None, Some("SMALL"), Some("DEDICATED"), Some("MEDIUM"), Some("LARGE")][size] {
                v["spec"]["l7Settings"] = json!({"shardSize": s});
            }
            v
        }),
        (0..2usize).prop_map(|n| json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": (["n1", "n2"][n])},
            "status": {"addresses": [{"type": "InternalIP", "address": format!("192.168.0.{n}")}]}})),
    ]
}

fn any_object() -> impl Strategy<Value = Value> {
    prop_oneof![4 => any_ingress(), 1 => any_class(), 3 => any_other()]
}

fn any_config() -> impl Strategy<Value = Config> {
    (0..4usize, proptest::bool::weighted(0.3), any::<bool>(), 0..2usize).prop_map(
        |(size, ns_sel, domain, mode)| {
            l7_config(|r| {
                r.scope.shard_vs_size = Some(["LARGE", "MEDIUM", "SMALL", "DEDICATED"][size].into());
                r.scope.namespace_selector = ns_sel.then(|| "avi=sync".into());
                r.scope.default_domain = domain.then(|| "example.com".into());
                r.service_type = Some(["ClusterIP", "NodePort"][mode].into());
            })
        },
    )
}

/// A cluster every case starts from: a default class of ours, two Services, a valid Secret.
fn base() -> Vec<Object> {
    objs(&join(&[
        ingress_class("c1", true, None),
        svc("a", "s1", &[("http", 80, 8080)]),
        endpoints(
            "a",
            "s1",
            ("http", 8080),
            &[("10.1.0.1", true), ("10.1.0.2", false)],
        ),
        svc("a", "s2", &[("http", 80, 8080)]),
        secret("a", "t1", CERT, KEY),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {avi: sync}}\n".to_owned(),
    ]))
}

type Id = (ObjectKind, Option<String>, String);

fn identity(o: &Object) -> Id {
    let m = o.metadata();
    let ns = o
        .kind()
        .namespaced()
        .then(|| m.namespace.clone().unwrap_or_else(|| "default".into()));
    (o.kind(), ns, m.name.clone().unwrap_or_default())
}

/// What one change named: keys (with the hosts, when only some changed) and kept parents.
#[derive(Default)]
struct Named {
    keys: Vec<(Key, Option<BTreeSet<String>>)>,
    kept_parents: BTreeSet<Key>,
}

/// Upserts `o`, then reads (from `model`) every Secret the change asks for, as the reconciler
/// does.
fn apply(
    snap: &mut Snapshot,
    model: &BTreeMap<Id, Object>,
    change: Option<Object>,
    delete: Option<&Id>,
) -> Named {
    let mut out = Named::default();
    let mut pending = vec![];
    let first = match (change, delete) {
        (Some(o), _) => snap.upsert_detailed(o),
        (None, Some(id)) => snap.delete_detailed(id.0, id.1.as_deref(), &id.2),
        (None, None) => return out,
    };
    pending.push(first);
    while let Some(c) = pending.pop() {
        for k in &c.keys {
            out.keys.push((k.clone(), c.hosts.get(k).cloned()));
        }
        out.kept_parents.extend(c.kept_parents.iter().cloned());
        for s in &c.fetch_secrets {
            let id = (ObjectKind::Secret, Some(s.namespace.clone()), s.name.clone());
            if let Some(o) = model.get(&id) {
                pending.push(snap.upsert_detailed(o.clone()));
            }
        }
    }
    out
}

fn build(cfg: &Config, objects: impl IntoIterator<Item = Object>) -> Snapshot {
    let objects: Vec<Object> = objects.into_iter().collect();
    let model: BTreeMap<Id, Object> = objects.iter().map(|o| (identity(o), o.clone())).collect();
    let mut snap = Snapshot::for_config(cfg);
    for o in objects {
        apply(&mut snap, &model, Some(o), None);
    }
    snap
}

fn json_of(plans: &BTreeMap<Key, KeyPlan>) -> String {
    serde_json::to_string(plans).unwrap()
}

/// Every `*_ref` / `*_refs` string in an object, as (kind, name).
fn refs(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if k.ends_with("_ref") || k.ends_with("_refs") {
                    for r in v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]) {
                        let t = parse_ref(r.as_str().unwrap()).unwrap();
                        out.push((t.kind, t.name.unwrap()));
                    }
                } else {
                    refs(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

const SYSTEM_KINDS: [&str; 9] = [
    "tenant",
    "cloud",
    "vrfcontext",
    "serviceenginegroup",
    "network",
    "applicationprofile",
    "networkprofile",
    "healthmonitor",
    "sslprofile",
];

fn check_graph(plans: &BTreeMap<Key, KeyPlan>) -> Result<(), TestCaseError> {
    let mut all: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut host_key: BTreeMap<&str, &Key> = BTreeMap::new();
    for (k, p) in plans {
        let names = p.avi.names();
        let own: BTreeSet<(&str, &str)> = names.iter().copied().collect();
        for n in &names {
            prop_assert!(all.insert(*n), "{n:?} desired twice");
            prop_assert!(n.1.starts_with("cluster--") && n.1.len() <= 255, "{n:?}");
        }
        for o in p.avi.create_order() {
            let mut r = Vec::new();
            refs(&serde_json::to_value(o).unwrap(), &mut r);
            for (kind, name) in r {
                let ok = SYSTEM_KINDS.contains(&kind.as_str())
                    || (kind == "sslkeyandcertificate" && name == "System-Default-Cert")
                    || own.contains(&(kind.as_str(), name.as_str()));
                prop_assert!(
                    ok,
                    "{} {} refers to {kind} {name}, not in its key {k}",
                    o.kind(),
                    o.name()
                );
            }
        }
        for ing in p.ingresses.values() {
            for h in &ing.hosts {
                let prev = host_key.insert(h, k);
                prop_assert!(prev.is_none_or(|x| x == k), "host {h} served on {k} and {prev:?}");
            }
        }
        for set in &p.avi.httppolicysets {
            let rules = &set.http_request_policy.rules;
            let mut names = BTreeSet::new();
            let mut last: Option<(bool, bool, std::cmp::Reverse<usize>)> = None;
            for (i, r) in rules.iter().enumerate() {
                prop_assert_eq!(r.index as usize, i);
                prop_assert!(names.insert(&r.name));
                if r.switching_action.is_none() {
                    continue;
                }
                let key = match r.match_.as_ref().and_then(|m| m.path.as_ref()) {
                    Some(pm) => (
                        false,
                        pm.match_criteria != "EQUALS",
                        std::cmp::Reverse(pm.match_str[0].len()),
                    ),
                    None => (true, false, std::cmp::Reverse(0)),
                };
                prop_assert!(
                    last.is_none_or(|l| l <= key),
                    "rules of {} out of order",
                    set.name
                );
                last = Some(key);
            }
        }
    }
    Ok(())
}

/// Writes a host re-translation's objects over a key's last objects; each must exist there.
fn splice(into: &mut AviObjects, part: &AviObjects) -> Result<(), TestCaseError> {
    fn replace<T: Clone>(v: &mut [T], new: &[T], name: impl Fn(&T) -> &str) -> Result<(), TestCaseError> {
        for n in new {
            let slot = v.iter_mut().find(|o| name(o) == name(n));
            prop_assert!(slot.is_some(), "{} is new: not a host-only change", name(n));
            if let Some(s) = slot {
                *s = n.clone();
            }
        }
        Ok(())
    }
    replace(
        &mut into.sslkeyandcertificates,
        &part.sslkeyandcertificates,
        |o| &o.name,
    )?;
    replace(&mut into.pools, &part.pools, |o| &o.name)?;
    replace(&mut into.poolgroups, &part.poolgroups, |o| &o.name)?;
    replace(&mut into.httppolicysets, &part.httppolicysets, |o| &o.name)?;
    replace(
        &mut into.child_virtualservices,
        &part.child_virtualservices,
        |o| &o.name,
    )?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, .. ProptestConfig::default() })]

    #[test]
    fn generated_objects_parse(v in any_object()) {
        prop_assert!(obj(v.clone()).is_some(), "{}", v);
    }

    #[test]
    fn deterministic_order_independent_and_a_sound_graph(cfg in any_config(), values in proptest::collection::vec(any_object(), 0..20)) {
        let mut latest: BTreeMap<Id, Object> = BTreeMap::new();
        for o in base().into_iter().chain(values.into_iter().filter_map(obj)) {
            latest.insert(identity(&o), o);
        }
        let forward: Vec<Object> = latest.values().cloned().collect();
        let backward: Vec<Object> = forward.iter().rev().cloned().collect();
        let ctx = l7_ctx(&cfg);
        let a = build(&cfg, forward);
        let b = build(&cfg, backward);
        let plans = translate_all(&ctx, &a);
        let first = json_of(&plans);
        prop_assert_eq!(&first, &json_of(&translate_all(&ctx, &a)));
        prop_assert_eq!(&first, &json_of(&translate_all(&ctx, &b)));
        check_graph(&plans)?;
    }

    #[test]
    fn incremental_matches_full(cfg in any_config(), initial in proptest::collection::vec(any_object(), 0..12), changes in proptest::collection::vec((any_object(), proptest::bool::weighted(0.2)), 1..14)) {
        let ctx = l7_ctx(&cfg);
        let mut model: BTreeMap<Id, Object> = BTreeMap::new();
        for o in base().into_iter().chain(initial.into_iter().filter_map(obj)) {
            model.insert(identity(&o), o);
        }
        let mut snap = build(&cfg, model.values().cloned());
        let mut cache: BTreeMap<Key, KeyPlan> = translate_all(&ctx, &snap);
        let mut spliced: BTreeSet<Key> = BTreeSet::new();
        for (value, delete) in changes {
            let Some(o) = obj(value) else { continue };
            let id = identity(&o);
            let named = if delete {
                model.remove(&id);
                apply(&mut snap, &model, None, Some(&id))
            } else {
                model.insert(id, o.clone());
                apply(&mut snap, &model, Some(o), None)
            };
            // A kept parent is updated where it stands (on Avi: here, a cached plan with objects).
            for k in named.kept_parents {
                if cache.get(&k).is_some_and(|p| !p.avi.is_empty()) {
                    cache.insert(k.clone(), translate_key(&ctx, &snap, &k));
                    spliced.remove(&k);
                }
            }
            for (k, hosts) in named.keys {
                match (hosts, cache.get_mut(&k)) {
                    (Some(h), Some(last)) => {
                        let part = translate_l7_hosts(&ctx, &snap, &k, &h);
                        splice(&mut last.avi, &part.avi)?;
                        spliced.insert(k);
                    }
                    _ => {
                        cache.insert(k.clone(), translate_key(&ctx, &snap, &k));
                        spliced.remove(&k);
                    }
                }
            }
        }
        let fresh = build(&cfg, model.values().cloned());
        let with_hosts = fresh.keys();
        for k in &with_hosts {
            prop_assert!(cache.contains_key(k), "{} is a key but no change named it", k);
        }
        for (k, cached) in &cache {
            let now = translate_key(&ctx, &snap, k);
            let avi = |p: &KeyPlan| serde_json::to_string(&p.avi).unwrap();
            // A parent without hosts that does not stand is created with its first host.
            let never_created = !with_hosts.contains(k) && cached.avi.is_empty() && now.ingresses.is_empty();
            if never_created {
                continue;
            }
            if spliced.contains(k) {
                prop_assert_eq!(avi(cached), avi(&now), "stale objects of {}", k);
            } else {
                prop_assert_eq!(serde_json::to_string(cached).unwrap(), serde_json::to_string(&now).unwrap(), "stale translation of {}", k);
            }
            prop_assert_eq!(serde_json::to_string(&now).unwrap(), serde_json::to_string(&translate_key(&ctx, &fresh, k)).unwrap(), "index drift for {}", k);
        }
    }
}
