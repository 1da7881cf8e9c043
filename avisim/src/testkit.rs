//! Helpers shared by the contract tests of avisim and of the Avi client: locating and reading
//! the recorded controller traffic, and comparing JSON by shape (keys and types, not values).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// `<workspace root>/../shared/reference/avi-api` (the checkout keeps `shared/` beside the
/// project root); `AVI_CASSETTES_DIR` overrides.
pub fn reference_dir() -> PathBuf {
    if let Ok(d) = std::env::var("AVI_CASSETTES_DIR") {
        return PathBuf::from(d);
    }
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = crate_dir.parent().unwrap_or(crate_dir);
    root.join("..").join("shared").join("reference").join("avi-api")
}

#[derive(Debug, Clone, Deserialize)]
pub struct Cassette {
    #[serde(skip)]
    pub name: String,
    pub interactions: Vec<Interaction>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Interaction {
    pub request: RecordedRequest,
    pub response: RecordedResponse,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub uri: String,
    #[serde(default)]
    pub headers: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RecordedResponse {
    pub status: Status,
    #[serde(default)]
    pub headers: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub body: RecordedBody,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    pub code: u16,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RecordedBody {
    #[serde(default)]
    pub string: String,
}

impl RecordedRequest {
    /// Header values by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
    }
}

impl RecordedResponse {
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.iter().map(String::as_str))
            .collect()
    }
}

/// All cassettes, sorted by file name.
pub fn load_cassettes() -> Result<Vec<Cassette>, String> {
    let dir = reference_dir().join("cassettes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| {
            format!(
                "reading {}: {e} (the recorded Avi traffic lives in shared/reference/avi-api \
                 beside the project root; set AVI_CASSETTES_DIR to point elsewhere)",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| format!("reading {}: {e}", p.display()))?;
            let mut c: Cassette =
                serde_json::from_str(&text).map_err(|e| format!("parsing {}: {e}", p.display()))?;
            c.name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(c)
        })
        .collect()
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Differences where `live` lacks a key `recorded` has, or holds another JSON type. Arrays are
/// compared element-wise by their first element's shape when both are non-empty. Extra keys
/// in `live` are allowed.
pub fn shape_diff(recorded: &Value, live: &Value) -> Vec<String> {
    let mut out = vec![];
    diff_into(recorded, live, "$", &mut out);
    out
}

fn diff_into(rec: &Value, live: &Value, path: &str, out: &mut Vec<String>) {
    if type_name(rec) != type_name(live) {
        out.push(format!(
            "{path}: recorded {} but got {}",
            type_name(rec),
            type_name(live)
        ));
        return;
    }
    match (rec, live) {
        (Value::Object(r), Value::Object(l)) => {
            for (k, rv) in r {
                match l.get(k) {
                    Some(lv) => diff_into(rv, lv, &format!("{path}.{k}"), out),
                    None => out.push(format!("{path}.{k}: missing")),
                }
            }
        }
        (Value::Array(r), Value::Array(l)) => {
            if let (Some(rf), Some(lf)) = (r.first(), l.first()) {
                diff_into(rf, lf, &format!("{path}[0]"), out);
            }
        }
        _ => {}
    }
}

/// A `Set-Cookie` value's name and its attributes as (lowercase name, value) pairs.
fn parse_cookie(c: &str) -> Option<(String, Vec<(String, &str)>)> {
    let mut parts = c.split(';');
    let (name, _) = parts.next()?.split_once('=')?;
    let attrs = parts
        .map(|a| {
            let (k, v) = a.split_once('=').unwrap_or((a, ""));
            (k.trim().to_ascii_lowercase(), v)
        })
        .collect();
    Some((name.trim().to_string(), attrs))
}

/// `name -> attribute names (lowercase, sorted) and Max-Age` of `Set-Cookie` values.
pub fn cookie_shapes<'a>(
    set_cookies: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, (Vec<String>, Option<String>)> {
    let mut out = BTreeMap::new();
    for (name, attrs) in set_cookies.into_iter().filter_map(parse_cookie) {
        let max_age = attrs
            .iter()
            .find(|(k, _)| k == "max-age")
            .map(|(_, v)| v.trim().to_string());
        let mut names: Vec<String> = attrs.into_iter().map(|(k, _)| k).collect();
        names.sort();
        out.insert(name, (names, max_age));
    }
    out
}

/// `name -> format of its expires value`, digits as `9` and letters as `a`
/// (`Wed, 22-Jul-2020 07:51:35 GMT` -> `aaa, 99-aaa-9999 99:99:99 aaa`), to compare the date
/// format of live cookies with recorded ones whose values differ.
pub fn cookie_expires_formats<'a>(
    set_cookies: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, attrs) in set_cookies.into_iter().filter_map(parse_cookie) {
        if let Some((_, v)) = attrs.iter().find(|(k, _)| k == "expires") {
            let mask = v
                .chars()
                .map(|ch| match ch {
                    '0'..='9' => '9',
                    c if c.is_ascii_alphabetic() => 'a',
                    c => c,
                })
                .collect();
            out.insert(name, mask);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shape_diff_finds_missing_and_mistyped() {
        let rec = json!({"a": 1, "b": {"c": "x"}, "d": [{"e": true}]});
        assert!(
            shape_diff(
                &rec,
                &json!({"a": 2.5, "b": {"c": "y", "z": 1}, "d": [{"e": false}]})
            )
            .is_empty()
        );
        let d = shape_diff(&rec, &json!({"a": "1", "b": {}, "d": [{"e": 1}]}));
        assert_eq!(d.len(), 3, "{d:?}");
    }

    #[test]
    fn cookie_attributes() {
        let s = cookie_shapes([
            "sessionid=x; expires=Wed, 22-Jul-2020 07:51:35 GMT; HttpOnly; Max-Age=86400; Path=/; Secure",
        ]);
        let (attrs, max_age) = &s["sessionid"];
        assert_eq!(attrs, &["expires", "httponly", "max-age", "path", "secure"]);
        assert_eq!(max_age.as_deref(), Some("86400"));
    }

    #[test]
    fn cookie_expires_format_masks_digits_and_letters() {
        let f = cookie_expires_formats([
            "sessionid=x; expires=Wed, 22-Jul-2020 07:51:35 GMT; HttpOnly",
            "csrftoken=y; Path=/",
        ]);
        assert_eq!(f.len(), 1);
        assert_eq!(f["sessionid"], "aaa, 99-aaa-9999 99:99:99 aaa");
    }
}
