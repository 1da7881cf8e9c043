//! The checked-in CRDs must be exactly what the Rust types generate.

use avigw_shared::api::{Gateway, GatewayClass};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

#[test]
fn checked_in_crds_match_the_types() {
    for dir in avigw_shared::crd::CRD_DIRS {
        check_dir(&format!("{ROOT}/{dir}"), dir);
    }
}

fn check_dir(path: &str, dir: &str) {
    let files = avigw_shared::crd::all_crd_files().unwrap();
    assert_eq!(files.len(), 3);
    let mut on_disk: Vec<String> = std::fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    on_disk.sort();
    let mut generated: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    generated.sort();
    assert_eq!(
        on_disk, generated,
        "{dir} holds other files than the generated ones"
    );
    for (name, yaml) in files {
        let disk = std::fs::read_to_string(format!("{path}/{name}")).unwrap();
        assert!(
            disk == yaml,
            "{dir}/{name} differs from the types; run `cargo run -p avigw-shared --bin crdgen`"
        );
    }
}

#[test]
fn crds_carry_validation_status_and_columns() {
    let files = avigw_shared::crd::all_crd_files().unwrap();
    let gw: serde_yaml::Value = serde_yaml::from_str(&files[1].1).unwrap();
    let v = &gw["spec"]["versions"][0];
    assert_eq!(
        v["subresources"]["status"],
        serde_yaml::Value::Mapping(Default::default())
    );
    let cols: Vec<&str> = v["additionalPrinterColumns"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(cols, ["Class", "Address", "Ready", "Age"]);
    let listener = &v["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["listeners"]["items"]
        ["properties"];
    assert_eq!(listener["port"]["minimum"].as_f64(), Some(1.0));
    assert_eq!(listener["port"]["maximum"].as_f64(), Some(65535.0));
    assert_eq!(listener["protocol"]["enum"].as_sequence().unwrap().len(), 6);
    let addr = &v["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["addresses"]["items"]["properties"]
        ["type"];
    assert_eq!(addr["enum"][0].as_str(), Some("IPAddress"));
    let cond = &v["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]["conditions"]["items"]["properties"]
        ["reason"];
    assert_eq!(
        cond["pattern"].as_str(),
        Some("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
    );
    let ais: serde_yaml::Value = serde_yaml::from_str(&files[2].1).unwrap();
    assert_eq!(ais["spec"]["scope"].as_str(), Some("Cluster"));
    assert_eq!(
        ais["spec"]["versions"][0]["additionalPrinterColumns"][0]["name"].as_str(),
        Some("Status")
    );
    let shard = &ais["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
        ["l7Settings"]["properties"]["shardSize"];
    let values: Vec<&str> = shard["enum"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(values, ["LARGE", "MEDIUM", "SMALL", "DEDICATED"]);
    assert_eq!(shard["type"].as_str(), Some("string"));
}

#[test]
fn deserialization_tolerates_unknown_fields() {
    let gw: Gateway = serde_yaml::from_str(
        "apiVersion: networking.x-k8s.io/v1alpha1\nkind: Gateway\nmetadata: {name: g, namespace: n}\nspec:\n  gatewayClassName: c\n  futureField: 1\n  listeners:\n  - {protocol: TCP, port: 80, tls: {mode: Passthrough}, routes: {kind: Service, namespaces: {from: All}}}\nstatus:\n  conditions: []\n  somethingNew: true\n",
    )
    .unwrap();
    assert_eq!(gw.spec.listeners[0].port, 80);
    let gc: GatewayClass =
        serde_yaml::from_str("apiVersion: networking.x-k8s.io/v1alpha1\nkind: GatewayClass\nmetadata: {name: c}\nspec: {controller: x, extra: y}\n").unwrap();
    assert_eq!(gc.spec.controller, "x");
}
