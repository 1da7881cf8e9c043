//! Golden files of the Ingress translation: SPEC-ingress §9's worked example object for object,
//! the same Ingresses DEDICATED, and through an AviInfraSetting with `shardSize: SMALL`. Each
//! holds every key's plan (private keys redacted, as `plan` prints them) and, per Ingress, its
//! report and the status it gets once each key has a VIP (192.0.2.10, .11, ... in key order).
//! Regenerate with `UPDATE_GOLDEN=1 cargo test -p avigw-shared --test translate_l7_golden`.
mod l7_util;

use std::collections::BTreeMap;
use std::path::Path;

use avigw_shared::config::Config;
use avigw_shared::translate::{
    IngressReport, Key, KeyPlan, Snapshot, ingress_report, parse_manifests, translate_all,
};
use k8s_openapi::api::networking::v1::IngressStatus;
use l7_util::*;
use serde::Serialize;

/// Serialized from the typed values, so the JSON keeps their field order (create order).
#[derive(Serialize)]
struct Golden {
    plans: BTreeMap<Key, KeyPlan>,
    ingresses: BTreeMap<String, IngressGolden>,
}

#[derive(Serialize)]
struct IngressGolden {
    report: IngressReport,
    status: IngressStatus,
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

fn input(name: &str) -> String {
    std::fs::read_to_string(Path::new(GOLDEN).join("inputs").join(name)).unwrap()
}

fn render(cfg: &Config, yaml: &str) -> Golden {
    let objects = parse_manifests(yaml).unwrap().objects;
    let snap = Snapshot::from_config_objects(cfg, objects);
    let ctx = l7_ctx(cfg);
    let plans: BTreeMap<Key, KeyPlan> = translate_all(&ctx, &snap)
        .into_iter()
        .map(|(k, p)| (k, p.redacted()))
        .collect();
    let vips: BTreeMap<&Key, String> = plans
        .keys()
        .enumerate()
        .map(|(i, k)| (k, format!("192.0.2.{}", 10 + i)))
        .collect();
    let mut ingresses = BTreeMap::new();
    let ids: Vec<_> = plans.values().flat_map(|p| p.ingresses.keys().cloned()).collect();
    for id in ids {
        let report = ingress_report(&ctx, &snap, &id).expect("report");
        let status = report.status(|k| vips.get(k).map(String::as_str));
        ingresses.insert(id.to_string(), IngressGolden { report, status });
    }
    Golden { plans, ingresses }
}

fn check(name: &str, cfg: &Config, yaml: &str) {
    let got = serde_json::to_string_pretty(&render(cfg, yaml)).unwrap() + "\n";
    assert!(!got.contains("PRIVATE KEY"), "a private key in a golden file");
    let path = Path::new(GOLDEN).join(format!("{name}.json"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1 to create it", path.display()));
    if got != want {
        let line = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{} differs at line {}:\n  got:  {}\n  want: {}\nrun with UPDATE_GOLDEN=1 if the change is intended",
            path.display(),
            line + 1,
            got.lines().nth(line).unwrap_or(""),
            want.lines().nth(line).unwrap_or("")
        );
    }
}

#[test]
fn golden_l7_worked_example() {
    check(
        "l7-worked-example",
        &l7_config(|_| {}),
        &input("l7-worked-example.yaml"),
    );
}

#[test]
fn golden_l7_dedicated() {
    check(
        "l7-dedicated",
        &l7_config(|r| r.scope.shard_vs_size = Some("DEDICATED".into())),
        &input("l7-worked-example.yaml"),
    );
}

#[test]
fn golden_l7_infra_setting_small() {
    let yaml = format!(
        "{}---\n{}",
        input("l7-worked-example.yaml"),
        input("l7-infra-small.yaml")
    );
    check("l7-infra-small", &l7_config(|_| {}), &yaml);
}
