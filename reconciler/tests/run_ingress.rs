//! `run` serving Ingresses against a real apiserver and avisim (SPEC-ingress §5, §6): an
//! insecure and a secure Ingress end to end (objects, status per host, events, one write per
//! endpoint change, a restart without writes), Secrets arriving late and going, deletion with
//! the parent kept, a class that stops being ours, and the parent written once per sync.

mod run_support;

use std::collections::BTreeSet;
use std::time::Duration;

use run_support::{Env, env, eventually};
use serde_json::Value;

/// Every Avi write (POST/PUT/PATCH/DELETE) avisim served, all object types.
fn writes(e: &Env) -> u64 {
    let kinds = [
        "vsvip",
        "pool",
        "l4policyset",
        "virtualservice",
        "poolgroup",
        "vsdatascriptset",
        "httppolicyset",
        "sslkeyandcertificate",
    ];
    ["POST", "PUT", "PATCH", "DELETE"]
        .iter()
        .flat_map(|m| kinds.map(|k| e.sim.stats().count(m, k)))
        .sum()
}

/// This test's IngressClass of avigw's controller (IngressClasses are cluster-wide: one name
/// per test).
fn class_yaml(e: &Env) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: {}\nspec:\n  controller: ako.vmware.com/avi-lb\n",
        e.class
    )
}

/// A Service `name` (port 80 → 8080, named `http`) with one EndpointSlice of `ips`.
fn backend_yaml(name: &str, ips: &[&str]) -> String {
    let eps: String = ips
        .iter()
        .map(|ip| format!("- addresses: [\"{ip}\"]\n  conditions: {{ready: true}}\n"))
        .collect();
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  ports:\n  - {{name: http, port: 80, targetPort: 8080, protocol: TCP}}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: {name}-x\n  labels:\n    kubernetes.io/service-name: {name}\naddressType: IPv4\nports:\n- {{name: http, port: 8080, protocol: TCP}}\nendpoints:\n{eps}"
    )
}

/// An Ingress of class `class` serving `host` `path` (Prefix) from `svc`, over TLS with
/// Secret `tls` when given.
fn ingress_yaml(name: &str, class: &str, host: &str, path: &str, svc: &str, tls: Option<&str>) -> String {
    let tls = tls
        .map(|s| format!("  tls:\n  - hosts: [{host}]\n    secretName: {s}\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\nspec:\n  ingressClassName: {class}\n{tls}  rules:\n  - host: {host}\n    http:\n      paths:\n      - path: {path}\n        pathType: Prefix\n        backend: {{service: {{name: {svc}, port: {{number: 80}}}}}}\n"
    )
}

/// A TLS Secret with a fresh certificate for `host`.
fn secret_yaml(name: &str, host: &str) -> String {
    let k = rcgen::generate_simple_self_signed(vec![host.to_owned()]).expect("certificate");
    let indent = |pem: String| pem.lines().map(|l| format!("    {l}\n")).collect::<String>();
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n{}  tls.key: |\n{}",
        indent(k.cert.pem()),
        indent(k.signing_key.serialize_pem())
    )
}

async fn ingress_json(e: &Env, name: &str) -> Option<Value> {
    let out = e
        .ctx
        .env
        .kubectl(&["get", "ingress", name, "-n", &e.ctx.ns, "-o", "json"])
        .await
        .expect("kubectl");
    if !out.success() {
        return None;
    }
    serde_json::from_str(&out.stdout).ok()
}

/// `(hostname, ip)` of an Ingress's status.
async fn ingress_status(e: &Env, name: &str) -> Vec<(String, String)> {
    let Some(i) = ingress_json(e, name).await else {
        return Vec::new();
    };
    i.pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|x| {
            (
                x["hostname"].as_str().unwrap_or_default().to_owned(),
                x["ip"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn wait_status(e: &Env, name: &str, hosts: &[&str]) -> Vec<(String, String)> {
    let want: Vec<&str> = hosts.to_vec();
    eventually(60, &format!("status of {name} = {hosts:?}"), || async {
        let s = ingress_status(e, name).await;
        let got: Vec<&str> = s.iter().map(|(h, _)| h.as_str()).collect();
        (got == want && s.iter().all(|(_, ip)| !ip.is_empty())).then_some(s.clone())
    })
    .await
}

/// Events of this test's namespace as `reason: note` lines of the Ingress `name`.
async fn events_of(e: &Env, name: &str) -> Vec<String> {
    let out = e
        .kubectl(&["get", "events.events.k8s.io", "-n", &e.ctx.ns, "-o", "json"])
        .await;
    let v: Value = serde_json::from_str(&out).unwrap_or_default();
    v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|ev| ev.pointer("/regarding/kind") == Some(&Value::from("Ingress")))
        .filter(|ev| ev.pointer("/regarding/name") == Some(&Value::from(name)))
        .map(|ev| {
            format!(
                "{}: {}",
                ev["reason"].as_str().unwrap_or_default(),
                ev["note"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

async fn wait_event(e: &Env, name: &str, prefix: &str) -> String {
    eventually(30, &format!("event {prefix} on {name}"), || async {
        events_of(e, name)
            .await
            .into_iter()
            .find(|l| l.starts_with(prefix))
    })
    .await
}

async fn names_set(e: &Env, kind: &str) -> BTreeSet<String> {
    e.names(kind).await.into_iter().collect()
}

fn set<const N: usize>(items: [String; N]) -> BTreeSet<String> {
    items.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_and_secure_ingress_end_to_end_then_restart_without_writes() {
    let e = env("run-ing-best").await;
    let c = &e.cluster;
    let ns = e.ctx.ns.clone();
    let run = e.start().await;
    e.apply(&class_yaml(&e)).await;
    e.apply(&backend_yaml("svc1", &["10.1.1.1"])).await;
    e.apply(&backend_yaml("svc2", &["10.1.2.1"])).await;
    e.apply(&secret_yaml("noo-tls", "noo.com")).await;
    e.apply(&ingress_yaml("ing1", &e.class, "foo.com", "/foo", "svc1", None))
        .await;
    e.apply(&ingress_yaml(
        "ing2",
        &e.class,
        "noo.com",
        "/bar",
        "svc2",
        Some("noo-tls"),
    ))
    .await;

    // Both hosts are on shard 0 (SPEC-ingress §3), one VIP.
    let s1 = wait_status(&e, "ing1", &["foo.com"]).await;
    let s2 = wait_status(&e, "ing2", &["noo.com"]).await;
    assert!(s1[0].1.starts_with("10.50.0."), "{s1:?}");
    assert_eq!(s1[0].1, s2[0].1, "one shard, one VIP");

    let parent = format!("{c}--Shared-L7-0");
    assert_eq!(
        names_set(&e, "virtualservice").await,
        set([parent.clone(), format!("{c}--noo.com")])
    );
    assert_eq!(names_set(&e, "vsvip").await, set([parent.clone()]));
    assert_eq!(
        names_set(&e, "sslkeyandcertificate").await,
        set([format!("{c}--noo.com")])
    );
    assert_eq!(
        names_set(&e, "pool").await,
        set([
            format!("{c}--foo.com_foo-{ns}-ing1"),
            format!("{c}--{ns}-noo.com_bar-ing2")
        ])
    );
    assert_eq!(
        names_set(&e, "poolgroup").await,
        set([parent.clone(), format!("{c}--{ns}-noo.com_bar-ing2")])
    );
    assert_eq!(names_set(&e, "vsdatascriptset").await, set([parent.clone()]));
    assert_eq!(
        names_set(&e, "httppolicyset").await,
        set([parent.clone(), format!("{c}--{ns}-noo.com")])
    );
    let vip = e.object("vsvip", &parent).await.expect("VsVip");
    let fqdns: Vec<&str> = vip["dns_info"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["fqdn"].as_str())
        .collect();
    assert!(
        fqdns.contains(&"foo.com") && fqdns.contains(&"noo.com"),
        "{fqdns:?}"
    );

    // Events: Synced on each, naming the virtual service and host.
    assert_eq!(
        wait_event(&e, "ing1", "Synced").await,
        format!("Synced: served on {parent} for foo.com")
    );
    wait_event(&e, "ing2", "Synced").await;

    // Metrics: Ingress keys and the new object types.
    let body = reqwest_get(&format!("http://{}/metrics", run.metrics_addr)).await;
    assert!(
        body.contains("avigw_reconcile_total{kind=\"Ingress\",result=\"success\"}"),
        "{body}"
    );
    for object in [
        "poolgroup",
        "vsdatascriptset",
        "httppolicyset",
        "sslkeyandcertificate",
    ] {
        assert!(
            body.contains(&format!(
                "avigw_avi_requests_total{{code=\"201\",method=\"POST\",object=\"{object}\"}}"
            )),
            "{object}: {body}"
        );
    }
    assert!(
        body.contains("avigw_managed_objects{object=\"poolgroup\"} 2"),
        "{body}"
    );

    // One endpoint change: one Avi write (the pool).
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    let before = writes(&e);
    e.ctx
        .env
        .kubectl(&[
            "patch", "endpointslice", "svc2-x", "-n", &ns, "--type=json", "-p",
            r#"[{"op":"add","path":"/endpoints/-","value":{"addresses":["10.1.2.9"],"conditions":{"ready":true}}}]"#,
        ])
        .await
        .unwrap()
        .ok()
        .unwrap();
    eventually(30, "pool has 2 servers", || async {
        let p = e.object("pool", &format!("{c}--{ns}-noo.com_bar-ing2")).await?;
        (p["servers"].as_array()?.len() == 2).then_some(())
    })
    .await;
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    assert_eq!(writes(&e) - before, 1, "one endpoint change = one Avi call");

    // A restart with nothing changed: no Avi write, no status write, no new Synced event.
    run.shutdown();
    let synced_before = events_of(&e, "ing1").await.len();
    e.sim.stats().reset();
    let run = e.start().await;
    assert!(run.wait_idle(Duration::from_secs(60)).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    assert_eq!(
        writes(&e),
        0,
        "a restart with nothing changed writes nothing to Avi"
    );
    assert_eq!(
        events_of(&e, "ing1").await.len(),
        synced_before,
        "no new event after a restart"
    );
    assert_eq!(ingress_status(&e, "ing1").await, s1);
    run.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_created_late_serves_the_host_and_its_deletion_unserves_it() {
    let e = env("run-ing-secret").await;
    let c = &e.cluster;
    let ns = e.ctx.ns.clone();
    let run = e.start().await;
    e.apply(&class_yaml(&e)).await;
    e.apply(&backend_yaml("svc1", &["10.1.1.1"])).await;
    e.apply(&backend_yaml("svc2", &["10.1.2.1"])).await;
    e.apply(&ingress_yaml("ing1", &e.class, "foo.com", "/foo", "svc1", None))
        .await;
    e.apply(&ingress_yaml(
        "ing2",
        &e.class,
        "noo.com",
        "/bar",
        "svc2",
        Some("late-tls"),
    ))
    .await;

    // No Secret: noo.com is not served at all (no child, no HTTP fallback), and its Ingress
    // hears why, once.
    wait_status(&e, "ing1", &["foo.com"]).await;
    let why = wait_event(&e, "ing2", "SecretNotFound").await;
    assert!(why.contains("late-tls"), "{why}");
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    assert_eq!(ingress_status(&e, "ing2").await, Vec::<(String, String)>::new());
    let pools = names_set(&e, "pool").await;
    assert_eq!(
        pools,
        set([format!("{c}--foo.com_foo-{ns}-ing1")]),
        "no pool for noo.com"
    );
    assert_eq!(
        names_set(&e, "virtualservice").await,
        set([format!("{c}--Shared-L7-0")])
    );

    // The Secret arrives: the host is served on its SNI child.
    e.apply(&secret_yaml("late-tls", "noo.com")).await;
    wait_status(&e, "ing2", &["noo.com"]).await;
    assert!(
        names_set(&e, "virtualservice")
            .await
            .contains(&format!("{c}--noo.com"))
    );
    wait_event(&e, "ing2", "Synced").await;

    // Deleted: the host goes (no fallback to HTTP), the parent stays for foo.com.
    e.kubectl(&["delete", "secret", "late-tls", "-n", &ns]).await;
    eventually(30, "noo.com unserved", || async {
        ingress_status(&e, "ing2").await.is_empty().then_some(())
    })
    .await;
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    assert_eq!(
        names_set(&e, "virtualservice").await,
        set([format!("{c}--Shared-L7-0")])
    );
    assert!(names_set(&e, "sslkeyandcertificate").await.is_empty());
    assert_eq!(
        names_set(&e, "pool").await,
        set([format!("{c}--foo.com_foo-{ns}-ing1")])
    );
    wait_event(&e, "ing2", "Removed").await;
    // Only one SecretNotFound per generation, however often the key synced.
    let notfound = events_of(&e, "ing2")
        .await
        .into_iter()
        .filter(|l| l.starts_with("SecretNotFound"))
        .count();
    assert_eq!(notfound, 1, "{:?}", events_of(&e, "ing2").await);
    run.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_keeps_the_parent_and_another_class_removes_the_objects() {
    let e = env("run-ing-delete").await;
    let c = &e.cluster;
    let ns = e.ctx.ns.clone();
    let run = e.start().await;
    e.apply(&class_yaml(&e)).await;
    e.apply(
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx-run-ing-delete\nspec:\n  controller: k8s.io/ingress-nginx\n",
    )
    .await;
    e.apply(&backend_yaml("svc1", &["10.1.1.1"])).await;
    e.apply(&backend_yaml("svc2", &["10.1.2.1"])).await;
    e.apply(&secret_yaml("noo-tls", "noo.com")).await;
    e.apply(&ingress_yaml("ing1", &e.class, "foo.com", "/foo", "svc1", None))
        .await;
    e.apply(&ingress_yaml(
        "ing2",
        &e.class,
        "noo.com",
        "/bar",
        "svc2",
        Some("noo-tls"),
    ))
    .await;
    wait_status(&e, "ing1", &["foo.com"]).await;
    wait_status(&e, "ing2", &["noo.com"]).await;
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    let parent = format!("{c}--Shared-L7-0");

    // ing2 deleted: its pools, PoolGroup, switching set, certificate and child go; the parent
    // stays, its redirect set detached and deleted.
    e.kubectl(&["delete", "ingress", "ing2", "-n", &ns]).await;
    eventually(30, "the child gone", || async {
        (names_set(&e, "virtualservice").await == set([parent.clone()])).then_some(())
    })
    .await;
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    assert_eq!(
        names_set(&e, "pool").await,
        set([format!("{c}--foo.com_foo-{ns}-ing1")])
    );
    assert_eq!(names_set(&e, "poolgroup").await, set([parent.clone()]));
    assert!(names_set(&e, "httppolicyset").await.is_empty());
    assert!(names_set(&e, "sslkeyandcertificate").await.is_empty());
    let vs = e.object("virtualservice", &parent).await.unwrap();
    assert!(
        vs.get("http_policies")
            .is_none_or(|p| p.as_array().is_some_and(Vec::is_empty)),
        "{vs}"
    );

    // ing1 moves to another controller's class: its objects go, the parent is kept empty, its
    // status is cleared and it hears Removed.
    e.apply(&ingress_yaml(
        "ing1",
        "nginx-run-ing-delete",
        "foo.com",
        "/foo",
        "svc1",
        None,
    ))
    .await;
    eventually(30, "foo.com's pool gone", || async {
        names_set(&e, "pool").await.is_empty().then_some(())
    })
    .await;
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    assert_eq!(names_set(&e, "virtualservice").await, set([parent.clone()]));
    assert_eq!(names_set(&e, "vsvip").await, set([parent.clone()]));
    let pg = e.object("poolgroup", &parent).await.unwrap();
    assert!(
        pg.get("members")
            .is_none_or(|m| m.as_array().is_some_and(Vec::is_empty)),
        "{pg}"
    );
    eventually(30, "ing1's status cleared", || async {
        ingress_status(&e, "ing1").await.is_empty().then_some(())
    })
    .await;
    wait_event(&e, "ing1", "Removed").await;

    // A restart: the empty parent is kept and left as it is.
    run.shutdown();
    e.sim.stats().reset();
    let run = e.start().await;
    assert!(run.wait_idle(Duration::from_secs(60)).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    assert_eq!(writes(&e), 0);
    assert_eq!(names_set(&e, "virtualservice").await, set([parent.clone()]));
    run.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_parent_is_written_once_per_sync_not_once_per_host() {
    let e = env("run-ing-parent").await;
    e.apply(&class_yaml(&e)).await;
    e.apply(&backend_yaml("svc1", &["10.1.1.1"])).await;
    // Ten hosts, half secure, all on the one SMALL shard; in the cluster before the
    // reconciler starts, so the key syncs once with all of them.
    let mut yaml = Vec::new();
    for i in 0..10 {
        let host = format!("h{i}.example.com");
        let tls = (i % 2 == 0).then(|| format!("tls{i}"));
        if let Some(t) = &tls {
            yaml.push(secret_yaml(t, &host));
        }
        yaml.push(ingress_yaml(
            &format!("ing{i}"),
            &e.class,
            &host,
            "/",
            "svc1",
            tls.as_deref(),
        ));
    }
    e.apply(&yaml.join("---\n")).await;
    let mut raw = e.raw();
    raw.scope.shard_vs_size = Some("SMALL".into());
    let run = e.start_with(raw, "replica-a").await;
    for i in 0..10 {
        wait_status(&e, &format!("ing{i}"), &[&format!("h{i}.example.com")]).await;
    }
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    // One POST of the parent and one of each of the five children; no PUT of any.
    assert_eq!(e.sim.stats().count("POST", "virtualservice"), 6);
    assert_eq!(
        e.sim.stats().count("PUT", "virtualservice"),
        0,
        "the parent is not rewritten per host"
    );
    assert_eq!(e.sim.stats().count("POST", "vsvip"), 1);
    assert_eq!(e.sim.stats().count("PUT", "vsvip"), 0);
    assert_eq!(e.sim.stats().count("POST", "poolgroup"), 1 + 5);
    assert_eq!(e.sim.stats().count("PUT", "poolgroup"), 0);
    run.shutdown();
}

async fn reqwest_get(url: &str) -> String {
    let out = tokio::process::Command::new("curl")
        .args(["-s", url])
        .output()
        .await
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_shard_size_stops_start_up_with_one_line() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_avigw-reconciler"))
        .arg("run")
        .env_clear()
        .env("AVIGW_CLUSTER_NAME", "c")
        .env("AVIGW_CONTROLLER", "https://avi.example.com")
        .env("AVIGW_USERNAME", "admin")
        .env("AVIGW_PASSWORD_FILE", "/dev/null")
        .env("AVIGW_SHARD_VS_SIZE", "HUGE")
        .output()
        .await
        .expect("run binary");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        r#"error: invalid setting --shard-vs-size (AVIGW_SHARD_VS_SIZE): "HUGE" is not one of LARGE, MEDIUM, SMALL, DEDICATED"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedicated_hosts_get_their_own_virtual_service_and_lose_it_whole() {
    let e = env("run-ing-dedicated").await;
    let c = &e.cluster;
    let ns = e.ctx.ns.clone();
    let mut raw = e.raw();
    raw.scope.shard_vs_size = Some("DEDICATED".into());
    let run = e.start_with(raw.clone(), "replica-a").await;
    e.apply(&class_yaml(&e)).await;
    e.apply(&backend_yaml("svc1", &["10.1.1.1"])).await;
    e.apply(&backend_yaml("svc2", &["10.1.2.1"])).await;
    e.apply(&secret_yaml("noo-tls", "noo.com")).await;
    e.apply(&ingress_yaml("ing1", &e.class, "foo.com", "/foo", "svc1", None))
        .await;
    e.apply(&ingress_yaml(
        "ing2",
        &e.class,
        "noo.com",
        "/bar",
        "svc2",
        Some("noo-tls"),
    ))
    .await;
    let s1 = wait_status(&e, "ing1", &["foo.com"]).await;
    let s2 = wait_status(&e, "ing2", &["noo.com"]).await;
    assert_ne!(s1[0].1, s2[0].1, "a VIP per host");
    let foo = format!("{c}--foo.com-L7-dedicated");
    let noo = format!("{c}--noo.com-L7-dedicated");
    assert_eq!(
        names_set(&e, "virtualservice").await,
        set([foo.clone(), noo.clone()])
    );
    assert_eq!(names_set(&e, "vsvip").await, set([foo.clone(), noo.clone()]));
    assert_eq!(
        wait_event(&e, "ing2", "Synced").await,
        format!("Synced: served on {noo} for noo.com")
    );
    assert!(run.wait_idle(Duration::from_secs(30)).await);

    // ing2 goes: all of noo.com goes with it, its VsVip included.
    e.kubectl(&["delete", "ingress", "ing2", "-n", &ns]).await;
    eventually(30, "noo.com's objects gone", || async {
        (names_set(&e, "vsvip").await == set([foo.clone()])).then_some(())
    })
    .await;
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    assert_eq!(names_set(&e, "virtualservice").await, set([foo.clone()]));
    assert!(names_set(&e, "sslkeyandcertificate").await.is_empty());
    assert_eq!(
        names_set(&e, "pool").await,
        set([format!("{c}--{ns}-foo.com_foo-ing1-L7-dedicated")])
    );
    assert_eq!(
        names_set(&e, "httppolicyset").await,
        set([format!("{c}--{ns}-foo.com")])
    );

    // A restart: nothing to write.
    run.shutdown();
    e.sim.stats().reset();
    let run = e.start_with(raw, "replica-a").await;
    assert!(run.wait_idle(Duration::from_secs(60)).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    assert_eq!(writes(&e), 0);
    run.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_avi_failure_is_told_to_the_ingresses_and_retried() {
    let e = env("run-ing-avierr").await;
    let run = e.start().await;
    e.apply(&class_yaml(&e)).await;
    e.apply(&backend_yaml("svc1", &["10.1.1.1"])).await;
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    e.sim.apply_faults(&avisim::FaultPatch {
        error_next: Some(100_000),
        error_code: Some(503),
        ..Default::default()
    });
    e.apply(&ingress_yaml("ing1", &e.class, "foo.com", "/foo", "svc1", None))
        .await;
    let why = wait_event(&e, "ing1", "AviError").await;
    assert!(why.contains("unavailable (503)"), "{why}");
    assert_eq!(ingress_status(&e, "ing1").await, Vec::<(String, String)>::new());
    e.sim.reset_faults();
    wait_status(&e, "ing1", &["foo.com"]).await;
    wait_event(&e, "ing1", "Synced").await;
    let body = reqwest_get(&format!("http://{}/metrics", run.metrics_addr)).await;
    assert!(
        body.contains("avigw_reconcile_total{kind=\"Ingress\",result=\"error\"}"),
        "{body}"
    );
    run.shutdown();
}
