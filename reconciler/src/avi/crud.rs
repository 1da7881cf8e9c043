//! Generic CRUD over serde types, by object type name (`pool`, `vsvip`, ...).

use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::client::AviClient;
use super::error::{AviError, Result};

/// Largest page the controller serves.
pub const MAX_PAGE_SIZE: u32 = 200;

/// The fields every Avi object answer carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub uuid: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub url: String,
    #[serde(rename = "_last_modified", default)]
    pub last_modified: Option<String>,
}

/// Collection filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Exact name.
    pub name: Option<String>,
    /// Names starting with this (sent as `name.contains`, then filtered here).
    pub name_prefix: Option<String>,
    pub created_by: Option<String>,
    /// Only these fields (plus `url` and `uuid`).
    pub fields: Vec<String>,
    /// `#name` on refs.
    pub include_name: bool,
    pub page_size: u32,
    /// Any other `key=value` filter.
    pub extra: Vec<(String, String)>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            name: None,
            name_prefix: None,
            created_by: None,
            fields: vec![],
            include_name: false,
            page_size: MAX_PAGE_SIZE,
            extra: vec![],
        }
    }
}

impl ListQuery {
    pub fn created_by(v: impl Into<String>) -> Self {
        Self {
            created_by: Some(v.into()),
            ..Self::default()
        }
    }

    pub fn name_prefix(v: impl Into<String>) -> Self {
        Self {
            name_prefix: Some(v.into()),
            ..Self::default()
        }
    }

    fn pairs(&self) -> Vec<(String, String)> {
        let mut p = vec![];
        if let Some(n) = &self.name {
            p.push(("name".into(), n.clone()));
        }
        if let Some(n) = &self.name_prefix {
            p.push(("name.contains".into(), n.clone()));
        }
        if let Some(c) = &self.created_by {
            p.push(("created_by".into(), c.clone()));
        }
        if !self.fields.is_empty() {
            let mut f = self.fields.clone();
            if self.name_prefix.is_some() && !f.iter().any(|x| x == "name") {
                f.push("name".into());
            }
            p.push(("fields".into(), f.join(",")));
        }
        if self.include_name {
            p.push(("include_name".into(), "true".into()));
        }
        p.push((
            "page_size".into(),
            self.page_size.clamp(1, MAX_PAGE_SIZE).to_string(),
        ));
        p.extend(self.extra.iter().cloned());
        p
    }
}

/// One page of a collection.
#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    pub count: u64,
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOp {
    Add,
    Replace,
    Delete,
}

impl PatchOp {
    fn key(self) -> &'static str {
        match self {
            PatchOp::Add => "add",
            PatchOp::Replace => "replace",
            PatchOp::Delete => "delete",
        }
    }
}

fn decode<T: DeserializeOwned>(object: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| AviError::Decode {
        object: object.to_string(),
        message: e.to_string(),
    })
}

fn to_value<B: Serialize>(object: &str, b: &B) -> Result<Value> {
    serde_json::to_value(b).map_err(|e| AviError::Decode {
        object: object.to_string(),
        message: format!("encoding request: {e}"),
    })
}

impl AviClient {
    fn object_url(&self, kind: &str, uuid: Option<&str>) -> Result<Url> {
        let mut url = self.base().clone();
        {
            let mut segs = url
                .path_segments_mut()
                .map_err(|_| AviError::Config("controller URL cannot hold a path".into()))?;
            segs.clear().push("api").push(kind);
            if let Some(u) = uuid {
                segs.push(u);
            }
        }
        Ok(url)
    }

    /// GET `/api/<kind>/<uuid>`.
    pub async fn get<T: DeserializeOwned>(&self, kind: &str, uuid: &str, tenant: Option<&str>) -> Result<T> {
        let url = self.object_url(kind, Some(uuid))?;
        let a = self.call(Method::GET, url, None, tenant, kind).await?;
        decode(kind, &a.body)
    }

    /// The object named `name`, if any.
    pub async fn get_by_name<T: DeserializeOwned>(
        &self,
        kind: &str,
        name: &str,
        tenant: Option<&str>,
    ) -> Result<Option<T>> {
        let q = ListQuery {
            name: Some(name.to_string()),
            page_size: 2,
            ..ListQuery::default()
        };
        let page: Page<T> = self.list_page(kind, &q, tenant).await?;
        Ok(page.results.into_iter().next())
    }

    /// First page of a collection.
    pub async fn list_page<T: DeserializeOwned>(
        &self,
        kind: &str,
        q: &ListQuery,
        tenant: Option<&str>,
    ) -> Result<Page<T>> {
        let mut url = self.object_url(kind, None)?;
        url.query_pairs_mut().extend_pairs(q.pairs());
        let a = self.call(Method::GET, url, None, tenant, kind).await?;
        decode(kind, &a.body)
    }

    /// Every matching object, following `next` links page by page.
    pub async fn list<T: DeserializeOwned>(
        &self,
        kind: &str,
        q: &ListQuery,
        tenant: Option<&str>,
    ) -> Result<Vec<T>> {
        let mut url = self.object_url(kind, None)?;
        url.query_pairs_mut().extend_pairs(q.pairs());
        let mut out = Vec::new();
        // Bounded: a controller bug returning a `next` loop must not hang the caller.
        for _ in 0..100_000 {
            let a = self.call(Method::GET, url.clone(), None, tenant, kind).await?;
            let page: Page<Value> = decode(kind, &a.body)?;
            for item in page.results {
                let keep = match &q.name_prefix {
                    Some(p) => item
                        .get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.starts_with(p.as_str())),
                    None => true,
                };
                if keep {
                    out.push(serde_json::from_value(item).map_err(|e| AviError::Decode {
                        object: kind.to_string(),
                        message: e.to_string(),
                    })?);
                }
            }
            match page.next {
                Some(next) => url = self.same_origin(&next)?,
                None => return Ok(out),
            }
        }
        Err(AviError::Decode {
            object: kind.to_string(),
            message: "too many pages".into(),
        })
    }

    /// `next` links carry the host the controller thinks it has; keep talking to ours.
    fn same_origin(&self, next: &str) -> Result<Url> {
        let parsed = Url::parse(next)
            .or_else(|_| self.base().join(next))
            .map_err(|e| AviError::Decode {
                object: "next".into(),
                message: format!("{next:?}: {e}"),
            })?;
        let mut url = self.base().clone();
        url.set_path(parsed.path());
        url.set_query(parsed.query());
        Ok(url)
    }

    /// POST `/api/<kind>`; answers the created object (201).
    pub async fn create<B: Serialize, T: DeserializeOwned>(
        &self,
        kind: &str,
        body: &B,
        tenant: Option<&str>,
    ) -> Result<T> {
        let v = to_value(kind, body)?;
        let url = self.object_url(kind, None)?;
        let a = self.call(Method::POST, url, Some(&v), tenant, kind).await?;
        decode(kind, &a.body)
    }

    /// PUT `/api/<kind>/<uuid>`: replaces the object. Include `_last_modified` to get a 412
    /// instead of overwriting someone else's change.
    pub async fn update<B: Serialize, T: DeserializeOwned>(
        &self,
        kind: &str,
        uuid: &str,
        body: &B,
        tenant: Option<&str>,
    ) -> Result<T> {
        let v = to_value(kind, body)?;
        let url = self.object_url(kind, Some(uuid))?;
        let a = self.call(Method::PUT, url, Some(&v), tenant, kind).await?;
        decode(kind, &a.body)
    }

    /// PATCH `/api/<kind>/<uuid>` with `{"add"|"replace"|"delete": fields}`.
    pub async fn patch<T: DeserializeOwned>(
        &self,
        kind: &str,
        uuid: &str,
        op: PatchOp,
        fields: &Value,
        tenant: Option<&str>,
    ) -> Result<T> {
        let body = json!({ op.key(): fields });
        let url = self.object_url(kind, Some(uuid))?;
        let a = self.call(Method::PATCH, url, Some(&body), tenant, kind).await?;
        decode(kind, &a.body)
    }

    /// DELETE `/api/<kind>/<uuid>` (204).
    pub async fn delete(&self, kind: &str, uuid: &str, tenant: Option<&str>) -> Result<()> {
        let url = self.object_url(kind, Some(uuid))?;
        self.call(Method::DELETE, url, None, tenant, kind).await?;
        Ok(())
    }

    /// GET of a non-collection path such as `/api/systemconfiguration`,
    /// `/api/cluster/status` or `/api/initial-data`.
    pub async fn get_path<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let url = self.url_for(path)?;
        let object = path
            .trim_start_matches('/')
            .trim_start_matches("api/")
            .split(['/', '?'])
            .next()
            .unwrap_or("api")
            .to_string();
        let a = self.call(Method::GET, url, None, None, &object).await?;
        decode(&object, &a.body)
    }

    /// The controller's license tier (`systemconfiguration.default_license_tier`).
    pub async fn license_tier(&self) -> Result<Option<String>> {
        let v: Value = self.get_path("/api/systemconfiguration").await?;
        Ok(v.get("default_license_tier")
            .and_then(Value::as_str)
            .map(str::to_string))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs() {
        let q = ListQuery {
            name_prefix: Some("c1--".into()),
            created_by: Some("avigw-c1".into()),
            fields: vec!["uuid".into()],
            page_size: 500,
            ..ListQuery::default()
        };
        let p = q.pairs();
        assert!(p.contains(&("name.contains".into(), "c1--".into())));
        assert!(p.contains(&("fields".into(), "uuid,name".into())));
        assert!(p.contains(&("page_size".into(), "200".into())));
    }
}
