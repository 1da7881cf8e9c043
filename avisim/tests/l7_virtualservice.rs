//! L7 virtual services over HTTPS: virtual-hosting parents and children, their policy,
//! datascript and certificate refs, the refusals with their texts, and the whole object graph
//! of SPEC-ingress §9 created in its order and deleted in reverse, out-of-order deletes refused.

mod support;

use reqwest::Method;
use serde_json::{Value, json};
use support::{RSA_A_PKCS1, RSA_A_PKCS8, Sim};

fn cert_for(host: &str) -> String {
    support::cert_for(RSA_A_PKCS8, host)
}

fn uuid(v: &Value) -> String {
    v["uuid"].as_str().unwrap().to_string()
}

fn auto_vip(name: &str) -> Value {
    json!({"name": name, "vip": [{"vip_id": "0", "auto_allocate_ip": true,
        "ipam_network_subnet": {"network_ref": "/api/network?name=vip-net"}}]})
}

fn parent_vs(name: &str, vip: &str) -> Value {
    json!({
        "name": name, "type": "VS_TYPE_VH_PARENT",
        "services": [{"port": 80, "port_range_end": 80, "enable_ssl": false},
                     {"port": 443, "port_range_end": 443, "enable_ssl": true}],
        "application_profile_ref": "/api/applicationprofile?name=System-HTTP",
        "network_profile_ref": "/api/networkprofile?name=System-TCP-Proxy",
        "ssl_profile_ref": "/api/sslprofile?name=System-Standard",
        "ssl_key_and_certificate_refs": ["/api/sslkeyandcertificate?name=System-Default-Cert"],
        "vsvip_ref": format!("/api/vsvip?name={vip}"),
        "cloud_ref": "/api/cloud?name=Default-Cloud",
        "se_group_ref": "/api/serviceenginegroup?name=Default-Group",
        "created_by": "avigw-cluster",
    })
}

fn child_vs(name: &str, parent: &str, host: &str) -> Value {
    json!({
        "name": name, "type": "VS_TYPE_VH_CHILD",
        "vh_parent_vs_ref": format!("/api/virtualservice?name={parent}"),
        "vh_domain_name": [host],
        "application_profile_ref": "/api/applicationprofile?name=System-Secure-HTTP",
        "network_profile_ref": "/api/networkprofile?name=System-TCP-Proxy",
        "ssl_profile_ref": "/api/sslprofile?name=System-Standard",
        "se_group_ref": "/api/serviceenginegroup?name=Default-Group",
        "created_by": "avigw-cluster",
    })
}

#[tokio::test]
async fn parent_with_two_children() {
    let s = Sim::start(|_| {}).await;
    s.create("vsvip", auto_vip("shared-0")).await;
    let parent = s
        .create("virtualservice", parent_vs("shared-0", "shared-0"))
        .await;
    assert_eq!(parent["type"], "VS_TYPE_VH_PARENT");
    assert!(
        parent["ssl_profile_ref"]
            .as_str()
            .unwrap()
            .ends_with("#System-Standard")
    );
    assert!(
        parent["ssl_key_and_certificate_refs"][0]
            .as_str()
            .unwrap()
            .ends_with("#System-Default-Cert")
    );
    let a = s
        .create("virtualservice", child_vs("child-a", "shared-0", "a.com"))
        .await;
    // A child without an SE group takes its parent's.
    let mut b_body = child_vs("child-b", "shared-0", "b.com");
    b_body.as_object_mut().unwrap().remove("se_group_ref");
    let b = s.create("virtualservice", b_body).await;
    for (child, host) in [(&a, "a.com"), (&b, "b.com")] {
        assert_eq!(child["type"], "VS_TYPE_VH_CHILD");
        assert_eq!(child["vh_domain_name"], json!([host]));
        assert!(
            child["vh_parent_vs_ref"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/api/virtualservice/{}#shared-0", uuid(&parent)))
        );
        assert_eq!(child["se_group_ref"], parent["se_group_ref"]);
        assert!(child.get("services").is_none() && child.get("vsvip_ref").is_none());
    }
    let got = s
        .error(
            Method::DELETE,
            &format!("/api/virtualservice/{}", uuid(&parent)),
            None,
        )
        .await;
    assert_eq!(
        got,
        (
            400,
            "Cannot delete, object is referred by: ['VirtualService child-a', 'VirtualService child-b']"
                .to_string()
        )
    );
    // A child can be replaced in place (its own domain is no conflict with itself).
    let (st, v) = s
        .call(
            Method::PUT,
            &format!("/api/virtualservice/{}", uuid(&a)),
            Some(child_vs("child-a", "shared-0", "a.com")),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    for c in [&a, &b] {
        let (st, _) = s
            .call(Method::DELETE, &format!("/api/virtualservice/{}", uuid(c)), None)
            .await;
        assert_eq!(st, 204);
    }
    let (st, _) = s
        .call(
            Method::DELETE,
            &format!("/api/virtualservice/{}", uuid(&parent)),
            None,
        )
        .await;
    assert_eq!(st, 204);
}

#[tokio::test]
async fn child_rules_are_enforced() {
    let s = Sim::start(|_| {}).await;
    s.create("serviceenginegroup", json!({"name": "SEG-2"})).await;
    s.create("vsvip", auto_vip("v0")).await;
    s.create("vsvip", auto_vip("v1")).await;
    let parent = s.create("virtualservice", parent_vs("shared-0", "v0")).await;
    let mut normal = parent_vs("plain", "v1");
    normal["type"] = json!("VS_TYPE_NORMAL");
    s.create("virtualservice", normal).await;
    s.create("virtualservice", child_vs("taken", "shared-0", "a.com"))
        .await;
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v = child_vs("c", "shared-0", "c.com");
        edit(&mut v);
        v
    };
    let cases: Vec<(Value, String)> = vec![
        (
            with(&|v| {
                v.as_object_mut().unwrap().remove("vh_parent_vs_ref");
            }),
            "vh_parent_vs_ref: This field is required for a VS_TYPE_VH_CHILD virtual service.".into(),
        ),
        (
            with(&|v| v["vh_parent_vs_ref"] = json!("/api/virtualservice?name=plain")),
            "vh_parent_vs_ref: VirtualService plain is of type VS_TYPE_NORMAL, not VS_TYPE_VH_PARENT".into(),
        ),
        (
            with(&|v| v["vh_parent_vs_ref"] = json!("/api/virtualservice?name=nope")),
            "VirtualService object not found".into(),
        ),
        (
            with(&|v| {
                v.as_object_mut().unwrap().remove("vh_domain_name");
            }),
            "vh_domain_name: a VS_TYPE_VH_CHILD virtual service needs at least one domain name".into(),
        ),
        (
            with(&|v| v["vh_domain_name"] = json!([""])),
            "vh_domain_name: must be a list of domain names".into(),
        ),
        (
            with(&|v| v["vh_domain_name"] = json!(["a.com"])),
            "vh_domain_name: a.com is already served by VirtualService taken under the same parent".into(),
        ),
        (
            with(&|v| v["services"] = json!([{"port": 443, "enable_ssl": true}])),
            "services: a VS_TYPE_VH_CHILD virtual service has no services of its own (it is reached through its parent's)".into(),
        ),
        (
            with(&|v| v["vsvip_ref"] = json!("/api/vsvip?name=v1")),
            "vsvip_ref: a VS_TYPE_VH_CHILD virtual service has no VsVip of its own (it uses its parent's)".into(),
        ),
        (
            with(&|v| v["se_group_ref"] = json!("/api/serviceenginegroup?name=SEG-2")),
            "se_group_ref: a VS_TYPE_VH_CHILD virtual service must be in its parent's service engine group (Default-Group)".into(),
        ),
        (
            with(&|v| v["type"] = json!("VS_TYPE_FOO")),
            "type: \"VS_TYPE_FOO\" is not a valid choice.".into(),
        ),
    ];
    for (body, text) in cases {
        let got = s.error(Method::POST, "/api/virtualservice", Some(body)).await;
        assert_eq!(got, (400, text));
    }
    let (st, text) = s
        .error(
            Method::POST,
            "/api/virtualservice",
            Some(with(&|v| v["vh_parent_vs_ref"] = json!("/api/pool?name=x"))),
        )
        .await;
    assert_eq!(st, 400);
    assert!(
        text.starts_with("vh_parent_vs_ref: expected a reference to virtualservice, got pool"),
        "{text}"
    );
    // Only a child has a parent.
    let mut stray = parent_vs("stray", "v1");
    stray["vh_parent_vs_ref"] = json!("/api/virtualservice?name=shared-0");
    let got = s.error(Method::POST, "/api/virtualservice", Some(stray)).await;
    assert_eq!(
        got,
        (
            400,
            "vh_parent_vs_ref: only a VS_TYPE_VH_CHILD virtual service has a parent (type is VS_TYPE_VH_PARENT)"
                .to_string()
        )
    );
    // A parent with children stays a parent, in its children's SE group, and not its own child.
    let at = format!("/api/virtualservice/{}", uuid(&parent));
    let mut demoted = parent_vs("shared-0", "v0");
    demoted["type"] = json!("VS_TYPE_NORMAL");
    let mut moved = parent_vs("shared-0", "v0");
    moved["se_group_ref"] = json!("/api/serviceenginegroup?name=SEG-2");
    let own_child = child_vs("shared-0", "shared-0", "self.com");
    for (body, text) in [
        (
            demoted,
            "type: the children ['VirtualService taken'] need this virtual service to stay VS_TYPE_VH_PARENT",
        ),
        (
            moved,
            "se_group_ref: the children ['VirtualService taken'] are in service engine group Default-Group; a parent keeps its children's group",
        ),
        (
            own_child,
            "vh_parent_vs_ref: a virtual service cannot be its own parent",
        ),
    ] {
        let got = s.error(Method::PUT, &at, Some(body)).await;
        assert_eq!(got, (400, text.to_string()));
    }
    // A parent in another SE group takes children in that group.
    s.create("vsvip", auto_vip("v2")).await;
    let mut p2 = parent_vs("shared-1", "v2");
    p2["se_group_ref"] = json!("/api/serviceenginegroup?name=SEG-2");
    s.create("virtualservice", p2).await;
    let mut c2 = child_vs("c2", "shared-1", "a.com");
    c2["se_group_ref"] = json!("/api/serviceenginegroup?name=SEG-2");
    s.create("virtualservice", c2).await;
}

#[tokio::test]
async fn virtualservice_l7_refs_and_lists() {
    let s = Sim::start(|_| {}).await;
    s.create("vsvip", auto_vip("v0")).await;
    s.create("poolgroup", json!({"name": "pg"})).await;
    s.create(
        "vsdatascriptset",
        json!({"name": "ds", "pool_group_refs": ["/api/poolgroup?name=pg"],
               "datascript": [{"evt": "VS_DATASCRIPT_EVT_HTTP_REQ",
                               "script": "avi.poolgroup.select(\"pg\", \"x/\")"}]}),
    )
    .await;
    s.create(
        "httppolicyset",
        json!({"name": "rd", "http_request_policy": {"rules": [{"name": "rd-0", "index": 0,
            "redirect_action": {"protocol": "HTTPS", "port": 443}}]}}),
    )
    .await;
    s.create(
        "sslkeyandcertificate",
        json!({"name": "ca", "type": "SSL_CERTIFICATE_TYPE_CA",
               "certificate": {"certificate": cert_for("ca")}}),
    )
    .await;
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v = parent_vs("p", "v0");
        v["vs_datascripts"] = json!([{"index": 0, "vs_datascript_set_ref": "/api/vsdatascriptset?name=ds"}]);
        v["http_policies"] = json!([{"index": 11, "http_policy_set_ref": "/api/httppolicyset?name=rd"}]);
        edit(&mut v);
        v
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with(&|v| v["http_policies"] = json!([{"http_policy_set_ref": "/api/httppolicyset?name=rd"}])),
            "http_policies[0].index: This field is required.",
        ),
        (
            with(&|v| v["http_policies"] = json!([{"index": 11}])),
            "http_policies[0].http_policy_set_ref: This field is required.",
        ),
        (
            with(&|v| {
                v["http_policies"] = json!([
                    {"index": 11, "http_policy_set_ref": "/api/httppolicyset?name=rd"},
                    {"index": 11, "http_policy_set_ref": "/api/httppolicyset?name=rd"}])
            }),
            "http_policies[1].index: duplicate index 11",
        ),
        (
            with(&|v| v["http_policies"][0]["http_policy_set_ref"] = json!("/api/httppolicyset?name=nope")),
            "HTTPPolicySet object not found",
        ),
        (
            with(&|v| {
                v["vs_datascripts"] = json!([{"vs_datascript_set_ref": "/api/vsdatascriptset?name=ds"}])
            }),
            "vs_datascripts[0].index: This field is required.",
        ),
        (
            with(&|v| v["vs_datascripts"] = json!([{"index": 0}])),
            "vs_datascripts[0].vs_datascript_set_ref: This field is required.",
        ),
        (
            with(&|v| {
                v["vs_datascripts"][0]["vs_datascript_set_ref"] = json!("/api/vsdatascriptset?name=nope")
            }),
            "VSDataScriptSet object not found",
        ),
        (
            with(&|v| v["ssl_profile_ref"] = json!("/api/sslprofile?name=nope")),
            "SSLProfile object not found",
        ),
        (
            with(&|v| v["application_profile_ref"] = json!("/api/applicationprofile?name=nope")),
            "ApplicationProfile object not found",
        ),
        (
            with(&|v| v["ssl_key_and_certificate_refs"] = json!(["/api/sslkeyandcertificate?name=nope"])),
            "SSLKeyAndCertificate object not found",
        ),
        (
            with(&|v| v["ssl_key_and_certificate_refs"] = json!([])),
            "ssl_key_and_certificate_refs: a service with enable_ssl needs a certificate",
        ),
        (
            with(&|v| v["ssl_key_and_certificate_refs"] = json!(["/api/sslkeyandcertificate?name=ca"])),
            "ssl_key_and_certificate_refs[0]: SSLKeyAndCertificate ca is a CA certificate",
        ),
    ];
    for (body, text) in cases {
        let got = s.error(Method::POST, "/api/virtualservice", Some(body)).await;
        assert_eq!(got, (400, text.to_string()));
    }
    // Without ssl_profile_ref, an SSL service gets what the recorded controller gave.
    let p = s
        .create(
            "virtualservice",
            with(&|v| {
                v.as_object_mut().unwrap().remove("ssl_profile_ref");
            }),
        )
        .await;
    assert!(
        p["ssl_profile_ref"]
            .as_str()
            .unwrap()
            .ends_with("#System-Standard-PFS")
    );
    assert!(
        p["http_policies"][0]["http_policy_set_ref"]
            .as_str()
            .unwrap()
            .ends_with("#rd")
    );
    assert!(
        p["vs_datascripts"][0]["vs_datascript_set_ref"]
            .as_str()
            .unwrap()
            .ends_with("#ds")
    );
}

#[tokio::test]
async fn refs_resolve_in_the_tenant_or_admin() {
    let s = Sim::start(|_| {}).await;
    s.create("tenant", json!({"name": "t1"})).await;
    s.create("tenant", json!({"name": "t2"})).await;
    let in_tenant = |t: &'static str, kind: &'static str, body: Value| {
        s.req(Method::POST, &format!("/api/{kind}"))
            .header("X-Avi-Tenant", t)
            .json(&body)
            .send()
    };
    let r = in_tenant(
        "t2",
        "sslkeyandcertificate",
        json!({"name": "t2-cert", "certificate": {"certificate": cert_for("t2.com")},
               "key": RSA_A_PKCS1}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let r = in_tenant("t1", "vsvip", auto_vip("v")).await.unwrap();
    assert_eq!(r.status(), 201);
    // t1 sees admin's System-* profiles and System-Default-Cert, not t2's certificate.
    let r = in_tenant("t1", "virtualservice", parent_vs("p", "v"))
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let mut other = child_vs("c", "p", "c.com");
    other["ssl_key_and_certificate_refs"] = json!(["/api/sslkeyandcertificate?name=t2-cert"]);
    let r = in_tenant("t1", "virtualservice", other).await.unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "SSLKeyAndCertificate object not found");
}

/// One object of the §9 example: its type, name and body.
struct Step {
    kind: &'static str,
    name: &'static str,
    body: Value,
}

fn markers(pairs: &[(&str, &str)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(k, v)| json!({"key": k, "values": [v]}))
            .collect(),
    )
}

fn pool(name: &'static str, servers: Value, labels: &[(&str, &str)]) -> Step {
    Step {
        kind: "pool",
        name,
        body: json!({"name": name, "servers": servers, "markers": markers(labels),
                     "health_monitor_refs": ["/api/healthmonitor?name=System-TCP"]}),
    }
}

fn switching(index: u64, criteria: &str, path: &str, pg: &str) -> Value {
    json!({"name": format!("cluster--default-noo.com-{index}"), "index": index, "enable": true,
           "match": {"path": {"match_criteria": criteria, "match_case": "SENSITIVE", "match_str": [path]}},
           "switching_action": {"action": "HTTP_SWITCHING_SELECT_POOLGROUP",
                                "pool_group_ref": format!("/api/poolgroup?name={pg}")}})
}

/// SPEC-ingress §9: the 13 Avi objects of `ing1` (insecure foo.com/foo) and `ing2` (secure
/// noo.com), in create order.
fn worked_example() -> Vec<Step> {
    let noo_servers = json!([{"ip": {"addr": "10.1.2.1", "type": "V4"}, "port": 8080},
                             {"ip": {"addr": "10.1.2.2", "type": "V4"}, "port": 8080, "enabled": false}]);
    let ds_script = "host = avi.http.get_host_tokens(1)\npath = avi.http.get_path_tokens(1)\n\
                     if host and path then\nlbl = host..\"/\"..path\nelse\nlbl = host..\"/\"\nend\n\
                     avi.poolgroup.select(\"cluster--Shared-L7-0\", string.lower(lbl) )";
    let mut parent = parent_vs("cluster--Shared-L7-0", "cluster--Shared-L7-0");
    parent["vs_datascripts"] = json!([{"index": 0,
        "vs_datascript_set_ref": "/api/vsdatascriptset?name=cluster--Shared-L7-0"}]);
    parent["http_policies"] = json!([{"index": 11,
        "http_policy_set_ref": "/api/httppolicyset?name=cluster--Shared-L7-0"}]);
    parent["markers"] = markers(&[("clustername", "cluster")]);
    let mut child = child_vs("cluster--noo.com", "cluster--Shared-L7-0", "noo.com");
    child["ssl_key_and_certificate_refs"] = json!(["/api/sslkeyandcertificate?name=cluster--noo.com"]);
    child["http_policies"] = json!([{"index": 11,
        "http_policy_set_ref": "/api/httppolicyset?name=cluster--default-noo.com"}]);
    child["markers"] = markers(&[
        ("clustername", "cluster"),
        ("Namespace", "default"),
        ("Host", "noo.com"),
    ]);
    vec![
        Step {
            kind: "sslkeyandcertificate",
            name: "cluster--noo.com",
            body: json!({"name": "cluster--noo.com", "type": "SSL_CERTIFICATE_TYPE_VIRTUALSERVICE",
                         "certificate": {"certificate": cert_for("noo.com")}, "key": RSA_A_PKCS1,
                         "markers": markers(&[("clustername", "cluster"), ("Host", "noo.com")])}),
        },
        pool(
            "cluster--foo.com_foo-default-ing1",
            json!([{"ip": {"addr": "10.1.1.1", "type": "V4"}, "port": 8080}]),
            &[
                ("clustername", "cluster"),
                ("ServiceName", "svc1"),
                ("Path", "/foo"),
                ("IngressName", "ing1"),
            ],
        ),
        pool(
            "cluster--default-noo.com_bar-ing2",
            noo_servers.clone(),
            &[
                ("clustername", "cluster"),
                ("ServiceName", "svc2"),
                ("Path", "/bar"),
                ("IngressName", "ing2"),
            ],
        ),
        pool(
            "cluster--default-noo.com_bar_v2-ing2",
            noo_servers,
            &[
                ("clustername", "cluster"),
                ("ServiceName", "svc2"),
                ("Path", "/bar/v2"),
                ("IngressName", "ing2"),
            ],
        ),
        Step {
            kind: "poolgroup",
            name: "cluster--Shared-L7-0",
            body: json!({"name": "cluster--Shared-L7-0", "implicit_priority_labels": true,
                         "members": [{"pool_ref": "/api/pool?name=cluster--foo.com_foo-default-ing1",
                                      "priority_label": "foo.com/foo", "ratio": 100}]}),
        },
        Step {
            kind: "poolgroup",
            name: "cluster--default-noo.com_bar-ing2",
            body: json!({"name": "cluster--default-noo.com_bar-ing2", "implicit_priority_labels": false,
                         "members": [{"pool_ref": "/api/pool?name=cluster--default-noo.com_bar-ing2", "ratio": 100}]}),
        },
        Step {
            kind: "poolgroup",
            name: "cluster--default-noo.com_bar_v2-ing2",
            body: json!({"name": "cluster--default-noo.com_bar_v2-ing2", "implicit_priority_labels": false,
                         "members": [{"pool_ref": "/api/pool?name=cluster--default-noo.com_bar_v2-ing2", "ratio": 100}]}),
        },
        Step {
            kind: "vsdatascriptset",
            name: "cluster--Shared-L7-0",
            body: json!({"name": "cluster--Shared-L7-0",
                         "datascript": [{"evt": "VS_DATASCRIPT_EVT_HTTP_REQ", "script": ds_script}],
                         "pool_group_refs": ["/api/poolgroup?name=cluster--Shared-L7-0"]}),
        },
        Step {
            kind: "httppolicyset",
            name: "cluster--Shared-L7-0",
            body: json!({"name": "cluster--Shared-L7-0", "http_request_policy": {"rules": [{
                "name": "cluster--Shared-L7-0-0", "index": 0, "enable": true,
                "match": {"host_hdr": {"match_criteria": "HDR_EQUALS", "value": ["noo.com"]},
                          "vs_port": {"match_criteria": "IS_IN", "ports": [80]}},
                "redirect_action": {"protocol": "HTTPS", "port": 443,
                                    "status_code": "HTTP_REDIRECT_STATUS_CODE_302"}}]}}),
        },
        Step {
            kind: "httppolicyset",
            name: "cluster--default-noo.com",
            body: json!({"name": "cluster--default-noo.com", "http_request_policy": {"rules": [
                switching(0, "EQUALS", "/bar/v2", "cluster--default-noo.com_bar_v2-ing2"),
                switching(1, "EQUALS", "/bar", "cluster--default-noo.com_bar-ing2"),
                switching(2, "BEGINS_WITH", "/bar/", "cluster--default-noo.com_bar-ing2")]}}),
        },
        Step {
            kind: "vsvip",
            name: "cluster--Shared-L7-0",
            body: {
                let mut v = auto_vip("cluster--Shared-L7-0");
                v["dns_info"] = json!([{"fqdn": "cluster--Shared-L7-0.admin.avi.internal"},
                                       {"fqdn": "foo.com"}, {"fqdn": "noo.com"}]);
                v
            },
        },
        Step {
            kind: "virtualservice",
            name: "cluster--Shared-L7-0",
            body: parent,
        },
        Step {
            kind: "virtualservice",
            name: "cluster--noo.com",
            body: child,
        },
    ]
}

/// Who refers to whom in the example (1-based positions): #2 is in #5, and so on.
const REFERRED_BY: &[(usize, usize)] = &[
    (1, 13),
    (2, 5),
    (3, 6),
    (4, 7),
    (5, 8),
    (6, 10),
    (7, 10),
    (8, 12),
    (9, 12),
    (10, 13),
    (11, 12),
    (12, 13),
];

fn model(kind: &str) -> &'static str {
    match kind {
        "poolgroup" => "PoolGroup",
        "vsdatascriptset" => "VSDataScriptSet",
        "virtualservice" => "VirtualService",
        "httppolicyset" => "HTTPPolicySet",
        other => panic!("no referrer of kind {other} in the example"),
    }
}

#[tokio::test]
async fn worked_example_graph_deletes_only_in_reverse_order() {
    let s = Sim::start(|_| {}).await;
    let steps = worked_example();
    assert_eq!(steps.len(), 13);
    let mut uuids = vec![];
    for step in &steps {
        let v = s.create(step.kind, step.body.clone()).await;
        assert_eq!(v["name"], step.name);
        uuids.push(uuid(&v));
    }
    // Reverse order: before each delete, every remaining object still referred to by a
    // remaining one is refused with the referrer named.
    let mut refusals = 0;
    for last in (1..=steps.len()).rev() {
        for (obj, by) in REFERRED_BY.iter().copied() {
            if obj >= last || by > last {
                continue;
            }
            let target = &steps[obj - 1];
            let referrer = &steps[by - 1];
            let got = s
                .error(
                    Method::DELETE,
                    &format!("/api/{}/{}", target.kind, uuids[obj - 1]),
                    None,
                )
                .await;
            assert_eq!(
                got,
                (
                    400,
                    format!(
                        "Cannot delete, object is referred by: ['{} {}']",
                        model(referrer.kind),
                        referrer.name
                    )
                ),
                "deleting #{obj} while #{by} exists"
            );
            refusals += 1;
        }
        let step = &steps[last - 1];
        let (st, v) = s
            .call(
                Method::DELETE,
                &format!("/api/{}/{}", step.kind, uuids[last - 1]),
                None,
            )
            .await;
        assert_eq!(st, 204, "deleting #{last} {} {}: {v}", step.kind, step.name);
    }
    // Each (object, referrer) pair is tried once per step from the referrer's down to #1.
    let expected: usize = REFERRED_BY.iter().map(|(_, by)| steps.len() + 1 - by).sum();
    assert_eq!((refusals, expected), (47, 47));
    for step in &steps {
        let (_, v) = s
            .call(
                Method::GET,
                &format!("/api/{}?name={}", step.kind, step.name),
                None,
            )
            .await;
        assert_eq!(v["count"], 0, "{} {} left behind", step.kind, step.name);
    }
}

#[tokio::test]
async fn license_tiers_limit_virtual_hosting() {
    let fast_path = |mut v: Value| {
        v["network_profile_ref"] = json!("/api/networkprofile?name=System-TCP-Fast-Path");
        v
    };
    let s = Sim::start(|c| c.license_tier = avisim::LicenseTier::Essentials).await;
    s.create("vsvip", auto_vip("v0")).await;
    let got = s
        .error(
            Method::POST,
            "/api/virtualservice",
            Some(fast_path(parent_vs("p", "v0"))),
        )
        .await;
    assert_eq!(
        got,
        (
            400,
            "type: VS_TYPE_VH_PARENT is not supported with the ESSENTIALS license tier".to_string()
        )
    );
    let s = Sim::start(|c| c.license_tier = avisim::LicenseTier::Basic).await;
    s.create("vsvip", auto_vip("v0")).await;
    s.create("virtualservice", fast_path(parent_vs("p", "v0"))).await;
    let got = s
        .error(
            Method::POST,
            "/api/virtualservice",
            Some(fast_path(child_vs("c", "p", "c.com"))),
        )
        .await;
    assert_eq!(
        got,
        (
            400,
            "type: VS_TYPE_VH_CHILD is not supported with the BASIC license tier".to_string()
        )
    );
}
