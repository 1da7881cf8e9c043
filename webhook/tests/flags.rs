//! A bad shared setting stops `avigw-webhook` before it does anything, with one line naming the
//! setting and exit code 2, as in the reconciler.

use std::process::Command;

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_avigw-webhook"))
        .args(args)
        // No cluster: a run that got past the settings would fail differently.
        .env("KUBECONFIG", "/nonexistent")
        .env_remove("AVIGW_METRICS_ADDR")
        .env_remove("AVIGW_DEFAULT_DOMAIN")
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn bad_metrics_addr_stops_serve() {
    let (code, err) = run(&["serve", "--self-signed", "--metrics-addr", "nine"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err,
        "avigw-webhook: invalid setting --metrics-addr (AVIGW_METRICS_ADDR): \"nine\" is not an address such as :9090 or 127.0.0.1:9090\n"
    );
}

#[test]
fn bad_scope_setting_stops_serve_and_check() {
    let want = "avigw-webhook: invalid setting --default-domain (AVIGW_DEFAULT_DOMAIN): \"bad domain\" is not a DNS domain such as avi.example.com\n";
    let (code, err) = run(&["serve", "--self-signed", "--default-domain", "bad domain"]);
    assert_eq!((code, err.as_str()), (Some(2), want));
    let (code, err) = run(&["check", "-f", "x.yaml", "--default-domain", "bad domain"]);
    assert_eq!((code, err.as_str()), (Some(2), want));
}

#[test]
fn env_gives_the_same_setting() {
    let out = Command::new(env!("CARGO_BIN_EXE_avigw-webhook"))
        .args(["serve", "--self-signed"])
        .env("KUBECONFIG", "/nonexistent")
        .env("AVIGW_METRICS_ADDR", "nine")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("avigw-webhook: invalid setting --metrics-addr"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
