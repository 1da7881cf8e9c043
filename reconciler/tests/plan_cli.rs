//! `avigw-reconciler plan`, run as a binary on the examples and on bad inputs.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../manifests/examples");

fn plan(args: &[&str]) -> Output {
    plan_stdin(args, None)
}

fn plan_stdin(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_avigw-reconciler"));
    cmd.arg("plan").args(args);
    // The flags also read AVIGW_* env; keep the caller's environment out of the test.
    for (k, _) in std::env::vars() {
        if k.starts_with("AVIGW_") {
            cmd.env_remove(k);
        }
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn avigw-reconciler");
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn example(name: &str) -> String {
    format!("{EXAMPLES}/{name}")
}

/// A scratch file under Cargo's per-package temp dir (target/tmp), not the system's.
fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plan_cli");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o))
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\nstderr: {}", stdout(o), stderr(o)))
}

fn key<'a>(v: &'a serde_json::Value, k: &str) -> &'a serde_json::Value {
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == k)
        .unwrap_or_else(|| panic!("no key {k} in {v}"))
}

#[test]
fn each_example_plans_cleanly() {
    for (file, k, vs) in [
        (
            "000-gateway-two-tcp-listeners.yaml",
            "Gateway blue/my-gateway",
            "demo--blue-my-gateway",
        ),
        (
            "001-gateway-static-ip-hostname.yaml",
            "Gateway green/my-gateway",
            "demo--green-my-gateway",
        ),
        (
            "003-loadbalancer-preferred-ip.yaml",
            "Service red/avisvc-lb",
            "demo--red-avisvc-lb",
        ),
        (
            "004-gateway-udp-tcp-infrasetting.yaml",
            "Gateway default/app-gateway-admin-0",
            "demo--default-app-gateway-admin-0",
        ),
    ] {
        let o = plan(&["--cluster-name", "demo", "-o", "json", "-f", &example(file)]);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        let v = json(&o);
        let p = key(&v, k);
        assert_eq!(p["ownership"], "Ours", "{file}");
        assert_eq!(p["avi"]["virtualservice"]["name"], vs, "{file}");
        assert_eq!(p["avi"]["virtualservice"]["created_by"], "avigw-demo");
        assert_eq!(v["licenseTier"], "ENTERPRISE");
    }
}

#[test]
fn example_details_show_in_the_plan() {
    let o = plan(&[
        "--cluster-name",
        "demo",
        "-o",
        "json",
        "-f",
        &example("004-gateway-udp-tcp-infrasetting.yaml"),
    ]);
    let v = json(&o);
    let p = key(&v, "Gateway default/app-gateway-admin-0");
    assert_eq!(
        p["avi"]["virtualservice"]["se_group_ref"],
        "/api/serviceenginegroup?name=tkgvsphere-tkgworkload-group10"
    );
    assert_eq!(p["avi"]["pools"].as_array().unwrap().len(), 3);
    assert_eq!(
        v["aviInfraSettings"]["aviinfrasetting-tkg-wkld-oam"]["status"],
        "Accepted"
    );
    assert_eq!(p["gatewayStatus"]["conditions"][0]["type"], "Scheduled");
    assert_eq!(p["gatewayStatus"]["conditions"][0]["status"], "True");

    let o = plan(&[
        "--cluster-name",
        "demo",
        "-o",
        "json",
        "-f",
        &example("001-gateway-static-ip-hostname.yaml"),
    ]);
    let v = json(&o);
    let p = key(&v, "Gateway green/my-gateway");
    assert_eq!(p["avi"]["vsvip"]["vip"][0]["ip_address"]["addr"], "10.10.10.11");
    assert_eq!(p["avi"]["vsvip"]["dns_info"][0]["fqdn"], "svc.example.com");
    assert_eq!(v["services"]["green/web"]["hostnames"][0], "svc.example.com");
    assert_eq!(v["services"]["green/web"]["preferredVip"], "10.10.10.11");
}

#[test]
fn a_directory_is_read_recursively_and_yaml_and_table_render() {
    let o = plan(&["--cluster-name", "demo", "-f", EXAMPLES]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("Warning"),
        "the examples go together cleanly: {}",
        stderr(&o)
    );
    let v: serde_yaml::Value = serde_yaml::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["clusterName"], "demo");
    let o = plan(&[
        "--cluster-name",
        "demo",
        "-o",
        "table",
        "-f",
        EXAMPLES,
        "--default-domain",
        "avi.example.com",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("KEY"), "{out}");
    assert!(
        out.contains("Service red/avisvc-lb") && out.contains("10.20.10.100"),
        "{out}"
    );
    assert!(out.contains("avisvc-lb.red.avi.example.com"), "{out}");
    for k in [
        "Gateway blue/my-gateway",
        "Gateway green/my-gateway",
        "Gateway default/app-gateway-admin-0",
        "Service red/avisvc-lb",
    ] {
        assert!(out.contains(k), "{k} missing:\n{out}");
    }
}

#[test]
fn output_is_deterministic() {
    let a = plan(&["--cluster-name", "demo", "-o", "json", "-f", EXAMPLES]);
    let b = plan(&["--cluster-name", "demo", "-o", "json", "-f", EXAMPLES]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn invalid_input_exits_1_with_the_rule_messages() {
    let bad = std::fs::read_to_string(example("000-gateway-two-tcp-listeners.yaml"))
        .unwrap()
        .replacen(
            "ako.vmware.com/gateway-namespace: blue",
            "ako.vmware.com/gateway-namespace: red",
            1,
        );
    let bad = bad
        + "---\napiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata: {name: bad}\nspec:\n  network:\n    vipNetworks: [{cidr: 10.0.0.0/99}]\n";
    let path = tmp("invalid.yaml", &bad);
    let o = plan(&["--cluster-name", "demo", "-f", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("Gateway blue/my-gateway is invalid"), "{err}");
    assert!(
        err.contains("listener 0 (port 80) must use \"blue\", the Gateway's own namespace"),
        "{err}"
    );
    assert!(err.contains("AviInfraSetting bad is invalid"), "{err}");
    assert!(
        err.contains("AIS") || err.contains("networkName or networkUUID"),
        "{err}"
    );
    assert!(stdout(&o).is_empty());

    // --allow-invalid: translated as if the object got in while the webhook was down.
    let o = plan(&[
        "--cluster-name",
        "demo",
        "-o",
        "json",
        "--allow-invalid",
        "-f",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    let p = key(&v, "Gateway blue/my-gateway");
    assert!(p.get("avi").is_none(), "an invalid Gateway gets no Avi objects");
    assert_eq!(
        p["gatewayStatus"]["conditions"][0]["reason"],
        "InvalidMatchLabels"
    );
    assert_eq!(v["aviInfraSettings"]["bad"]["status"], "Rejected");
}

#[test]
fn admission_defaults_apply() {
    let gw = "apiVersion: networking.x-k8s.io/v1alpha1\nkind: GatewayClass\nmetadata: {name: avi}\nspec: {controller: ako.vmware.com/avi-lb}\n---\napiVersion: networking.x-k8s.io/v1alpha1\nkind: Gateway\nmetadata: {name: gw, namespace: blue}\nspec:\n  gatewayClassName: avi\n  listeners:\n  - {protocol: tcp, port: 80}\n";
    let o = plan_stdin(&["--cluster-name", "demo", "-o", "json", "-f", "-"], Some(gw));
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(
        key(&v, "Gateway blue/gw")["gatewayStatus"]["listeners"][0]["protocol"],
        "TCP"
    );
}

#[test]
fn unreadable_and_broken_inputs_exit_2_with_one_line() {
    let o = plan(&["--cluster-name", "demo", "-f", "/nonexistent/avigw.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with("error: cannot read /nonexistent/avigw.yaml:"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    let path = tmp(
        "broken.yaml",
        "kind: Service\napiVersion: v1\nmetadata: {name: x}\nspec: {ports: [{port: notanumber}]}\n",
    );
    let o = plan(&["--cluster-name", "demo", "-f", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!("error: {}: document 1: Service x:", path.display())),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    let path = tmp("notk8s.yaml", "- just\n- a list\n");
    let o = plan(&["--cluster-name", "demo", "-f", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a Kubernetes object"), "{}", stderr(&o));

    let o = plan(&["--cluster-name", "bad name", "-f", EXAMPLES]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("error: invalid setting --cluster-name (AVIGW_CLUSTER_NAME)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unknown_kinds_are_noted_and_lists_are_read() {
    let list = r#"{"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb", "namespace": "red"},
         "spec": {"type": "LoadBalancer", "ports": [{"port": 53, "protocol": "UDP"}]}}]}"#;
    let path = tmp("list.json", list);
    let o = plan(&[
        "--cluster-name",
        "demo",
        "-o",
        "json",
        "-f",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Deployment web (apps/v1) ignored"),
        "{}",
        stderr(&o)
    );
    let v = json(&o);
    assert_eq!(
        key(&v, "Service red/lb")["avi"]["pools"][0]["name"],
        "demo--red-lb-UDP-53"
    );
}

#[test]
fn cluster_name_defaults_and_config_file() {
    let o = plan(&["-o", "json", "-f", &example("003-loadbalancer-preferred-ip.yaml")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("no --cluster-name"), "{}", stderr(&o));
    assert_eq!(json(&o)["clusterName"], "plan");

    let cfg = tmp(
        "config.yaml",
        "clusterName: fromfile\nlicenseTier: ESSENTIALS\nautoFqdn: flat\ndefaultDomain: example.com\n",
    );
    let o = plan(&[
        "--config",
        cfg.to_str().unwrap(),
        "-o",
        "json",
        "-f",
        &example("003-loadbalancer-preferred-ip.yaml"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["clusterName"], "fromfile");
    let p = key(&v, "Service red/avisvc-lb");
    assert_eq!(
        p["avi"]["virtualservice"]["network_profile_ref"],
        "/api/networkprofile?name=System-TCP-Fast-Path"
    );
    assert_eq!(
        p["avi"]["vsvip"]["dns_info"][0]["fqdn"],
        "avisvc-lb-red.example.com"
    );

    // Flags win over the file.
    let o = plan(&[
        "--config",
        cfg.to_str().unwrap(),
        "--cluster-name",
        "flag",
        "-o",
        "json",
        "-f",
        &example("003-loadbalancer-preferred-ip.yaml"),
    ]);
    assert_eq!(json(&o)["clusterName"], "flag");
}

#[test]
fn help_documents_the_defaults() {
    let o = Command::new(env!("CARGO_BIN_EXE_avigw-reconciler"))
        .args(["plan", "--help"])
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(
        out.contains("--filename") && out.contains("--cluster-name") && out.contains("--license-tier"),
        "{out}"
    );
    assert!(out.contains("\"plan\""), "{out}");
}

/// List kinds with items, without items, `List` and an empty list: read as `avigw-webhook
/// check` reads them.
#[test]
fn list_kinds_with_and_without_items() {
    let text = "apiVersion: v1\nkind: ServiceList\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: a}, spec: {type: LoadBalancer, ports: [{port: 80}]}}\n---\n\
apiVersion: v1\nkind: List\nitems:\n- {apiVersion: ako.vmware.com/v1alpha1, kind: AviInfraSetting, metadata: {name: x}, spec: {network: {vipNetworks: [{networkName: n, cidr: 10.0.0.0/24}]}}}\n---\n\
apiVersion: v1\nkind: ServiceList\n---\n\
apiVersion: v1\nkind: List\nitems: []\n";
    let path = tmp("lists.yaml", text);
    let o = plan(&[
        "--cluster-name",
        "demo",
        "-o",
        "json",
        "-f",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "note: {}: document 3: ServiceList with no items: nothing to read\n",
            path.display()
        )),
        "{err}"
    );
    assert!(!err.contains("ignored"), "{err}");
    let v = json(&o);
    assert_eq!(
        key(&v, "Service default/a")["avi"]["pools"][0]["name"],
        "demo--default-a-TCP-80"
    );
    assert_eq!(v["aviInfraSettings"]["x"]["status"], "Accepted");
}
