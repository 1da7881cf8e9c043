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

// ---- Ingresses (SPEC-ingress): the worked example of §9 and the shared golden files. ----

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/tests/golden");

/// The input of SPEC-ingress §9 (also the shared translation's golden input).
fn worked_example() -> String {
    std::fs::read_to_string(format!("{GOLDEN}/inputs/l7-worked-example.yaml")).unwrap()
}

fn golden(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(format!("{GOLDEN}/{name}.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// §9's settings: cluster `cluster`, `--default-domain avi.internal`, the rest default (LARGE).
const L7_FLAGS: [&str; 4] = ["--cluster-name", "cluster", "--default-domain", "avi.internal"];

fn plan_l7(extra: &[&str], files: &[&std::path::Path]) -> Output {
    let mut args: Vec<&str> = L7_FLAGS.to_vec();
    args.extend_from_slice(extra);
    for f in files {
        args.push("-f");
        args.push(f.to_str().unwrap());
    }
    plan(&args)
}

/// The documents of a multi-document YAML text.
fn documents(yaml: &str) -> Vec<String> {
    yaml.split("\n---\n")
        .map(|d| d.trim().to_owned() + "\n")
        .collect()
}

fn join_docs(docs: &[String]) -> String {
    docs.join("---\n")
}

fn create_order(p: &serde_json::Value) -> Vec<&str> {
    p["createOrder"]
        .as_array()
        .unwrap_or_else(|| panic!("no createOrder in {p}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// A key as `plan` prints it, without what `plan` adds to the translation.
fn translation_only(p: &serde_json::Value) -> serde_json::Value {
    let mut p = p.clone();
    p.as_object_mut().unwrap().remove("createOrder");
    p
}

/// Every key plan `plan` printed equals the shared golden file's, object for object (private
/// keys redacted in both), and each Ingress has the hosts and findings of the golden report.
fn assert_matches_golden(v: &serde_json::Value, name: &str) {
    let want = golden(name);
    let keys: Vec<&str> = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    let want_keys: Vec<&str> = want["plans"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, want_keys, "{name}");
    for k in keys {
        assert_eq!(translation_only(key(v, k)), want["plans"][k], "{name}: key {k}");
    }
    for (id, g) in want["ingresses"].as_object().unwrap() {
        let got = &v["ingresses"][id];
        let served: serde_json::Map<String, serde_json::Value> = got["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["served"] == true)
            .map(|h| (h["host"].as_str().unwrap().to_owned(), h["key"].clone()))
            .collect();
        assert_eq!(
            serde_json::Value::Object(served),
            g["report"]["hosts"],
            "{name}: {id}"
        );
        assert_eq!(got["ours"], g["report"]["ours"], "{name}: {id}");
        let findings = got.get("findings").cloned().unwrap_or(serde_json::json!([]));
        assert_eq!(findings, g["report"]["findings"], "{name}: {id}");
    }
}

#[test]
fn the_worked_example_plans_object_for_object() {
    let input = tmp("l7-worked-example.yaml", &worked_example());
    let o = plan_l7(&["-o", "json"], &[&input]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("Warning"), "{}", stderr(&o));
    let v = json(&o);

    // SPEC-ingress §9's table, in create order.
    let p = key(&v, "Ingress cluster--Shared-L7-0");
    assert_eq!(p["ownership"], "Ours");
    assert_eq!(
        create_order(p),
        [
            "sslkeyandcertificate/cluster--noo.com",
            "pool/cluster--foo.com_foo-default-ing1",
            "pool/cluster--default-noo.com_bar-ing2",
            "pool/cluster--default-noo.com_bar_v2-ing2",
            "poolgroup/cluster--Shared-L7-0",
            "poolgroup/cluster--default-noo.com_bar-ing2",
            "poolgroup/cluster--default-noo.com_bar_v2-ing2",
            "vsdatascriptset/cluster--Shared-L7-0",
            "httppolicyset/cluster--Shared-L7-0",
            "httppolicyset/cluster--default-noo.com",
            "vsvip/cluster--Shared-L7-0",
            "virtualservice/cluster--Shared-L7-0",
            "virtualservice/cluster--noo.com",
        ]
    );
    let avi = &p["avi"];
    assert_eq!(avi["pools"][0]["servers"][0]["ip"]["addr"], "10.1.1.1");
    assert_eq!(avi["pools"][0]["servers"][0]["port"], 8080);
    assert_eq!(avi["pools"][1]["servers"][1]["enabled"], false);
    assert_eq!(
        avi["poolgroups"][0]["members"][0]["priority_label"],
        "foo.com/foo"
    );
    let dns: Vec<&str> = avi["vsvip"]["dns_info"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["fqdn"].as_str().unwrap())
        .collect();
    assert_eq!(
        dns,
        ["cluster--Shared-L7-0.admin.avi.internal", "foo.com", "noo.com"]
    );
    assert_eq!(avi["virtualservice"]["type"], "VS_TYPE_VH_PARENT");
    assert_eq!(avi["child_virtualservices"][0]["type"], "VS_TYPE_VH_CHILD");
    let switching: Vec<(&str, &str)> = avi["httppolicysets"][1]["http_request_policy"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["match"]["path"]["match_criteria"].as_str().unwrap(),
                r["match"]["path"]["match_str"][0].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        switching,
        [
            ("EQUALS", "/bar/v2"),
            ("EQUALS", "/bar"),
            ("BEGINS_WITH", "/bar/")
        ]
    );
    assert_eq!(avi["sslkeyandcertificates"][0]["key"], "<redacted>");
    assert_matches_golden(&v, "l7-worked-example");

    // The status each Ingress gets: its hosts; the VIP is Avi's to give.
    for (id, host, vs, secure) in [
        ("default/ing1", "foo.com", "cluster--Shared-L7-0", false),
        ("default/ing2", "noo.com", "cluster--noo.com", true),
    ] {
        let ing = &v["ingresses"][id];
        assert_eq!(ing["ours"], true, "{id}");
        assert_eq!(ing["generation"], 1, "{id}");
        assert!(ing.get("findings").is_none(), "{id}: {ing}");
        let h = &ing["hosts"][0];
        assert_eq!(h["host"], host);
        assert_eq!(h["served"], true);
        assert_eq!(h["key"], "Ingress cluster--Shared-L7-0");
        assert_eq!(h["virtualService"], vs);
        assert_eq!(h["secure"], secure);
        assert_eq!(h["tls"], secure);
        assert_eq!(
            ing["status"]["loadBalancer"]["ingress"],
            serde_json::json!([{"hostname": host, "ip": "<VIP of cluster--Shared-L7-0>"}]),
            "{id}"
        );
        assert_eq!(
            ing["pending"],
            "waiting for the Avi controller to place virtual service cluster--Shared-L7-0: the VIP is known then"
        );
    }
}

#[test]
fn dedicated_by_flag() {
    let input = tmp("l7-dedicated.yaml", &worked_example());
    let o = plan_l7(&["--shard-vs-size", "DEDICATED", "-o", "json"], &[&input]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_matches_golden(&v, "l7-dedicated");
    assert_eq!(
        create_order(key(&v, "Ingress cluster--noo.com-L7-dedicated")),
        [
            "sslkeyandcertificate/cluster--noo.com",
            "pool/cluster--default-noo.com_bar-ing2-L7-dedicated",
            "pool/cluster--default-noo.com_bar_v2-ing2-L7-dedicated",
            "poolgroup/cluster--default-noo.com_bar-ing2-L7-dedicated",
            "poolgroup/cluster--default-noo.com_bar_v2-ing2-L7-dedicated",
            "httppolicyset/cluster--noo.com-L7-dedicated",
            "httppolicyset/cluster--default-noo.com",
            "vsvip/cluster--noo.com-L7-dedicated",
            "virtualservice/cluster--noo.com-L7-dedicated",
        ]
    );
    let h = &v["ingresses"]["default/ing2"]["hosts"][0];
    assert_eq!(h["virtualService"], "cluster--noo.com-L7-dedicated");
    assert_eq!(h["secure"], true);
    assert_eq!(
        v["ingresses"]["default/ing1"]["status"]["loadBalancer"]["ingress"][0]["ip"],
        "<VIP of cluster--foo.com-L7-dedicated>"
    );

    // The default is LARGE: the same input is on shard 0.
    let o = plan_l7(&["-o", "json"], &[&input]);
    assert_eq!(json(&o)["keys"][0]["key"], "Ingress cluster--Shared-L7-0");
}

#[test]
fn an_infra_setting_with_shard_size_small() {
    let small = std::fs::read_to_string(format!("{GOLDEN}/inputs/l7-infra-small.yaml")).unwrap();
    let input = tmp("l7-small-base.yaml", &worked_example());
    let infra = tmp("l7-small-infra.yaml", &small);
    let o = plan_l7(&["-o", "json"], &[&input, &infra]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("Warning"), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["aviInfraSettings"]["is1"]["status"], "Accepted");
    // abc.com is shard 4 of LARGE (the flag's default): SMALL came from the AviInfraSetting.
    assert_matches_golden(&v, "l7-infra-small");
    let p = key(&v, "Ingress cluster--Shared-L7-is1-0");
    assert_eq!(
        p["avi"]["virtualservice"]["se_group_ref"],
        "/api/serviceenginegroup?name=se-edge"
    );
    let hosts: Vec<&str> = ["default/ing1", "default/ing2", "default/ing3"]
        .iter()
        .map(|id| v["ingresses"][id]["hosts"][0]["key"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["Ingress cluster--Shared-L7-is1-0"; 3]);
}

/// The table's rows as their columns (split on runs of two spaces or more).
fn table_section<'a>(out: &'a str, header: &str) -> Vec<Vec<&'a str>> {
    let start = out
        .find(&format!("{header} "))
        .unwrap_or_else(|| panic!("no {header} section:\n{out}"));
    out[start..]
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| l.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect())
        .collect()
}

#[test]
fn the_table_shows_each_ingress_host() {
    let input = tmp("l7-table.yaml", &worked_example());
    let o = plan_l7(&["-o", "table"], &[&input]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("KEY"), "{out}");
    assert_eq!(
        table_section(&out, "INGRESS"),
        [
            vec![
                "INGRESS",
                "OWNER",
                "HOST",
                "VIRTUALSERVICE",
                "SECURE",
                "VIP",
                "WARNINGS"
            ],
            vec![
                "default/ing1",
                "ours",
                "foo.com",
                "cluster--Shared-L7-0",
                "no",
                "auto",
                "-"
            ],
            vec![
                "default/ing2",
                "ours",
                "noo.com",
                "cluster--Shared-L7-0",
                "yes",
                "auto",
                "-"
            ],
        ],
        "{out}"
    );
    // Columns line up: each header starts where its values start.
    let lines: Vec<&str> = out[out.find("INGRESS ").unwrap()..].lines().take(3).collect();
    let col = |l: &str, c: &str| l.find(c).unwrap();
    assert_eq!(col(lines[0], "SECURE"), col(lines[1], "no  "));
    assert_eq!(col(lines[0], "VIRTUALSERVICE"), col(lines[2], "cluster--"));
    let keys = table_section(&out, "KEY");
    assert_eq!(keys[1][0], "Ingress cluster--Shared-L7-0");
    assert_eq!(keys[1][3], "80,443");

    let o = plan_l7(&["-o", "table", "--shard-vs-size", "DEDICATED"], &[&input]);
    let out = stdout(&o);
    let rows = table_section(&out, "INGRESS");
    assert_eq!(rows[1][3], "cluster--foo.com-L7-dedicated", "{out}");
    assert_eq!(rows[2][3..5], ["cluster--noo.com-L7-dedicated", "yes"], "{out}");
}

/// The private key of §9's Secret, as PEM and as its base64 body lines.
fn key_fragments() -> Vec<String> {
    let text = worked_example();
    let pem: Vec<&str> = text
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "-----BEGIN PRIVATE KEY-----")
        .skip(1)
        .take_while(|l| *l != "-----END PRIVATE KEY-----")
        .collect();
    assert_eq!(pem.len(), 3, "the fixture's key moved");
    let mut out: Vec<String> = pem.iter().map(|l| (*l).to_owned()).collect();
    out.push("PRIVATE KEY".to_owned());
    out
}

fn assert_no_key(what: &str, o: &Output) {
    for text in [stdout(o), stderr(o)] {
        for f in key_fragments() {
            assert!(!text.contains(&f), "{what}: the private key shows ({f}):\n{text}");
        }
    }
}

/// The §9 input with its Secret as `data` (base64), as `kubectl get secret -o yaml` gives it.
fn worked_example_with_data_secret() -> String {
    let text = worked_example();
    let at = text.find("kind: Secret").unwrap();
    let (before, secret) = text.split_at(at);
    let body = |name: &str| -> String {
        let start = secret.find(&format!("  {name}: |\n")).unwrap() + name.len() + 6;
        secret[start..]
            .lines()
            .take_while(|l| l.starts_with("    "))
            .map(|l| format!("{}\n", &l[4..]))
            .collect()
    };
    // k8s-openapi's ByteString is the base64 of Secret `data`.
    let b64 = |s: String| -> String {
        serde_json::to_value(k8s_openapi::ByteString(s.into_bytes()))
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    };
    format!(
        "{before}kind: Secret\nmetadata: {{name: noo-tls, namespace: default}}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: {}\n  tls.key: {}\n",
        b64(body("tls.crt")),
        b64(body("tls.key"))
    )
}

#[test]
fn secret_keys_are_never_printed() {
    let plain = tmp("redact-string-data.yaml", &worked_example());
    let data_text = worked_example_with_data_secret();
    let data = tmp("redact-data.yaml", &data_text);
    // The base64 form of the key is as secret as the PEM.
    let key_b64 = data_text
        .lines()
        .find_map(|l| l.trim().strip_prefix("tls.key: "))
        .unwrap()
        .to_owned();
    let no_key = |what: &str, o: &Output| {
        assert_no_key(what, o);
        for text in [stdout(o), stderr(o)] {
            assert!(
                !text.contains(&key_b64[..40]),
                "{what}: base64 key shows:\n{text}"
            );
        }
    };
    for input in [&plain, &data] {
        let o = plan_l7(&["-o", "yaml"], &[input]);
        assert!(o.status.success(), "{}", stderr(&o));
        no_key("yaml", &o);
        assert!(stdout(&o).contains("key: <redacted>"), "{}", stdout(&o));
        assert!(
            stdout(&o).contains("BEGIN CERTIFICATE"),
            "the certificate is no secret"
        );

        let o = plan_l7(&["-o", "json"], &[input]);
        no_key("json", &o);
        assert_eq!(
            key(&json(&o), "Ingress cluster--Shared-L7-0")["avi"]["sslkeyandcertificates"][0]["key"],
            "<redacted>"
        );

        let o = plan_l7(&["-o", "table", "--shard-vs-size", "DEDICATED"], &[input]);
        assert!(o.status.success(), "{}", stderr(&o));
        no_key("table", &o);
    }

    // Notes: the Secret defined twice, differently (the later one, with a foreign certificate,
    // wins and makes the host's Secret invalid: a warning that names the Secret).
    let other_cert = "-----BEGIN CERTIFICATE-----\nMIIBdDCCARugAwIBAgIUe0Wz\n-----END CERTIFICATE-----\n";
    let mut docs = documents(&worked_example());
    let secret = docs.last().unwrap().clone();
    let start = secret.find("  tls.crt: |").unwrap();
    let end = secret.find("  tls.key: |").unwrap();
    let replaced = format!(
        "{}  tls.crt: |\n{}{}",
        &secret[..start],
        other_cert
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>(),
        &secret[end..]
    );
    docs.push(replaced);
    let twice = tmp("redact-twice.yaml", &join_docs(&docs));
    let o = plan_l7(&["-o", "json"], &[&twice]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("note: ") && err.contains("Secret default/noo-tls also defined"),
        "{err}"
    );
    assert!(
        err.contains("Warning: Ingress default/ing2: spec.tls[0].secretName: Secret default/noo-tls:"),
        "{err}"
    );
    no_key("notes", &o);

    // An input that breaks a rule: the error lists the denials (exit 1), and --allow-invalid
    // prints them as warnings with the plan.
    let bad_gateway = std::fs::read_to_string(example("000-gateway-two-tcp-listeners.yaml"))
        .unwrap()
        .replacen(
            "ako.vmware.com/gateway-namespace: blue",
            "ako.vmware.com/gateway-namespace: red",
            1,
        );
    let invalid = tmp(
        "redact-invalid.yaml",
        &format!("{bad_gateway}---\n{}", worked_example()),
    );
    let o = plan_l7(&["-o", "yaml"], &[&invalid]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    no_key("exit 1", &o);
    for format in ["yaml", "json", "table"] {
        let o = plan_l7(&["-o", format, "--allow-invalid"], &[&invalid]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stderr(&o).contains("translated anyway (--allow-invalid)"));
        no_key("--allow-invalid", &o);
    }

    // Unusable input after the Secret (exit 2): one line, no key.
    let broken = tmp(
        "redact-broken.yaml",
        &format!(
            "{}---\nkind: Service\napiVersion: v1\nmetadata: {{name: x}}\nspec: {{ports: [{{port: nan}}]}}\n",
            worked_example()
        ),
    );
    let o = plan_l7(&[], &[&broken]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    no_key("exit 2", &o);
    // A Secret that cannot be read: the error names it, not its data.
    let bad_secret = tmp(
        "redact-bad-secret.yaml",
        &format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\ndata:\n  tls.key: \"{key_b64}!!\"\n"),
    );
    let o = plan_l7(&[], &[&bad_secret]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("Secret s:"), "{}", stderr(&o));
    no_key("unreadable Secret", &o);
}

#[test]
fn the_secret_may_come_before_or_after_its_ingress() {
    let docs = documents(&worked_example());
    let secret_at = docs.iter().position(|d| d.contains("kind: Secret")).unwrap();
    let mut first = docs.clone();
    let s = first.remove(secret_at);
    first.insert(0, s);
    let after = tmp("order-after.yaml", &join_docs(&docs));
    let before = tmp("order-before.yaml", &join_docs(&first));
    let a = plan_l7(&["-o", "json"], &[&after]);
    let b = plan_l7(&["-o", "json"], &[&before]);
    assert!(
        a.status.success() && b.status.success(),
        "{}{}",
        stderr(&a),
        stderr(&b)
    );
    assert_eq!(stdout(&a), stdout(&b));
    assert_eq!(json(&b)["ingresses"]["default/ing2"]["hosts"][0]["secure"], true);

    // In separate files, either order.
    let mut rest = docs.clone();
    let secret = rest.remove(secret_at);
    let secret = tmp("order-secret.yaml", &secret);
    let rest = tmp("order-rest.yaml", &join_docs(&rest));
    for files in [[&secret, &rest], [&rest, &secret]] {
        let o = plan_l7(&["-o", "json"], &[files[0], files[1]]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), stdout(&a));
    }
    // A directory holding both, and stdin.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plan_cli/order-dir");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&secret, dir.join("a-secret.yaml")).unwrap();
    std::fs::copy(&rest, dir.join("b-rest.yaml")).unwrap();
    let o = plan_l7(&["-o", "json"], &[&dir]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), stdout(&a));
    let mut args = L7_FLAGS.to_vec();
    args.extend(["-o", "json", "-f", "-"]);
    let o = plan_stdin(&args, Some(&join_docs(&first)));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), stdout(&a));
}

#[test]
fn a_class_less_ingress_with_two_default_classes() {
    let text = worked_example().replacen(
        "kind: IngressClass\nmetadata:\n  name: avi\n",
        "kind: IngressClass\nmetadata:\n  name: avi-b\n  annotations: {ingressclass.kubernetes.io/is-default-class: \"true\"}\nspec:\n  controller: ako.vmware.com/avi-lb\n---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: avi\n",
        1,
    );
    let input = tmp("two-defaults.yaml", &text);
    let o = plan_l7(&["-o", "json"], &[&input]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert!(
        v["keys"].as_array().unwrap().is_empty(),
        "neither Ingress is served: {v}"
    );
    let err = stderr(&o);
    for id in ["default/ing1", "default/ing2"] {
        let ing = &v["ingresses"][id];
        assert_eq!(ing["ours"], false, "{id}");
        assert_eq!(ing["findings"][0]["reason"], "MultipleDefaultClasses", "{id}");
        let msg = ing["findings"][0]["message"].as_str().unwrap();
        assert!(
            msg.starts_with(
                "spec.ingressClassName: unset, and IngressClasses \"avi\", \"avi-b\" are all marked default"
            ),
            "{msg}"
        );
        assert!(
            ing.get("status").is_none(),
            "no status for an Ingress that is not ours"
        );
        assert_eq!(ing["hosts"][0]["served"], false);
        assert!(err.contains(&format!("Warning: Ingress {id}: {msg}\n")), "{err}");
    }

    let o = plan_l7(&["-o", "table"], &[&input]);
    let out = stdout(&o);
    let rows = table_section(&out, "INGRESS");
    assert_eq!(
        rows[1],
        [
            "default/ing1",
            "not-ours",
            "foo.com",
            "-",
            "-",
            "-",
            "MultipleDefaultClasses"
        ],
        "{out}"
    );
    assert!(
        out.contains("Ingress default/ing1: MultipleDefaultClasses: spec.ingressClassName: unset"),
        "{out}"
    );
}

#[test]
fn a_tls_secret_without_tls_key_keeps_its_host_off_avi() {
    let text = worked_example();
    let cut = text.find("  tls.key: |").unwrap();
    let input = tmp("no-tls-key.yaml", &text[..cut]);
    let o = plan_l7(&["-o", "json"], &[&input]);
    // Valid Kubernetes objects: the reconciler would serve what it can and warn (exit 0).
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let msg = "spec.tls[0].secretName: Secret default/noo-tls: has no tls.key: host \"noo.com\" is not served until it is fixed";
    assert!(
        stderr(&o).contains(&format!("Warning: Ingress default/ing2: {msg}\n")),
        "{}",
        stderr(&o)
    );
    let v = json(&o);
    let ing2 = &v["ingresses"]["default/ing2"];
    assert_eq!(
        ing2["findings"],
        serde_json::json!([{"code": "ING-SECRET-MISSING", "reason": "SecretInvalid", "message": msg}])
    );
    assert_eq!(
        ing2["hosts"][0],
        serde_json::json!({"host": "noo.com", "served": false, "tls": true, "secure": false, "reasons": ["SecretInvalid"]})
    );
    assert_eq!(ing2["status"], serde_json::json!({"loadBalancer": {}}));
    assert!(ing2.get("pending").is_none());
    // Not served at all: no certificate, no child, no redirect; foo.com stays.
    let p = key(&v, "Ingress cluster--Shared-L7-0");
    assert_eq!(
        create_order(p),
        [
            "pool/cluster--foo.com_foo-default-ing1",
            "poolgroup/cluster--Shared-L7-0",
            "vsdatascriptset/cluster--Shared-L7-0",
            "vsvip/cluster--Shared-L7-0",
            "virtualservice/cluster--Shared-L7-0",
        ]
    );
    assert_eq!(v["ingresses"]["default/ing1"]["hosts"][0]["served"], true);

    let o = plan_l7(&["-o", "table"], &[&input]);
    let out = stdout(&o);
    assert_eq!(
        table_section(&out, "INGRESS")[2],
        [
            "default/ing2",
            "ours",
            "noo.com",
            "-",
            "not served: SecretInvalid",
            "-",
            "SecretInvalid"
        ],
        "{out}"
    );
    assert!(
        out.contains(&format!("Ingress default/ing2: SecretInvalid: {msg}\n")),
        "{out}"
    );

    // A Secret that is not there at all.
    let docs: Vec<String> = documents(&text)
        .into_iter()
        .filter(|d| !d.contains("kind: Secret"))
        .collect();
    let input = tmp("no-secret.yaml", &join_docs(&docs));
    let o = plan_l7(&["-o", "json"], &[&input]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ing2 = &json(&o)["ingresses"]["default/ing2"];
    assert_eq!(ing2["findings"][0]["reason"], "SecretNotFound");
    assert_eq!(ing2["hosts"][0]["served"], false);

    // An Ingress that is not a Kubernetes Ingress: unusable input, one line.
    let broken = tmp(
        "broken-ingress.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\nspec: {rules: 5}\n",
    );
    let o = plan_l7(&[], &[&broken]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!("error: {}: document 1: Ingress x:", broken.display())),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
