//! Avi JSON decoding under arbitrary input: the typed Avi objects (as the reconciler reads them
//! back from the controller) must reject junk with an error, never a panic, and round-trip what
//! they accept. `AVIGW_FUZZ_CASES` raises the case count for long runs.

use avigw_shared::avi::{
    AviObjects, HttpPolicySet, L4PolicySet, Pool, PoolGroup, SslKeyAndCertificate, VirtualService,
    VsDataScriptSet, VsVip,
};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};

fn cases() -> u32 {
    std::env::var("AVIGW_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,10}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("name".to_owned()),
                    Just("vip".to_owned()),
                    Just("servers".to_owned()),
                    Just("services".to_owned()),
                    Just("ip_address".to_owned()),
                    Just("port".to_owned()),
                    Just("members".to_owned()),
                    Just("http_request_policy".to_owned()),
                    Just("rules".to_owned()),
                    Just("match".to_owned()),
                    Just("certificate".to_owned()),
                    Just("key".to_owned()),
                    "[a-z_]{1,10}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(v: &Value) -> Result<(), TestCaseError> {
    if let Ok(t) = serde_json::from_value::<T>(v.clone()) {
        let again = serde_json::to_value(&t).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let twice: T = serde_json::from_value(again.clone())
            .map_err(|e| TestCaseError::fail(format!("re-decode: {e}")))?;
        prop_assert_eq!(
            serde_json::to_value(&twice).map_err(|e| TestCaseError::fail(e.to_string()))?,
            again
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: cases(), ..Config::default() })]

    #[test]
    fn avi_objects_decode_or_fail_cleanly(v in any_json()) {
        round_trip::<VirtualService>(&v)?;
        round_trip::<VsVip>(&v)?;
        round_trip::<Pool>(&v)?;
        round_trip::<L4PolicySet>(&v)?;
        round_trip::<PoolGroup>(&v)?;
        round_trip::<VsDataScriptSet>(&v)?;
        round_trip::<HttpPolicySet>(&v)?;
        round_trip::<SslKeyAndCertificate>(&v)?;
        round_trip::<AviObjects>(&v)?;
    }

    #[test]
    fn avi_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = serde_json::from_slice::<VirtualService>(&bytes);
        let _ = serde_json::from_slice::<VsVip>(&bytes);
        let _ = serde_json::from_slice::<Pool>(&bytes);
        let _ = serde_json::from_slice::<PoolGroup>(&bytes);
        let _ = serde_json::from_slice::<HttpPolicySet>(&bytes);
        let _ = serde_json::from_slice::<SslKeyAndCertificate>(&bytes);
    }
}
