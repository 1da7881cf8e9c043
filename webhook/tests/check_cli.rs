//! `avigw-webhook check` as a user runs it.

use std::process::Command;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/tests/fixtures/seeds");

fn check(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_avigw-webhook"))
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn seed_examples_are_admitted_with_warnings() {
    let (code, out, _) = check(&["-f", SEEDS]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("gateway.networking.x-k8s.io/my-gateway: admitted"),
        "{out}"
    );
    assert!(
        out.contains("Warning: metadata.labels: a Service of type LoadBalancer is never a Gateway backend"),
        "{out}"
    );
    assert!(
        out.contains(
            "Warning: spec.ports[0]: Gateway default/app-gateway-admin-0 has no listener for TCP/8443"
        ),
        "{out}"
    );
    assert!(
        out.contains("aviinfrasetting.ako.vmware.com/aviinfrasetting-tkg-wkld-oam: admitted"),
        "{out}"
    );
}

#[test]
fn invalid_gateway_is_denied_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.yaml");
    std::fs::write(
        &f,
        "apiVersion: networking.x-k8s.io/v1alpha1\nkind: GatewayClass\nmetadata: {name: avi}\nspec: {controller: ako.vmware.com/avi-lb}\n---\n\
         apiVersion: networking.x-k8s.io/v1alpha1\nkind: Gateway\nmetadata: {name: gw, namespace: blue}\nspec:\n  gatewayClassName: avi\n  addresses: [{type: IPAddress, value: 10.1.1.1}, {type: IPAddress, value: 10.1.1.2}]\n  listeners:\n  - protocol: TCP\n    port: 80\n    routes: {selector: {matchLabels: {ako.vmware.com/gateway-name: other}}}\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    )
    .unwrap();
    let (code, out, _) = check(&["-f", f.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("gatewayclass.networking.x-k8s.io/avi: admitted"));
    assert!(
        out.contains(
            "bad.yaml#2 (gateway.networking.x-k8s.io/gw): denied: Gateway blue/gw is invalid (3 problems):"
        ),
        "{out}"
    );
    assert!(out.contains("- spec.listeners[0].routes.selector.matchLabels[ako.vmware.com/gateway-name]: Invalid value: \"other\": listener 0 (port 80) must use \"gw\", the Gateway's own name"), "{out}");
    assert!(out.contains("- spec.listeners[0].routes.selector.matchLabels[ako.vmware.com/gateway-namespace]: Required value"), "{out}");
    assert!(out.contains("- spec.addresses: Too many: 2"), "{out}");
    assert!(out.contains("configmap/x: not checked"));
}

#[test]
fn unreadable_input_is_one_line_and_exit_2() {
    let (code, _, err) = check(&["-f", "/nonexistent/file.yaml"]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("avigw-webhook check: /nonexistent/file.yaml: "),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("broken.yaml");
    std::fs::write(&f, "kind: [unclosed\n").unwrap();
    let (code, _, err) = check(&["-f", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("broken.yaml: document 1: not valid YAML"), "{err}");
}

/// List kinds with items, without items, `List` and an empty list: read as `plan` reads them.
const LISTS: &str = "apiVersion: v1\nkind: ServiceList\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: a}, spec: {type: LoadBalancer, ports: [{port: 80}]}}\n---\n\
apiVersion: v1\nkind: List\nitems:\n- {apiVersion: ako.vmware.com/v1alpha1, kind: AviInfraSetting, metadata: {name: x}, spec: {network: {vipNetworks: [{networkName: n, cidr: 10.0.0.0/24}]}}}\n---\n\
apiVersion: v1\nkind: ServiceList\n---\n\
apiVersion: v1\nkind: List\nitems: []\n";

#[test]
fn list_kinds_with_and_without_items() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("lists.yaml");
    std::fs::write(&f, LISTS).unwrap();
    let (code, out, err) = check(&["-f", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out, "service/a: admitted\naviinfrasetting.ako.vmware.com/x: admitted\n",
        "{err}"
    );
    assert_eq!(
        err,
        format!(
            "note: {}: document 3: ServiceList with no items: nothing to read\n",
            f.display()
        )
    );
}

#[test]
fn stdin_is_read_with_a_dash() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_avigw-webhook"))
        .args(["check", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"apiVersion: v1\nkind: Service\nmetadata: {name: lb}\nspec: {type: LoadBalancer, loadBalancerIP: 10.0.0.300, ports: [{port: 80}]}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Error from <stdin>#1 (service/lb): denied: Service default/lb is invalid: spec.loadBalancerIP: Invalid value: \"10.0.0.300\""),
        "{text}"
    );
}
