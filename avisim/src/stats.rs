//! Request counters per method, object and status (`GET /_sim/stats`), and a short log of
//! recent requests with their header names (`GET /_sim/requests`) so client tests can check
//! what was actually sent. Secrets are never kept: cookie values, CSRF tokens and
//! `Authorization` are reduced to their names.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use axum::http::HeaderMap;
use serde::Serialize;
use serde_json::{Value, json};

use crate::faults::lock;

#[derive(Debug, Default)]
pub struct Stats {
    counts: Mutex<BTreeMap<(String, String, u16), u64>>,
}

impl Stats {
    pub fn record(&self, method: &str, object: &str, status: u16) {
        *lock(&self.counts)
            .entry((method.to_string(), object.to_string(), status))
            .or_default() += 1;
    }

    pub fn reset(&self) {
        lock(&self.counts).clear();
    }

    /// Count for one (method, object) over all status codes.
    pub fn count(&self, method: &str, object: &str) -> u64 {
        lock(&self.counts)
            .iter()
            .filter(|((m, o, _), _)| m == method && o == object)
            .map(|(_, n)| *n)
            .sum()
    }

    pub fn snapshot(&self) -> Value {
        let counts = lock(&self.counts);
        let mut total = 0;
        let mut by_key: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_code: BTreeMap<String, u64> = BTreeMap::new();
        let mut detail = Vec::new();
        for ((m, o, c), n) in counts.iter() {
            total += n;
            *by_key.entry(format!("{m} {o}")).or_default() += n;
            *by_code.entry(c.to_string()).or_default() += n;
            detail.push(json!({"method": m, "object": o, "code": c, "count": n}));
        }
        json!({"total": total, "by_method_object": by_key, "by_code": by_code, "detail": detail})
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Header name (lowercase) -> value; secret values replaced by `<redacted>`.
    pub headers: BTreeMap<String, String>,
    pub cookie_names: Vec<String>,
    pub content_type: Option<String>,
    pub status: u16,
}

const SECRET_HEADERS: &[&str] = &["cookie", "x-csrftoken", "authorization"];

impl LoggedRequest {
    pub fn new(method: &str, path: &str, query: &str, headers: &HeaderMap) -> Self {
        let mut h = BTreeMap::new();
        let mut cookie_names = Vec::new();
        for (name, value) in headers {
            let n = name.as_str().to_ascii_lowercase();
            let v = value.to_str().unwrap_or("<binary>");
            if n == "cookie" {
                for part in v.split(';') {
                    if let Some((k, _)) = part.split_once('=') {
                        cookie_names.push(k.trim().to_string());
                    }
                }
            }
            let shown = if SECRET_HEADERS.contains(&n.as_str()) {
                "<redacted>".to_string()
            } else {
                v.to_string()
            };
            h.insert(n, shown);
        }
        Self {
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            content_type: h.get("content-type").cloned(),
            headers: h,
            cookie_names,
            status: 0,
        }
    }
}

#[derive(Debug)]
pub struct RequestLog {
    cap: usize,
    items: Mutex<VecDeque<LoggedRequest>>,
}

impl RequestLog {
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            items: Mutex::new(VecDeque::new()),
        }
    }

    pub fn push(&self, r: LoggedRequest) {
        if self.cap == 0 {
            return;
        }
        let mut q = lock(&self.items);
        if q.len() >= self.cap {
            q.pop_front();
        }
        q.push_back(r);
    }

    pub fn enabled(&self) -> bool {
        self.cap > 0
    }

    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        lock(&self.items).iter().cloned().collect()
    }

    pub fn clear(&self) {
        lock(&self.items).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_redaction() {
        let s = Stats::default();
        s.record("GET", "pool", 200);
        s.record("GET", "pool", 503);
        assert_eq!(s.count("GET", "pool"), 2);
        assert_eq!(s.snapshot()["total"], 2);
        let mut h = HeaderMap::new();
        h.insert("cookie", "csrftoken=abc; avi-sessionid=def".parse().unwrap());
        h.insert("x-csrftoken", "abc".parse().unwrap());
        let r = LoggedRequest::new("GET", "/api/pool", "", &h);
        assert_eq!(r.cookie_names, vec!["csrftoken", "avi-sessionid"]);
        assert_eq!(r.headers["x-csrftoken"], "<redacted>");
        assert!(!format!("{r:?}").contains("def"));
    }
}
