//! Golden files: the examples in manifests/examples (the seeds' scenarios) translated with a
//! fixed config. Regenerate with `UPDATE_GOLDEN=1 cargo test -p avigw-shared --test translate_golden`.
mod translate_util;

use std::path::{Path, PathBuf};

use avigw_shared::translate::{Object, Snapshot, infra_setting_status, parse_manifests, translate_all};
use translate_util::*;

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../manifests/examples");
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

fn golden_config() -> avigw_shared::config::Config {
    config(|r| {
        r.cluster_name = Some("demo".into());
        r.scope.default_domain = Some("avi.example.com".into());
        r.vip_network = vec!["vip-global=10.50.0.0/24".into()];
    })
}

fn load(files: &[PathBuf]) -> Vec<Object> {
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let m = parse_manifests(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        out.extend(m.objects.into_iter().map(|o| match o {
            // The reconciler judges settings that have no status yet, as `plan` does.
            Object::AviInfraSetting(mut a) if a.status.is_none() => {
                a.status = Some(infra_setting_status(&a));
                Object::AviInfraSetting(a)
            }
            o => o,
        }));
    }
    out
}

fn check(name: &str, files: &[PathBuf]) {
    let cfg = golden_config();
    let snap = Snapshot::from_objects(cfg.service_type, load(files));
    let got = to_json(&translate_all(&ctx(&cfg), &snap)) + "\n";
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
            "{} differs from the translation at line {}:\n  got:  {}\n  want: {}\nrun with UPDATE_GOLDEN=1 if the change is intended",
            path.display(),
            line + 1,
            got.lines().nth(line).unwrap_or(""),
            want.lines().nth(line).unwrap_or("")
        );
    }
}

fn example(name: &str) -> PathBuf {
    Path::new(EXAMPLES).join(name)
}

#[test]
fn golden_000_gateway_two_tcp_listeners() {
    check(
        "000-gateway-two-tcp-listeners",
        &[example("000-gateway-two-tcp-listeners.yaml")],
    );
}

#[test]
fn golden_000_with_endpoints() {
    check(
        "000-with-endpoints",
        &[
            example("000-gateway-two-tcp-listeners.yaml"),
            Path::new(GOLDEN).join("inputs/000-endpoints.yaml"),
        ],
    );
}

#[test]
fn golden_001_gateway_static_ip_hostname() {
    check(
        "001-gateway-static-ip-hostname",
        &[example("001-gateway-static-ip-hostname.yaml")],
    );
}

#[test]
fn golden_003_loadbalancer_preferred_ip() {
    check(
        "003-loadbalancer-preferred-ip",
        &[example("003-loadbalancer-preferred-ip.yaml")],
    );
}

#[test]
fn golden_004_gateway_udp_tcp_infrasetting() {
    check(
        "004-gateway-udp-tcp-infrasetting",
        &[example("004-gateway-udp-tcp-infrasetting.yaml")],
    );
}

#[test]
fn every_example_has_a_golden() {
    for e in std::fs::read_dir(EXAMPLES).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        let stem = name.trim_end_matches(".yaml");
        assert!(
            Path::new(GOLDEN).join(format!("{stem}.json")).exists()
                || std::env::var_os("UPDATE_GOLDEN").is_some(),
            "no golden for {name}"
        );
    }
}
