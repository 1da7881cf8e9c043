//! The session cookies, kept by name. Handled here rather than by a generic cookie store
//! because the controller marks them `Secure` (a generic store would drop them on a plain-HTTP
//! lab controller) and because `X-CSRFToken` has to mirror the `csrftoken` cookie.

use std::collections::BTreeMap;

use reqwest::header::{HeaderMap, SET_COOKIE};

#[derive(Clone, Default)]
pub struct CookieJar {
    cookies: BTreeMap<String, String>,
}

impl CookieJar {
    /// Applies every `Set-Cookie` of an answer (the controller refreshes the session cookies on
    /// each call). `Max-Age=0` or an empty value removes the cookie.
    pub fn update(&mut self, headers: &HeaderMap) {
        for v in headers.get_all(SET_COOKIE) {
            let Ok(v) = v.to_str() else { continue };
            let mut parts = v.split(';');
            let Some((name, value)) = parts.next().and_then(|nv| nv.split_once('=')) else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim().trim_matches('"'));
            let expired = parts.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            if expired || value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    /// The `Cookie` header value, or None when empty.
    pub fn header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    pub fn clear(&mut self) {
        self.cookies.clear();
    }
}

// Cookie values are session credentials: names only.
impl std::fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.cookies.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_set_cookie() {
        let mut h = HeaderMap::new();
        for c in [
            "csrftoken=abc; expires=Tue, 20-Jul-2021 07:51:35 GMT; Max-Age=31449600; Path=/; Secure",
            "avi-sessionid=s1; expires=Wed, 22-Jul-2020 07:51:35 GMT; HttpOnly; Max-Age=86400; Path=/; Secure",
            "sessionid=s1; HttpOnly; Path=/",
        ] {
            h.append(SET_COOKIE, c.parse().unwrap());
        }
        let mut j = CookieJar::default();
        j.update(&h);
        assert_eq!(j.get("csrftoken"), Some("abc"));
        assert_eq!(
            j.header().unwrap(),
            "avi-sessionid=s1; csrftoken=abc; sessionid=s1"
        );
        assert!(!format!("{j:?}").contains("s1"));
        let mut h = HeaderMap::new();
        h.append(SET_COOKIE, "sessionid=\"\"; Max-Age=0; Path=/".parse().unwrap());
        j.update(&h);
        assert_eq!(j.get("sessionid"), None);
    }
}
