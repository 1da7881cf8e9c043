//! The Avi client's typed CRUD of the Ingress object types against avisim (in-process, real
//! HTTPS): SPEC-ingress §9's worked example, translated, written in create order and read
//! back; updates; deletes in reverse; and the controller's refusals as typed errors. A private
//! key never comes back, and never appears in an error.

mod avi_support;

use avi_support::Env;
use avigw_reconciler::avi::{AviClient, AviError, AviType, ListQuery};
use avigw_shared::avi::{
    AviObjectRef, AviObjects, HttpPolicySet, Pool, PoolGroup, PoolGroupMember, PrivateKeyPem, SslCertificate,
    SslKeyAndCertificate, VS_TYPE_VH_CHILD, VirtualService, VsDataScriptSet, VsVip, kind, name_ref,
};
use avigw_shared::config::{Purpose, RawConfig, ScopeArgs};
use avigw_shared::translate::{Context, ControllerFacts, Snapshot, parse_manifests, translate_all};

const EXAMPLE: &str = include_str!("../../shared/tests/golden/inputs/l7-worked-example.yaml");
const NOO_CRT: &str = include_str!("../../shared/tests/fixtures/tls/noo.crt");
const OTHER_KEY: &str = include_str!("../../shared/tests/fixtures/tls/other.key");

/// The §9 example's objects (one shard key), translated as the reconciler does.
fn worked_example() -> AviObjects {
    let raw = RawConfig {
        cluster_name: Some("cluster".into()),
        vip_network: vec!["vip-net".into()],
        scope: ScopeArgs {
            default_domain: Some("avi.internal".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let cfg = raw.validate(Purpose::Plan).expect("config");
    let snap = Snapshot::from_config_objects(&cfg, parse_manifests(EXAMPLE).expect("example").objects);
    let ctx = Context::new(&cfg, &ControllerFacts::default());
    let mut plans = translate_all(&ctx, &snap).into_values();
    let plan = plans.next().expect("one key");
    assert!(plans.next().is_none(), "the example is one key");
    plan.avi
}

/// Creates one object with its own type; answers its uuid.
async fn create(c: &AviClient, o: AviObjectRef<'_>) -> Result<String, AviError> {
    async fn one<T: AviType>(
        c: &AviClient,
        o: &T,
        uuid: fn(T) -> Option<String>,
    ) -> Result<String, AviError> {
        Ok(uuid(c.create_object(o, None).await?).expect("a uuid"))
    }
    match o {
        AviObjectRef::SslKeyAndCertificate(x) => one(c, x, |x| x.uuid).await,
        AviObjectRef::VsVip(x) => one(c, x, |x| x.uuid).await,
        AviObjectRef::Pool(x) => one(c, x, |x| x.uuid).await,
        AviObjectRef::PoolGroup(x) => one(c, x, |x| x.uuid).await,
        AviObjectRef::VsDataScriptSet(x) => one(c, x, |x| x.uuid).await,
        AviObjectRef::HttpPolicySet(x) => one(c, x, |x| x.uuid).await,
        AviObjectRef::L4PolicySet(x) => one(c, x, |x| x.uuid).await,
        AviObjectRef::VirtualService(x) => one(c, x, |x| x.uuid).await,
    }
}

async fn delete(c: &AviClient, k: &str, uuid: &str) -> Result<(), AviError> {
    match k {
        kind::SSLKEYANDCERTIFICATE => c.delete_object::<SslKeyAndCertificate>(uuid, None).await,
        kind::VSVIP => c.delete_object::<VsVip>(uuid, None).await,
        kind::POOL => c.delete_object::<Pool>(uuid, None).await,
        kind::POOLGROUP => c.delete_object::<PoolGroup>(uuid, None).await,
        kind::VSDATASCRIPTSET => c.delete_object::<VsDataScriptSet>(uuid, None).await,
        kind::HTTPPOLICYSET => c.delete_object::<HttpPolicySet>(uuid, None).await,
        kind::VIRTUALSERVICE => c.delete_object::<VirtualService>(uuid, None).await,
        other => panic!("unexpected kind {other}"),
    }
}

/// Writes every object of `avi` in create order; answers (kind, name, uuid) in that order.
async fn create_all(c: &AviClient, avi: &AviObjects) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    for o in avi.create_order() {
        let uuid = create(c, o)
            .await
            .unwrap_or_else(|e| panic!("create {} {}: {e}", o.kind(), o.name()));
        out.push((o.kind(), o.name().to_owned(), uuid));
    }
    out
}

fn new_pair(host: &str) -> (String, String) {
    let k = rcgen::generate_simple_self_signed(vec![host.to_owned()]).expect("certificate");
    (k.cert.pem(), k.signing_key.serialize_pem())
}

#[tokio::test]
async fn the_worked_example_is_written_in_create_order_read_back_and_deleted_in_reverse() {
    let env = Env::start().await;
    let c = env.client();
    let avi = worked_example();
    let written = create_all(&c, &avi).await;
    let kinds: Vec<&str> = written.iter().map(|(k, _, _)| *k).collect();
    assert_eq!(
        kinds,
        [
            "sslkeyandcertificate",
            "pool",
            "pool",
            "pool",
            "poolgroup",
            "poolgroup",
            "poolgroup",
            "vsdatascriptset",
            "httppolicyset",
            "httppolicyset",
            "vsvip",
            "virtualservice",
            "virtualservice"
        ],
        "SPEC-ingress §9's 13 objects"
    );

    // Read back, typed, by name.
    let cert: SslKeyAndCertificate = c
        .read_object_by_name("cluster--noo.com", None)
        .await
        .unwrap()
        .expect("the certificate");
    assert_eq!(
        cert.certificate.certificate,
        avi.sslkeyandcertificates[0].certificate.certificate
    );
    assert_eq!(
        cert.key.as_ref().map(PrivateKeyPem::expose),
        Some("<sensitive>"),
        "Avi never returns the key"
    );
    let pg: PoolGroup = c
        .read_object_by_name("cluster--Shared-L7-0", None)
        .await
        .unwrap()
        .expect("the parent's PoolGroup");
    assert!(pg.implicit_priority_labels);
    assert_eq!(pg.members.len(), 1);
    assert_eq!(pg.members[0].priority_label.as_deref(), Some("foo.com/foo"));
    let pool_uuid = &written
        .iter()
        .find(|(_, n, _)| n == "cluster--foo.com_foo-default-ing1")
        .expect("the insecure pool")
        .2;
    assert!(
        pg.members[0]
            .pool_ref
            .ends_with(&format!("/api/pool/{pool_uuid}")),
        "a ref sent by name reads back by uuid: {}",
        pg.members[0].pool_ref
    );
    let ds: VsDataScriptSet = c
        .read_object_by_name("cluster--Shared-L7-0", None)
        .await
        .unwrap()
        .expect("the datascript");
    assert!(
        ds.datascript[0]
            .script
            .contains("avi.poolgroup.select(\"cluster--Shared-L7-0\"")
    );
    let switching: HttpPolicySet = c
        .read_object_by_name("cluster--default-noo.com", None)
        .await
        .unwrap()
        .expect("the switching set");
    let rules: Vec<(&str, u32)> = switching
        .http_request_policy
        .rules
        .iter()
        .map(|r| (r.name.as_str(), r.index))
        .collect();
    assert_eq!(
        rules,
        [
            ("cluster--default-noo.com-0", 0),
            ("cluster--default-noo.com-1", 1),
            ("cluster--default-noo.com-2", 2)
        ]
    );
    let child: VirtualService = c
        .read_object_by_name("cluster--noo.com", None)
        .await
        .unwrap()
        .expect("the SNI child");
    assert_eq!(child.type_.as_deref(), Some(VS_TYPE_VH_CHILD));
    assert_eq!(child.vh_domain_name, ["noo.com"]);
    assert!(
        child
            .vh_parent_vs_ref
            .as_deref()
            .is_some_and(|r| r.contains("/api/virtualservice/"))
    );
    let vip: VsVip = c
        .read_object_by_name("cluster--Shared-L7-0", None)
        .await
        .unwrap()
        .expect("the VsVip");
    assert!(vip.address().is_some(), "a VIP was allocated");

    // By created_by, every type.
    let q = ListQuery::created_by("avigw-cluster");
    assert_eq!(
        c.list_objects::<SslKeyAndCertificate>(&q, None)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(c.list_objects::<PoolGroup>(&q, None).await.unwrap().len(), 3);
    assert_eq!(
        c.list_objects::<VsDataScriptSet>(&q, None).await.unwrap().len(),
        1
    );
    assert_eq!(c.list_objects::<HttpPolicySet>(&q, None).await.unwrap().len(), 2);

    // Deleted in reverse create order, nothing is refused; then nothing is left.
    for (k, name, uuid) in written.iter().rev() {
        delete(&c, k, uuid)
            .await
            .unwrap_or_else(|e| panic!("delete {k} {name}: {e}"));
    }
    for (k, name, _) in &written {
        let left: Option<serde_json::Value> = c.get_by_name(k, name, None).await.unwrap();
        assert!(left.is_none(), "{k} {name} is still there");
    }
}

#[tokio::test]
async fn objects_in_use_cannot_be_deleted_and_names_are_unique() {
    let env = Env::start().await;
    let c = env.client();
    let avi = worked_example();
    let written = create_all(&c, &avi).await;
    let uuid_of = |k: &str, n: &str| {
        written
            .iter()
            .find(|(wk, wn, _)| *wk == k && wn == n)
            .map(|(_, _, u)| u.clone())
            .expect("written")
    };

    // A pool in a PoolGroup, a PoolGroup in a set, a parent with a child.
    let pool = uuid_of("pool", "cluster--foo.com_foo-default-ing1");
    match c.delete_object::<Pool>(&pool, None).await {
        Err(AviError::InUse { referred_by, .. }) => {
            assert_eq!(referred_by, ["PoolGroup cluster--Shared-L7-0"]);
        }
        other => panic!("{other:?}"),
    }
    let sni_pg = uuid_of("poolgroup", "cluster--default-noo.com_bar-ing2");
    assert!(matches!(
        c.delete_object::<PoolGroup>(&sni_pg, None).await,
        Err(AviError::InUse { .. })
    ));
    let parent = uuid_of("virtualservice", "cluster--Shared-L7-0");
    match c.delete_object::<VirtualService>(&parent, None).await {
        Err(AviError::InUse { referred_by, .. }) => {
            assert_eq!(referred_by, ["VirtualService cluster--noo.com"]);
        }
        other => panic!("{other:?}"),
    }

    // The same name twice.
    let err = c
        .create_object(&avi.poolgroups[1], None)
        .await
        .expect_err("a second PoolGroup with the same name");
    assert!(matches!(err, AviError::Conflict { .. }), "{err:?}");

    // An update that empties the parent's PoolGroup frees the pool for deletion.
    let pg_uuid = uuid_of("poolgroup", "cluster--Shared-L7-0");
    let mut empty = avi.poolgroups[0].clone();
    empty.members.clear();
    let updated = c.update_object(&pg_uuid, &empty, None).await.unwrap();
    assert!(updated.members.is_empty());
    c.delete_object::<Pool>(&pool, None).await.unwrap();
    // And a member back, by name.
    let mut one = empty.clone();
    one.members.push(PoolGroupMember {
        pool_ref: name_ref(kind::POOL, "cluster--default-noo.com_bar-ing2"),
        ratio: Some(100),
        priority_label: Some("noo.com/bar".into()),
    });
    let updated = c.update_object(&pg_uuid, &one, None).await.unwrap();
    assert_eq!(updated.members.len(), 1);
}

#[tokio::test]
async fn a_certificate_is_replaced_and_its_key_never_comes_back() {
    let env = Env::start().await;
    let c = env.client();
    let avi = worked_example();
    let desired = &avi.sslkeyandcertificates[0];
    let created = c.create_object(desired, None).await.unwrap();
    assert!(created.key.is_none(), "a create answer has no key");
    let uuid = created.uuid.clone().expect("uuid");

    let (crt, key) = new_pair("noo.com");
    let next = SslKeyAndCertificate {
        certificate: SslCertificate {
            certificate: crt.clone(),
        },
        key: Some(PrivateKeyPem::new(key.clone())),
        ..desired.clone()
    };
    let updated = c.update_object(&uuid, &next, None).await.unwrap();
    assert!(updated.key.is_none(), "an update answer has no key");
    let read: SslKeyAndCertificate = c.read_object(&uuid, None).await.unwrap();
    assert_eq!(read.certificate.certificate, crt);
    assert_eq!(read.key.as_ref().map(PrivateKeyPem::expose), Some("<sensitive>"));
    let listed = c
        .list_objects::<SslKeyAndCertificate>(&ListQuery::created_by("avigw-cluster"), None)
        .await
        .unwrap();
    assert!(
        listed
            .iter()
            .all(|x| x.key.as_ref().map(PrivateKeyPem::expose) == Some("<sensitive>"))
    );

    // A key of another certificate is refused, and the message does not carry the key.
    let wrong = SslKeyAndCertificate {
        name: "cluster--other.com".into(),
        certificate: SslCertificate {
            certificate: NOO_CRT.into(),
        },
        key: Some(PrivateKeyPem::new(OTHER_KEY)),
        ..desired.clone()
    };
    let err = c.create_object(&wrong, None).await.expect_err("mismatched key");
    assert!(matches!(err, AviError::BadRequest { .. }), "{err:?}");
    let shown = format!("{err} {err:?}");
    for line in OTHER_KEY.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!shown.contains(line), "the key is in the error: {shown}");
    }
    let bad = c
        .update_object(&uuid, &wrong, None)
        .await
        .expect_err("mismatched key on update");
    assert!(matches!(bad, AviError::BadRequest { .. }), "{bad:?}");
}

/// A controller that answers every API call 400 with the request body echoed in its message
/// (plain HTTP; login sets the cookies a session needs).
async fn echoing_controller() -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    while buf.len() < head_end + 4 + len {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = String::from_utf8_lossy(&buf[head_end + 4..head_end + 4 + len]).to_string();
                    buf.drain(..head_end + 4 + len);
                    let reply = if head.starts_with("POST /login") {
                        "HTTP/1.1 200 OK\r\nset-cookie: csrftoken=t; Path=/\r\nset-cookie: sessionid=s; Path=/\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}".to_owned()
                    } else {
                        let msg = serde_json::json!({"error": format!("Invalid data: {body}")}).to_string();
                        format!(
                            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{msg}",
                            msg.len()
                        )
                    };
                    if sock.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_controller_that_echoes_the_request_never_gets_the_key_into_an_error() {
    let addr = echoing_controller().await;
    let mut cfg = avigw_reconciler::avi::AviClientConfig::new(
        format!("http://{addr}"),
        avigw_reconciler::avi::Credentials::Password {
            username: "admin".into(),
            password: avigw_reconciler::avi::Secret::new("pw"),
        },
    );
    cfg.api_version = Some("22.1.3".into());
    let c = AviClient::new(cfg).unwrap();
    let (crt, key) = new_pair("echo.example.com");
    let cert = SslKeyAndCertificate {
        certificate: SslCertificate { certificate: crt },
        key: Some(PrivateKeyPem::new(key.clone())),
        ..worked_example().sslkeyandcertificates[0].clone()
    };
    let err = c.create_object(&cert, None).await.expect_err("refused");
    let shown = format!("{err} {err:?}");
    assert!(matches!(err, AviError::BadRequest { .. }), "{shown}");
    assert!(
        shown.contains("Invalid data"),
        "the controller's message is kept: {shown}"
    );
    assert!(shown.contains("<redacted>"), "{shown}");
    for line in key.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!shown.contains(line), "a key line is in the error: {shown}");
    }
    // The JSON-escaped form too (newlines as \n): no line of the key survives either way.
    assert!(!shown.contains(&key.replace('\n', "\\n")));
}
