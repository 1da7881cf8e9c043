//! `avigw-reconciler plan --diff` as a binary against avisim: what a sync would do, the exit
//! codes (0 nothing would change, 2 something would, 1 error), and that it only reads.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use avigw_reconciler::avi::{AviClient, AviClientConfig, Credentials, Secret, TlsOptions};
use avisim::{SimConfig, SimHandle};
use serde_json::Value;

const PASSWORD: &str = "Sim-Pa55word!";

const MANIFEST: &str = "apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
";

struct Sim {
    sim: SimHandle,
    dir: PathBuf,
    manifest: PathBuf,
}

async fn sim(name: &str) -> Sim {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = avisim::spawn(SimConfig::for_tests(PASSWORD))
        .await
        .expect("avisim");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("plan_diff-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("password"), PASSWORD).unwrap();
    std::fs::write(dir.join("ca.pem"), sim.ca_pem().expect("self-signed")).unwrap();
    let manifest = dir.join("web.yaml");
    std::fs::write(&manifest, MANIFEST).unwrap();
    Sim { sim, dir, manifest }
}

impl Sim {
    fn connection(&self) -> Vec<String> {
        vec![
            "--cluster-name".into(),
            "demo".into(),
            "--controller".into(),
            self.sim.base_url().to_owned(),
            "--username".into(),
            "admin".into(),
            "--password-file".into(),
            self.dir.join("password").display().to_string(),
            "--ca-file".into(),
            self.dir.join("ca.pem").display().to_string(),
            "--vip-network".into(),
            "vip-net".into(),
        ]
    }

    fn diff(&self, extra: &[&str]) -> Output {
        let mut args: Vec<String> = vec!["plan".into(), "--diff".into(), "-f".into()];
        args.push(self.manifest.display().to_string());
        args.extend(self.connection());
        args.extend(extra.iter().map(|s| s.to_string()));
        run(&args)
    }

    fn avi(&self) -> AviClient {
        let mut c = AviClientConfig::new(
            self.sim.base_url(),
            Credentials::Password {
                username: "admin".into(),
                password: Secret::new(PASSWORD),
            },
        );
        c.tls = TlsOptions {
            ca_file: Some(self.dir.join("ca.pem")),
            insecure_skip_verify: false,
        };
        AviClient::new(c).unwrap()
    }

    /// Requests other than reads and logins.
    fn writes(&self) -> Vec<String> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET" && !r.path.ends_with("/login"))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

fn run(args: &[String]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_avigw-reconciler"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("AVIGW_") {
            cmd.env_remove(k);
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_exit_2_then_in_sync_exits_0_and_nothing_is_written() {
    let s = sim("create").await;
    let o = tokio::task::block_in_place(|| s.diff(&[]));
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(code(&o), 2, "{out}\n{err}");
    for want in [
        "create      vsvip                  demo--shop-web",
        "create      pool                   demo--shop-web-TCP-80",
        "create      virtualservice         demo--shop-web",
        "0 delete",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    let o = tokio::task::block_in_place(|| s.diff(&["-o", "json"]));
    assert_eq!(code(&o), 2);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let actions: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert!(actions.iter().all(|a| *a == "create"), "{v}");
    assert_eq!(v["changes"][0]["key"], "Service shop/web", "{v}");
    assert!(s.writes().is_empty(), "plan --diff wrote: {:?}", s.writes());

    // Put exactly what the plan wants on Avi: nothing would change.
    let plan = tokio::task::block_in_place(|| {
        let mut a: Vec<String> = vec!["plan".into(), "-o".into(), "json".into(), "-f".into()];
        a.push(s.manifest.display().to_string());
        a.extend(s.connection());
        run(&a)
    });
    assert_eq!(code(&plan), 0, "{}", text(&plan.stderr));
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    let objects = &plan["keys"][0]["avi"];
    let avi = s.avi();
    for (kind, field) in [
        ("vsvip", "vsvip"),
        ("pool", "pools"),
        ("l4policyset", "l4policyset"),
        ("virtualservice", "virtualservice"),
    ] {
        let items = match &objects[field] {
            Value::Array(a) => a.clone(),
            Value::Null => vec![],
            one => vec![one.clone()],
        };
        for o in items {
            let _: Value = avi.create(kind, &o, None).await.unwrap();
        }
    }
    let before = s.writes().len();
    let o = tokio::task::block_in_place(|| s.diff(&[]));
    let out = text(&o.stdout);
    assert_eq!(code(&o), 0, "{out}\n{}", text(&o.stderr));
    assert!(
        out.contains("0 create, 0 update, 0 adopt, 0 delete, 4 unchanged"),
        "{out}"
    );
    assert_eq!(s.writes().len(), before, "plan --diff wrote: {:?}", s.writes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_exit_1_never_2() {
    let s = sim("errors").await;
    // A usage error (clap's own code would be 2).
    let o = tokio::task::block_in_place(|| s.diff(&["--no-such-flag"]));
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    // A bad setting: one line naming it.
    let o = tokio::task::block_in_place(|| s.diff(&["--adopt-from", "ako demo"]));
    assert_eq!(code(&o), 1);
    assert!(
        text(&o.stderr).starts_with("error: invalid setting --adopt-from (AVIGW_ADOPT_FROM): \"ako demo\""),
        "{}",
        text(&o.stderr)
    );
    // No controller: --diff needs one, as `run` does.
    let o = tokio::task::block_in_place(|| {
        run(&[
            "plan".into(),
            "--diff".into(),
            "-f".into(),
            s.manifest.display().to_string(),
            "--cluster-name".into(),
            "demo".into(),
        ])
    });
    assert_eq!(code(&o), 1);
    assert!(
        text(&o.stderr).contains("invalid setting --controller"),
        "{}",
        text(&o.stderr)
    );
    // Wrong password: the controller cannot be read.
    std::fs::write(s.dir.join("password"), "wrong").unwrap();
    let o = tokio::task::block_in_place(|| s.diff(&[]));
    assert_eq!(code(&o), 1, "{}", text(&o.stdout));
    assert!(
        text(&o.stderr).starts_with("error: cannot read the controller"),
        "{}",
        text(&o.stderr)
    );
    assert!(!text(&o.stderr).contains("wrong"), "no credential in messages");
    // Without --diff the old codes stand: 2 is unusable input.
    let o = tokio::task::block_in_place(|| run(&["plan".into(), "-f".into(), "/nonexistent".into()]));
    assert_eq!(code(&o), 2);
}
