//! PoolGroup, VSDataScriptSet and HTTPPolicySet over HTTPS with the session/CSRF flow: the
//! valid shapes with the defaults a create answer fills in, each refusal with its status and
//! text, and the in-use refusals on delete.

mod support;

use reqwest::Method;
use serde_json::{Value, json};
use support::Sim;

const AKO_SCRIPT: &str = "host = avi.http.get_host_tokens(1)\npath = avi.http.get_path_tokens(1)\n\
                          if host and path then\nlbl = host..\"/\"..path\nelse\nlbl = host..\"/\"\nend\n\
                          avi.poolgroup.select(\"pg1\", string.lower(lbl) )";

async fn with_pools(names: &[&str]) -> Sim {
    let s = Sim::start(|_| {}).await;
    for n in names {
        s.create("pool", json!({"name": n})).await;
    }
    s
}

fn uuid(v: &Value) -> String {
    v["uuid"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn poolgroup_members_and_defaults() {
    let s = with_pools(&["p1", "p2"]).await;
    let base = s.sim.base_url().to_string();
    let pg = s
        .create(
            "poolgroup",
            json!({"name": "pg", "implicit_priority_labels": true, "created_by": "avigw-c",
                   "markers": [{"key": "clustername", "values": ["c"]}],
                   "members": [{"pool_ref": "/api/pool?name=p1", "priority_label": "foo.com/foo", "ratio": 100},
                               {"pool_ref": "/api/pool?name=p2"}]}),
        )
        .await;
    let p1 = s.get_by_name("pool", "p1").await;
    assert_eq!(
        pg["members"][0]["pool_ref"],
        format!("{base}/api/pool/{}#p1", uuid(&p1))
    );
    assert_eq!(pg["members"][0]["priority_label"], "foo.com/foo");
    assert_eq!(pg["members"][0]["ratio"], 100);
    // Schema default for a member's ratio.
    assert_eq!(pg["members"][1]["ratio"], 1);
    assert_eq!(pg["min_servers"], 0);
    assert_eq!(pg["implicit_priority_labels"], true);
    assert!(pg["cloud_ref"].as_str().unwrap().ends_with("#Default-Cloud"));
    assert!(
        pg["tenant_ref"]
            .as_str()
            .unwrap()
            .ends_with("/api/tenant/admin#admin")
    );
    assert_eq!(pg["markers"][0]["key"], "clustername");

    let bad = |members: Value| json!({"name": "bad", "members": members});
    for (body, status, text) in [
        (
            bad(json!([{"ratio": 1}])),
            400,
            "members[0].pool_ref: This field is required.",
        ),
        (
            bad(json!([{"pool_ref": "/api/pool?name=p1"}, {"pool_ref": "/api/pool?name=p1"}])),
            400,
            "members[1].pool_ref: Pool p1 is already a member of this pool group",
        ),
        (
            bad(json!([{"pool_ref": "/api/pool?name=p1", "ratio": 1001}])),
            400,
            "members[0].ratio: must be 0..1000",
        ),
        (
            bad(json!([{"pool_ref": "/api/pool?name=p1", "ratio": -1}])),
            400,
            "members[0].ratio: must be 0..1000",
        ),
        (
            bad(json!([{"pool_ref": "/api/pool?name=p1", "priority_label": 7}])),
            400,
            "members[0].priority_label: must be a string",
        ),
        (bad(json!("p1")), 400, "members: must be a list"),
        (
            bad(json!([{"pool_ref": "/api/pool?name=nope"}])),
            400,
            "Pool object not found",
        ),
        (
            json!({"name": "bad", "min_servers": 70000}),
            400,
            "min_servers: must be 0..65535",
        ),
        (
            json!({"name": "pg"}),
            409,
            "Pool group with this Name, Tenant ref and Cloud ref already exists.",
        ),
    ] {
        let got = s.error(Method::POST, "/api/poolgroup", Some(body)).await;
        assert_eq!(got, (status, text.to_string()));
    }

    // A pool in a pool group cannot go; once the group lets go of it, it can.
    let p2 = s.get_by_name("pool", "p2").await;
    let got = s
        .error(Method::DELETE, &format!("/api/pool/{}", uuid(&p2)), None)
        .await;
    assert_eq!(
        got,
        (
            400,
            "Cannot delete, object is referred by: ['PoolGroup pg']".to_string()
        )
    );
    let (st, v) = s
        .call(
            Method::PUT,
            &format!("/api/poolgroup/{}", uuid(&pg)),
            Some(json!({"name": "pg", "members": [{"pool_ref": "/api/pool?name=p1"}]})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let (st, _) = s
        .call(Method::DELETE, &format!("/api/pool/{}", uuid(&p2)), None)
        .await;
    assert_eq!(st, 204);
}

#[tokio::test]
async fn poolgroup_refs_stay_in_their_tenant() {
    let s = with_pools(&["p1"]).await;
    s.create("tenant", json!({"name": "t1"})).await;
    // A pool of the admin tenant is not visible from t1 (pools are not shared objects).
    let r = s
        .req(Method::POST, "/api/poolgroup")
        .header("X-Avi-Tenant", "t1")
        .json(&json!({"name": "pg", "members": [{"pool_ref": "/api/pool?name=p1"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "Pool object not found");
    // The same name in another tenant is no duplicate.
    let r = s
        .req(Method::POST, "/api/poolgroup")
        .header("X-Avi-Tenant", "t1")
        .json(&json!({"name": "pg"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    s.create("poolgroup", json!({"name": "pg"})).await;
}

#[tokio::test]
async fn datascript_selects_only_referenced_pool_groups() {
    let s = with_pools(&[]).await;
    s.create("poolgroup", json!({"name": "pg1"})).await;
    s.create("poolgroup", json!({"name": "pg2"})).await;
    let ds = s
        .create(
            "vsdatascriptset",
            json!({"name": "ds", "created_by": "avigw-c",
                   "datascript": [{"evt": "VS_DATASCRIPT_EVT_HTTP_REQ", "script": AKO_SCRIPT}],
                   "pool_group_refs": ["/api/poolgroup?name=pg1"]}),
        )
        .await;
    assert_eq!(ds["datascript"][0]["script"], AKO_SCRIPT);
    assert!(ds["pool_group_refs"][0].as_str().unwrap().ends_with("#pg1"));
    // Two literal selections, both referenced.
    let both = "avi.poolgroup.select('pg1')\navi.poolgroup.select( \"pg2\", x)";
    s.create(
        "vsdatascriptset",
        json!({"name": "ds2",
               "datascript": [{"evt": "VS_DATASCRIPT_EVT_HTTP_REQ", "script": both}],
               "pool_group_refs": ["/api/poolgroup?name=pg1", "/api/poolgroup?name=pg2"]}),
    )
    .await;

    let ds_with = |evt: Value, script: Value, refs: Value| {
        let mut d = json!({});
        if !evt.is_null() {
            d["evt"] = evt;
        }
        if !script.is_null() {
            d["script"] = script;
        }
        json!({"name": "bad", "datascript": [d], "pool_group_refs": refs})
    };
    let pg1 = json!(["/api/poolgroup?name=pg1"]);
    for (body, status, text) in [
        (
            ds_with(Value::Null, json!(AKO_SCRIPT), pg1.clone()),
            400,
            "datascript[0].evt: This field is required.",
        ),
        (
            ds_with(json!("VS_DATASCRIPT_EVT_FOO"), json!(AKO_SCRIPT), pg1.clone()),
            400,
            "datascript[0].evt: \"VS_DATASCRIPT_EVT_FOO\" is not a valid choice.",
        ),
        (
            ds_with(json!("VS_DATASCRIPT_EVT_HTTP_REQ"), Value::Null, pg1.clone()),
            400,
            "datascript[0].script: This field is required.",
        ),
        (
            ds_with(json!("VS_DATASCRIPT_EVT_HTTP_REQ"), json!(7), pg1.clone()),
            400,
            "datascript[0].script: must be a string",
        ),
        (
            ds_with(
                json!("VS_DATASCRIPT_EVT_HTTP_REQ"),
                json!(AKO_SCRIPT.replace("pg1", "pg2")),
                pg1.clone(),
            ),
            400,
            "datascript[0].script: avi.poolgroup.select names pool group \"pg2\", which is not in pool_group_refs",
        ),
        (
            ds_with(json!("VS_DATASCRIPT_EVT_HTTP_REQ"), json!(AKO_SCRIPT), json!([])),
            400,
            "datascript[0].script: avi.poolgroup.select names pool group \"pg1\", which is not in pool_group_refs",
        ),
        (
            ds_with(
                json!("VS_DATASCRIPT_EVT_HTTP_REQ"),
                json!(AKO_SCRIPT),
                json!(["/api/poolgroup?name=nope"]),
            ),
            400,
            "PoolGroup object not found",
        ),
        (
            json!({"name": "ds"}),
            409,
            "Vs data script set with this Name and Tenant ref already exists.",
        ),
    ] {
        let got = s.error(Method::POST, "/api/vsdatascriptset", Some(body)).await;
        assert_eq!(got, (status, text.to_string()));
    }
    let (st, text) = s
        .error(
            Method::POST,
            "/api/vsdatascriptset",
            Some(ds_with(
                json!("VS_DATASCRIPT_EVT_HTTP_REQ"),
                json!(AKO_SCRIPT),
                json!(["/api/pool?name=x"]),
            )),
        )
        .await;
    assert_eq!(st, 400);
    assert!(
        text.starts_with("pool_group_refs: expected a reference to poolgroup, got pool"),
        "{text}"
    );

    let pg2 = s.get_by_name("poolgroup", "pg2").await;
    let got = s
        .error(Method::DELETE, &format!("/api/poolgroup/{}", uuid(&pg2)), None)
        .await;
    assert_eq!(
        got,
        (
            400,
            "Cannot delete, object is referred by: ['VSDataScriptSet ds2']".to_string()
        )
    );
}

fn switching_rule(name: &str, index: u64, criteria: &str, path: &str) -> Value {
    json!({"name": name, "index": index,
           "match": {"path": {"match_criteria": criteria, "match_case": "SENSITIVE", "match_str": [path]}},
           "switching_action": {"action": "HTTP_SWITCHING_SELECT_POOLGROUP",
                                "pool_group_ref": "/api/poolgroup?name=pg"}})
}

fn redirect_rule() -> Value {
    json!({"name": "r-0", "index": 0, "enable": true,
           "match": {"host_hdr": {"match_criteria": "HDR_EQUALS", "value": ["noo.com"]},
                     "vs_port": {"match_criteria": "IS_IN", "ports": [80]}},
           "redirect_action": {"protocol": "HTTPS", "port": 443,
                               "status_code": "HTTP_REDIRECT_STATUS_CODE_302"}})
}

fn with_field(field: &str, v: Value) -> Value {
    let mut r = redirect_rule();
    r[field] = v;
    r
}

fn policy(rules: Value) -> Value {
    json!({"name": "bad", "http_request_policy": {"rules": rules}})
}

#[tokio::test]
async fn httppolicyset_shapes_and_defaults() {
    let s = with_pools(&[]).await;
    s.create("poolgroup", json!({"name": "pg"})).await;
    let sw = s
        .create(
            "httppolicyset",
            json!({"name": "sw", "created_by": "avigw-c", "http_request_policy": {"rules": [
                switching_rule("sw-0", 0, "EQUALS", "/bar/v2"),
                switching_rule("sw-1", 1, "EQUALS", "/bar"),
                switching_rule("sw-2", 2, "BEGINS_WITH", "/bar/"),
                {"name": "sw-3", "index": 3, "switching_action": {
                    "action": "HTTP_SWITCHING_SELECT_POOLGROUP", "pool_group_ref": "/api/poolgroup?name=pg"}}]}}),
        )
        .await;
    let rules = &sw["http_request_policy"]["rules"];
    assert_eq!(rules.as_array().unwrap().len(), 4);
    // Schema defaults filled in.
    assert_eq!(rules[0]["enable"], true);
    assert_eq!(rules[0]["match"]["path"]["match_case"], "SENSITIVE");
    assert_eq!(rules[0]["match"]["path"]["match_decoded_string"], true);
    assert!(
        rules[0]["switching_action"]["pool_group_ref"]
            .as_str()
            .unwrap()
            .ends_with("#pg")
    );
    assert!(rules[3].get("match").is_none());
    assert_eq!(sw["is_internal_policy"], false);

    let rd = s
        .create(
            "httppolicyset",
            json!({"name": "rd", "http_request_policy": {"rules": [redirect_rule()]}}),
        )
        .await;
    let rule = &rd["http_request_policy"]["rules"][0];
    assert_eq!(rule["match"]["host_hdr"]["match_case"], "INSENSITIVE");
    assert_eq!(rule["redirect_action"]["keep_query"], true);
    assert_eq!(
        rule["redirect_action"]["status_code"],
        "HTTP_REDIRECT_STATUS_CODE_302"
    );
    // Presence criteria need no value; a local response needs its status code.
    s.create(
        "httppolicyset",
        json!({"name": "misc", "http_request_policy": {"rules": [
            {"name": "a", "index": 0, "match": {"host_hdr": {"match_criteria": "HDR_EXISTS"}},
             "switching_action": {"action": "HTTP_SWITCHING_SELECT_LOCAL",
                                  "status_code": "HTTP_LOCAL_RESPONSE_STATUS_CODE_404"}},
            {"name": "b", "index": 1, "redirect_action": {"protocol": "HTTP"}}]}}),
    )
    .await;

    let with = |edit: &dyn Fn(&mut Value)| {
        let mut r = redirect_rule();
        edit(&mut r);
        policy(json!([r]))
    };
    let at = "http_request_policy.rules[0]";
    let cases: Vec<(Value, String)> = vec![
        (
            json!({"name": "bad", "http_request_policy": {"rules": {}}}),
            "http_request_policy.rules: must be a list".into(),
        ),
        (
            json!({"name": "bad", "http_request_policy": []}),
            "http_request_policy: must be an object".into(),
        ),
        (
            with(&|r| {
                r.as_object_mut().unwrap().remove("name");
            }),
            format!("{at}.name: This field is required."),
        ),
        (
            policy(json!([redirect_rule(), with_field("index", json!(1))])),
            "http_request_policy.rules[1].name: duplicate rule name \"r-0\"".into(),
        ),
        (
            with(&|r| {
                r.as_object_mut().unwrap().remove("index");
            }),
            format!("{at}.index: This field is required."),
        ),
        (
            policy(json!([redirect_rule(), with_field("name", json!("r-1"))])),
            "http_request_policy.rules[1].index: duplicate index 0".into(),
        ),
        (
            with(&|r| r["enable"] = json!("yes")),
            format!("{at}.enable: must be true or false"),
        ),
        (
            with(&|r| r["match"]["host"] = json!({"match_criteria": "HDR_EQUALS"})),
            format!(
                "{at}.match.host: avisim models only the match targets [\"host_hdr\", \"vs_port\", \"path\"]"
            ),
        ),
        (
            with(&|r| {
                r["match"]["host_hdr"]
                    .as_object_mut()
                    .unwrap()
                    .remove("match_criteria");
            }),
            format!("{at}.match.host_hdr.match_criteria: This field is required."),
        ),
        (
            with(&|r| r["match"]["host_hdr"]["match_criteria"] = json!("EQUALS")),
            format!("{at}.match.host_hdr.match_criteria: \"EQUALS\" is not a valid choice."),
        ),
        (
            with(&|r| r["match"]["host_hdr"]["match_case"] = json!("MIXED")),
            format!("{at}.match.host_hdr.match_case: \"MIXED\" is not a valid choice."),
        ),
        (
            with(&|r| r["match"]["host_hdr"]["value"] = json!([])),
            format!("{at}.match.host_hdr.value: at least one value is required with HDR_EQUALS"),
        ),
        (
            with(&|r| r["match"]["host_hdr"]["value"] = json!([1])),
            format!("{at}.match.host_hdr.value: must be a list of strings"),
        ),
        (
            with(&|r| r["match"]["vs_port"]["match_criteria"] = json!("IN")),
            format!("{at}.match.vs_port.match_criteria: \"IN\" is not a valid choice."),
        ),
        (
            with(&|r| r["match"]["vs_port"]["ports"] = json!([])),
            format!("{at}.match.vs_port.ports: a non-empty list of ports 1..65535 is required"),
        ),
        (
            with(&|r| r["match"]["vs_port"]["ports"] = json!([70000])),
            format!("{at}.match.vs_port.ports: a non-empty list of ports 1..65535 is required"),
        ),
        (
            with(&|r| r["match"]["path"] = json!({"match_criteria": "STARTS_WITH", "match_str": ["/"]})),
            format!("{at}.match.path.match_criteria: \"STARTS_WITH\" is not a valid choice."),
        ),
        (
            with(&|r| r["match"]["path"] = json!({"match_criteria": "EQUALS", "match_str": []})),
            format!(
                "{at}.match.path.match_str: at least one string (or a string_group_refs entry) is required"
            ),
        ),
        (
            with(&|r| r["match"] = json!("noo.com")),
            format!("{at}.match: must be an object"),
        ),
        (
            with(&|r| {
                r["switching_action"] = json!({"action": "HTTP_SWITCHING_SELECT_POOLGROUP",
                                               "pool_group_ref": "/api/poolgroup?name=pg"})
            }),
            format!("{at}: a rule has either a switching_action or a redirect_action, not both"),
        ),
        (
            with(&|r| {
                r.as_object_mut().unwrap().remove("redirect_action");
            }),
            format!("{at}: a switching_action or a redirect_action is required"),
        ),
        (
            policy(json!([{"name": "s", "index": 0,
                           "switching_action": {"action": "HTTP_SWITCHING_SELECT_POOLGRP"}}])),
            format!("{at}.switching_action.action: \"HTTP_SWITCHING_SELECT_POOLGRP\" is not a valid choice."),
        ),
        (
            policy(json!([{"name": "s", "index": 0,
                           "switching_action": {"action": "HTTP_SWITCHING_SELECT_POOLGROUP"}}])),
            format!("{at}.switching_action.pool_group_ref: required with HTTP_SWITCHING_SELECT_POOLGROUP"),
        ),
        (
            policy(json!([{"name": "s", "index": 0,
                           "switching_action": {"action": "HTTP_SWITCHING_SELECT_POOL",
                                                "pool_group_ref": "/api/poolgroup?name=pg"}}])),
            format!("{at}.switching_action.pool_ref: required with HTTP_SWITCHING_SELECT_POOL"),
        ),
        (
            policy(json!([{"name": "s", "index": 0,
                           "switching_action": {"action": "HTTP_SWITCHING_SELECT_LOCAL"}}])),
            format!("{at}.switching_action.status_code: This field is required."),
        ),
        (
            policy(json!([{"name": "s", "index": 0,
                           "switching_action": {"action": "HTTP_SWITCHING_SELECT_POOLGROUP",
                                                "pool_group_ref": "/api/poolgroup?name=nope"}}])),
            "PoolGroup object not found".into(),
        ),
        (
            with(&|r| {
                r["redirect_action"].as_object_mut().unwrap().remove("protocol");
            }),
            format!("{at}.redirect_action.protocol: This field is required."),
        ),
        (
            with(&|r| r["redirect_action"]["protocol"] = json!("FTP")),
            format!("{at}.redirect_action.protocol: \"FTP\" is not a valid choice."),
        ),
        (
            with(&|r| r["redirect_action"]["port"] = json!(0)),
            format!("{at}.redirect_action.port: must be 1..65535"),
        ),
        (
            with(&|r| r["redirect_action"]["status_code"] = json!("HTTP_REDIRECT_STATUS_CODE_308")),
            format!(
                "{at}.redirect_action.status_code: \"HTTP_REDIRECT_STATUS_CODE_308\" is not a valid choice."
            ),
        ),
        (
            with(&|r| r["redirect_action"]["keep_query"] = json!(1)),
            format!("{at}.redirect_action.keep_query: must be true or false"),
        ),
    ];
    for (body, text) in cases {
        let got = s.error(Method::POST, "/api/httppolicyset", Some(body)).await;
        assert_eq!(got, (400, text));
    }
    let got = s
        .error(Method::POST, "/api/httppolicyset", Some(json!({"name": "sw"})))
        .await;
    assert_eq!(
        got,
        (
            409,
            "Http policy set with this Name and Tenant ref already exists.".to_string()
        )
    );

    let pg = s.get_by_name("poolgroup", "pg").await;
    let got = s
        .error(Method::DELETE, &format!("/api/poolgroup/{}", uuid(&pg)), None)
        .await;
    assert_eq!(
        got,
        (
            400,
            "Cannot delete, object is referred by: ['HTTPPolicySet sw']".to_string()
        )
    );
}

#[tokio::test]
async fn fault_knobs_cut_l7_creates_too() {
    let s = with_pools(&[]).await;
    s.sim.apply_faults(&avisim::FaultPatch {
        create_record_not_found: Some(1),
        ..Default::default()
    });
    let body = json!({"name": "pg"});
    let (st, v) = s.call(Method::POST, "/api/poolgroup", Some(body.clone())).await;
    assert_eq!(
        (st.as_u16(), v["error"].as_str()),
        (500, Some("record not found"))
    );
    s.create("poolgroup", body).await;
}
