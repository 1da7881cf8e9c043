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

const INGRESSES: &str = "\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: avi, annotations: {ingressclass.kubernetes.io/is-default-class: 'true'}}
spec: {controller: ako.vmware.com/avi-lb}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: example.com/nginx}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: avi-edge}
spec:
  controller: ako.vmware.com/avi-lb
  parameters: {apiGroup: example.com, kind: Thing, name: t}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: team-b}
spec:
  rules:
  - host: shop.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: team-a}
spec:
  rules:
  - host: shop.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: generated, namespace: team-a}
spec:
  rules:
  - http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: theirs, namespace: team-c}
spec:
  ingressClassName: nginx
  rules: [{host: '*.wild.com'}]
";

#[test]
fn ingress_files_are_judged_against_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ingresses.yaml");
    std::fs::write(&f, INGRESSES).unwrap();
    let (code, out, _) = check(&["-f", f.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ingressclass.networking.k8s.io/avi: admitted"),
        "{out}"
    );
    assert!(
        out.contains("ingressclass.networking.k8s.io/nginx: admitted"),
        "{out}"
    );
    assert!(
        out.contains("ingresses.yaml#3 (ingressclass.networking.k8s.io/avi-edge): denied: IngressClass avi-edge is invalid: spec.parameters: Unsupported value: apiGroup \"example.com\" kind \"Thing\" scope \"\": supported: apiGroup \"ako.vmware.com\" kind \"AviInfraSetting\" scope \"Cluster\" or unset"),
        "{out}"
    );
    // Without timestamps, namespace/name order the claims as the translation does: team-a owns
    // the host, wherever its Ingress stands in the files.
    assert!(out.contains("ingress.networking.k8s.io/web: admitted"), "{out}");
    assert!(
        out.contains("ingresses.yaml#4 (ingress.networking.k8s.io/web): denied: Ingress team-b/web is invalid: spec.rules[0].host: \"shop.example.com\" is already served by Ingress team-a/web: a host belongs to one namespace: use another host or create this Ingress in namespace team-a"),
        "{out}"
    );
    assert!(
        out.contains("Warning: spec.rules[0].host: is empty and no --default-domain is set: the rule is skipped: set a host\ningress.networking.k8s.io/generated: admitted"),
        "{out}"
    );
    // Another controller's Ingress is not judged.
    assert!(
        out.contains("ingress.networking.k8s.io/theirs: admitted"),
        "{out}"
    );
    assert_eq!(out.matches("denied").count(), 2, "{out}");
}

#[test]
fn ingress_files_are_judged_with_the_scope_flags() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ingresses.yaml");
    let namespaces = "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-b, labels: {avi: 'on'}}\n---\n";
    std::fs::write(&f, format!("{namespaces}{INGRESSES}")).unwrap();
    let path = f.to_str().unwrap();
    // team-a is not synced: its Ingress holds no host, so team-b's is the owner and team-a's is
    // denied (the ING rules judge Ingresses of ours in any namespace); a generated host needs
    // no warning with --default-domain.
    for flags in [
        &[
            "--blocked-namespace",
            "team-a",
            "--default-domain",
            "avi.example.com",
        ][..],
        &[
            "--namespace-selector",
            "avi=on",
            "--default-domain",
            "avi.example.com",
        ][..],
    ] {
        let mut args = vec!["-f", path];
        args.extend_from_slice(flags);
        let (code, out, _) = check(&args);
        assert_eq!(code, 1, "{flags:?}: {out}");
        assert!(
            out.contains("(ingress.networking.k8s.io/web): denied: Ingress team-a/web is invalid: spec.rules[0].host: \"shop.example.com\" is already served by Ingress team-b/web"),
            "{flags:?}: {out}"
        );
        assert_eq!(out.matches("denied").count(), 2, "{flags:?}: {out}");
        assert!(!out.contains("Warning"), "{flags:?}: {out}");
    }
    let (code, _, err) = check(&["-f", path, "--shard-vs-size", "HUGE"]);
    assert_eq!(code, 2);
    assert!(err.contains("--shard-vs-size"), "{err}");
}
