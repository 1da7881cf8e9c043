//! Object reads (list with filters and pages, get by uuid) and writes (create, update, patch,
//! delete) under `/api/<kind>`.

use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::{AppState, method_not_allowed, parse_body, respond};
use crate::auth;
use crate::error::{ApiError, RECORD_NOT_FOUND};
use crate::kinds::Kind;
use crate::objects::{self, WriteCtx};
use crate::query;
use crate::render::{RenderOpts, render};
use crate::store::{Store, TenantScope, visible};

pub(super) fn list(
    st: &AppState,
    headers: &HeaderMap,
    kind: &'static Kind,
    base: &str,
    path: &str,
    query: &str,
) -> Result<Response, ApiError> {
    let q = query::parse(query)?;
    let store = st.store_read();
    let scope = auth::tenant_scope(headers, &store)?;
    // `name=` is the hot path (GET by name): use the name index instead of a scan.
    let by_name = q.filters.iter().find_map(|f| match f {
        query::Filter::Eq(k, v) if k == "name" => Some(v.as_str()),
        _ => None,
    });
    let matching: Vec<_> = match by_name {
        Some(n) => {
            let mut hits: Vec<_> = store
                .by_name(kind.name, n, &scope)
                .into_iter()
                .filter(|r| query::matches(r, &q.filters))
                .collect();
            hits.sort_by_key(|r| r.seq());
            hits
        }
        None => store
            .list(kind.name)
            .filter(|r| visible(r, &scope) && query::matches(r, &q.filters))
            .collect(),
    };
    let count = matching.len();
    let start = (q.page - 1) * q.page_size;
    if start >= count && q.page > 1 {
        return Err(ApiError::not_found("Invalid page."));
    }
    let opts = RenderOpts {
        include_name: q.include_name,
        read_view: true,
        fields: q.fields.as_deref(),
    };
    let results: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(q.page_size)
        .map(|r| render(&store, r, base, opts))
        .collect();
    let mut out = json!({"count": count, "results": results});
    if start + q.page_size < count {
        out["next"] = json!(query::next_url(&format!("{base}{path}"), &q));
    }
    Ok(respond::json(StatusCode::OK, &out))
}

pub(super) fn get_one(
    st: &AppState,
    headers: &HeaderMap,
    kind: &'static Kind,
    uuid: &str,
    base: &str,
    query: &str,
) -> Result<Response, ApiError> {
    let store = st.store_read();
    let scope = auth::tenant_scope(headers, &store)?;
    let rec = store
        .get_visible(kind.name, uuid, &scope)
        .ok_or_else(|| ApiError::not_found(format!("{} object not found!", kind.model)))?;
    let fields = query::fields(query);
    let opts = RenderOpts {
        include_name: query::include_name(query),
        read_view: true,
        fields: fields.as_deref(),
    };
    Ok(respond::json(StatusCode::OK, &render(&store, rec, base, opts)))
}

pub(super) fn write(
    st: &AppState,
    parts: &Parts,
    kind: &'static Kind,
    uuid: Option<&str>,
    base: &str,
    bytes: &[u8],
) -> Result<Response, ApiError> {
    let m = &parts.method;
    let body = if *m == Method::DELETE {
        Value::Null
    } else {
        parse_body(bytes)?
    };
    if *m == Method::POST && st.faults.take_record_not_found() {
        return Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, RECORD_NOT_FOUND));
    }
    let license_tier = st.license_tier();
    let mut store = st.store_write();
    let scope = auth::tenant_scope(&parts.headers, &store)?;
    let ctx = WriteCtx {
        scope: &scope,
        sys: &st.sys,
        license_tier,
    };
    let (status, id) = match (m, uuid) {
        (&Method::POST, None) => {
            let slug = auth::header(&parts.headers, "slug");
            let id = objects::create(&mut store, &ctx, kind, body, slug)?;
            tracing::info!(kind = kind.name, uuid = %id, "created");
            (StatusCode::CREATED, id)
        }
        (&Method::PUT, Some(u)) => {
            objects::update(&mut store, &ctx, kind, u, body)?;
            (StatusCode::OK, u.to_string())
        }
        (&Method::PATCH, Some(u)) => {
            objects::patch(&mut store, &ctx, kind, u, body)?;
            (StatusCode::OK, u.to_string())
        }
        (&Method::DELETE, Some(u)) => {
            objects::delete(&mut store, &ctx, kind, u)?;
            tracing::info!(kind = kind.name, uuid = %u, "deleted");
            return Ok(respond::empty(StatusCode::NO_CONTENT));
        }
        _ => return Err(method_not_allowed(m)),
    };
    render_written(&store, &scope, &id, base, status)
}

fn render_written(
    store: &Store,
    scope: &TenantScope,
    uuid: &str,
    base: &str,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let rec = store
        .get(uuid)
        .filter(|r| visible(r, scope) || r.tenant == scope.write_tenant())
        .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, RECORD_NOT_FOUND))?;
    let opts = RenderOpts {
        include_name: true,
        read_view: false,
        fields: None,
    };
    let v = render(store, rec, base, opts);
    let mut r = respond::json(status, &v);
    if status == StatusCode::CREATED
        && let Some(loc) = v.get("url").and_then(Value::as_str)
        && let Ok(hv) = HeaderValue::from_str(loc)
    {
        r.headers_mut().insert(header::LOCATION, hv);
    }
    Ok(r)
}
