//! libFuzzer counterpart of `shared/tests/fuzz_avi_json.rs`: the typed Avi objects must reject
//! junk bytes with an error, never a panic, and whatever decodes from a JSON value re-encodes
//! and decodes again to an equal value.
#![no_main]

use avigw_shared::avi::{
    AviObjects, HttpPolicySet, L4PolicySet, Pool, PoolGroup, SslKeyAndCertificate, VirtualService, VsDataScriptSet,
    VsVip,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The proptest's `round_trip`: decode, encode, decode again; both encodings must be equal.
fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(v: &Value) {
    if let Ok(t) = serde_json::from_value::<T>(v.clone()) {
        let again = serde_json::to_value(&t).expect("encode");
        let twice: T =
            serde_json::from_value(again.clone()).unwrap_or_else(|e| panic!("re-decode of {again}: {e}"));
        assert_eq!(serde_json::to_value(&twice).expect("encode twice"), again);
    }
}

fuzz_target!(|bytes: &[u8]| {
    // avi_bytes_never_panic
    let _ = serde_json::from_slice::<VirtualService>(bytes);
    let _ = serde_json::from_slice::<VsVip>(bytes);
    let _ = serde_json::from_slice::<Pool>(bytes);
    let _ = serde_json::from_slice::<L4PolicySet>(bytes);
    let _ = serde_json::from_slice::<PoolGroup>(bytes);
    let _ = serde_json::from_slice::<HttpPolicySet>(bytes);
    let _ = serde_json::from_slice::<SslKeyAndCertificate>(bytes);
    // avi_objects_decode_or_fail_cleanly, on whatever JSON the bytes hold
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        round_trip::<VirtualService>(&v);
        round_trip::<VsVip>(&v);
        round_trip::<Pool>(&v);
        round_trip::<L4PolicySet>(&v);
        round_trip::<PoolGroup>(&v);
        round_trip::<VsDataScriptSet>(&v);
        round_trip::<HttpPolicySet>(&v);
        round_trip::<SslKeyAndCertificate>(&v);
        round_trip::<AviObjects>(&v);
    }
});
