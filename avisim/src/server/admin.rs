//! `/_sim/...`: fault knobs, counters, request log, object dump and reset for tests. No auth:
//! the simulator is a test tool and these endpoints are its remote control.

use axum::body::{Body, to_bytes};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::AppState;
use super::respond;
use crate::error::ApiError;
use crate::faults::FaultPatch;
use crate::render::{RenderOpts, render};

pub async fn handle(st: &AppState, m: &Method, path: &str, _query: &str, body: Body) -> Response {
    let bytes = to_bytes(body, 1024 * 1024).await.unwrap_or_default();
    match route(st, m, path, &bytes) {
        Ok(v) => respond::json(StatusCode::OK, &v),
        Err(e) => respond::error(&e),
    }
}

fn route(st: &AppState, m: &Method, path: &str, bytes: &[u8]) -> Result<Value, ApiError> {
    match (m, path) {
        (&Method::GET, "/_sim/health") => Ok(json!({"ok": true})),
        (&Method::GET, "/_sim/faults") => Ok(faults_view(st)),
        (&Method::PUT | &Method::POST | &Method::PATCH, "/_sim/faults") => {
            let p: FaultPatch = serde_json::from_slice(bytes)
                .map_err(|e| ApiError::bad_request(format!("fault patch: {e}")))?;
            st.apply_faults(&p);
            tracing::info!(?p, "faults updated");
            Ok(faults_view(st))
        }
        (&Method::POST | &Method::DELETE, "/_sim/faults/reset") | (&Method::DELETE, "/_sim/faults") => {
            st.faults.reset();
            Ok(faults_view(st))
        }
        (&Method::GET, "/_sim/stats") => Ok(st.stats.snapshot()),
        (&Method::DELETE, "/_sim/stats") | (&Method::POST, "/_sim/stats/reset") => {
            st.stats.reset();
            Ok(st.stats.snapshot())
        }
        (&Method::GET, "/_sim/requests") => {
            serde_json::to_value(st.reqlog.snapshot()).map_err(|e| ApiError::bad_request(e.to_string()))
        }
        (&Method::DELETE, "/_sim/requests") => {
            st.reqlog.clear();
            Ok(json!([]))
        }
        (&Method::GET, "/_sim/objects") => Ok(objects(st)),
        (&Method::POST, "/_sim/reset") => {
            st.store_write().clear_user_objects();
            st.stats.reset();
            st.reqlog.clear();
            st.faults.reset();
            Ok(json!({"ok": true}))
        }
        _ => Err(ApiError::not_found(format!("{path}: not found"))),
    }
}

fn faults_view(st: &AppState) -> Value {
    json!({
        "settings": st.faults.settings(),
        "down_remaining_secs": st.faults.down_remaining().map(|d| d.as_secs_f64()),
        "session_idle_timeout_secs": st.sessions.idle_timeout().as_secs(),
        "live_sessions": st.sessions.live_count(),
    })
}

fn objects(st: &AppState) -> Value {
    let store = st.store_read();
    let opts = RenderOpts {
        include_name: true,
        read_view: true,
        fields: None,
    };
    let mut out = serde_json::Map::new();
    for rec in store.all() {
        let entry = out.entry(rec.kind.name.to_string()).or_insert_with(|| json!([]));
        if let Value::Array(a) = entry {
            a.push(render(&store, rec, "", opts));
        }
    }
    Value::Object(out)
}
