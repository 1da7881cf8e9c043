//! `/api/cluster/status` and `/api/systemconfiguration`.

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{AppState, method_not_allowed, parse_body, respond};
use crate::error::ApiError;
use crate::timefmt;

pub(super) fn cluster_status(st: &AppState) -> Value {
    let up = timefmt::http_date(st.started);
    json!({
        "cluster_state": {"state": "CLUSTER_UP_NO_HA", "progress": 100, "up_since": up},
        "node_states": [{"name": st.cfg.listen.ip().to_string(), "role": "CLUSTER_LEADER",
                          "state": "CLUSTER_ACTIVE", "up_since": up,
                          "mgmt_ip": st.cfg.listen.ip().to_string()}],
    })
}

pub(super) fn system_configuration(
    st: &AppState,
    m: &Method,
    base: &str,
    bytes: &[u8],
) -> Result<Response, ApiError> {
    let mut cfg = st.sysconfig.write().unwrap_or_else(|e| e.into_inner());
    match *m {
        Method::GET => {}
        Method::PUT => {
            // The recorded SDK PUTs an empty body; that is a no-op save.
            let body = if bytes.iter().all(u8::is_ascii_whitespace) {
                Value::Null
            } else {
                parse_body(bytes)?
            };
            if let Value::Object(new) = body {
                if let Some(t) = new.get("default_license_tier").and_then(Value::as_str) {
                    t.parse::<crate::config::LicenseTier>()
                        .map_err(ApiError::bad_request)?;
                }
                if let Some(obj) = cfg.as_object_mut() {
                    for (k, v) in new {
                        if !["url", "uuid", "_last_modified"].contains(&k.as_str()) {
                            obj.insert(k, v);
                        }
                    }
                }
            } else if !body.is_null() {
                return Err(ApiError::bad_request("Request body must be a JSON object"));
            }
            let lm = st.store_write().next_last_modified();
            cfg["_last_modified"] = json!(lm.to_string());
        }
        _ => return Err(method_not_allowed(m)),
    }
    let mut out = cfg.clone();
    out["url"] = json!(format!("{base}/api/systemconfiguration"));
    Ok(respond::json(StatusCode::OK, &out))
}
