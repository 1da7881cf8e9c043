//! Collection queries: `name=`, `created_by=` and any other top-level field filter,
//! `<field>.contains`/`.icontains`/`.startswith`, `<ref>.uuid`, `page`, `page_size` (<= 200),
//! `fields`, `include_name`, and the `next` link.

use serde_json::Value;

use crate::error::ApiError;
use crate::refs;
use crate::store::Record;

pub const DEFAULT_PAGE_SIZE: usize = 25;
pub const MAX_PAGE_SIZE: usize = 200;

/// Parameters that shape the answer rather than filter it.
const RESERVED: &[&str] = &[
    "page",
    "page_size",
    "fields",
    "include_name",
    "skip_default",
    "join_subresources",
    "include_refs",
];

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Eq(String, String),
    Contains(String, String),
    IContains(String, String),
    StartsWith(String, String),
    RefUuid(String, String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub page: usize,
    pub page_size: usize,
    pub fields: Option<Vec<String>>,
    pub include_name: bool,
    pub filters: Vec<Filter>,
    /// Original pairs minus `page`, to build `next`.
    pub passthrough: Vec<(String, String)>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
            fields: None,
            include_name: false,
            filters: vec![],
            passthrough: vec![],
        }
    }
}

fn truthy(v: &str) -> bool {
    v.is_empty() || matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes")
}

pub fn include_name(query: &str) -> bool {
    form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == "include_name" && truthy(&v))
}

pub fn fields(query: &str) -> Option<Vec<String>> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "fields")
        .map(|(_, v)| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
}

pub fn parse(query: &str) -> Result<ListQuery, ApiError> {
    let mut q = ListQuery::default();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let (k, v) = (k.into_owned(), v.into_owned());
        match k.as_str() {
            "page" => {
                q.page = v
                    .parse()
                    .ok()
                    .filter(|p| *p >= 1)
                    .ok_or_else(|| ApiError::bad_request(format!("Invalid page {v:?}")))?;
                continue;
            }
            "page_size" => {
                let n: usize = v
                    .parse()
                    .map_err(|_| ApiError::bad_request(format!("Invalid page_size {v:?}")))?;
                if n == 0 || n > MAX_PAGE_SIZE {
                    return Err(ApiError::bad_request(format!(
                        "page_size must be between 1 and {MAX_PAGE_SIZE}, got {n}"
                    )));
                }
                q.page_size = n;
            }
            "include_name" => q.include_name = truthy(&v),
            "fields" => q.fields = fields(&format!("fields={}", enc(&v))),
            r if RESERVED.contains(&r) => {}
            _ => q.filters.push(filter(&k, &v)),
        }
        q.passthrough.push((k, v));
    }
    Ok(q)
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn filter(k: &str, v: &str) -> Filter {
    if let Some(f) = k.strip_suffix(".contains") {
        Filter::Contains(f.into(), v.into())
    } else if let Some(f) = k.strip_suffix(".icontains") {
        Filter::IContains(f.into(), v.to_lowercase())
    } else if let Some(f) = k.strip_suffix(".startswith") {
        Filter::StartsWith(f.into(), v.into())
    } else if let Some(f) = k.strip_suffix(".uuid").filter(|f| refs::is_ref_key(f)) {
        Filter::RefUuid(f.into(), v.into())
    } else {
        Filter::Eq(k.into(), v.into())
    }
}

fn scalar(rec: &Record, field: &str) -> Option<String> {
    if field == "name" {
        return Some(rec.name.clone());
    }
    if field == "uuid" {
        return Some(rec.uuid.clone());
    }
    match rec.body.get(field)? {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn matches(rec: &Record, filters: &[Filter]) -> bool {
    filters.iter().all(|f| match f {
        Filter::Eq(k, v) => scalar(rec, k).is_some_and(|s| s == *v),
        Filter::Contains(k, v) => scalar(rec, k).is_some_and(|s| s.contains(v.as_str())),
        Filter::IContains(k, v) => scalar(rec, k).is_some_and(|s| s.to_lowercase().contains(v.as_str())),
        Filter::StartsWith(k, v) => scalar(rec, k).is_some_and(|s| s.starts_with(v.as_str())),
        Filter::RefUuid(k, v) => rec
            .body
            .get(k)
            .and_then(Value::as_str)
            .and_then(refs::split_canonical)
            .is_some_and(|(_, u)| u == v),
    })
}

/// The `next` link for page `page + 1`.
pub fn next_url(collection_url: &str, q: &ListQuery) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &q.passthrough {
        ser.append_pair(k, v);
    }
    ser.append_pair("page", &(q.page + 1).to_string());
    format!("{collection_url}?{}", ser.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds;
    use serde_json::json;

    #[test]
    fn parses_and_limits() {
        let q = parse("name=a&page_size=200&page=2&fields=name,uuid&include_name").unwrap();
        assert_eq!(q.page, 2);
        assert_eq!(q.page_size, 200);
        assert!(q.include_name);
        assert_eq!(q.fields, Some(vec!["name".to_string(), "uuid".to_string()]));
        assert_eq!(q.filters, vec![Filter::Eq("name".into(), "a".into())]);
        assert!(parse("page_size=201").is_err());
        assert!(parse("page=0").is_err());
        assert!(next_url("https://h/api/pool", &q).ends_with("page=3"));
    }

    #[test]
    fn filters_match() {
        let mut r = Record::new(
            kinds::kind("pool").unwrap(),
            "pool-1".into(),
            "c1--ns-svc".into(),
            "admin".into(),
        );
        r.body.insert("created_by".into(), json!("avigw-c1"));
        r.body.insert("cloud_ref".into(), json!("/api/cloud/cloud-9"));
        let ok = |q: &str| matches(&r, &parse(q).unwrap().filters);
        assert!(ok("created_by=avigw-c1"));
        assert!(!ok("created_by=avigw-c2"));
        assert!(ok("name.contains=ns-"));
        assert!(ok("name.startswith=c1--"));
        assert!(ok("name.icontains=NS-SVC"));
        assert!(ok("cloud_ref.uuid=cloud-9"));
        assert!(!ok("missing=1"));
    }
}
