//! A hook for request metrics (the reconciler feeds `avigw_avi_requests_total` and
//! `avigw_avi_request_duration_seconds` from it).

use std::time::Duration;

/// One HTTP attempt (retries and re-logins are separate records).
#[derive(Debug, Clone, Copy)]
pub struct RequestRecord<'a> {
    pub method: &'a str,
    /// Object type (`pool`, `virtualservice`), or `login`/`logout`/first path segment.
    pub object: &'a str,
    /// HTTP status; None when no answer came (timeout, connection error).
    pub status: Option<u16>,
    pub duration: Duration,
    /// 0 for the first attempt of a call.
    pub attempt: u32,
}

impl RequestRecord<'_> {
    /// The `code` label: the status, or `error` when there was none.
    pub fn code(&self) -> String {
        self.status.map_or_else(|| "error".to_string(), |s| s.to_string())
    }
}

pub trait RequestObserver: Send + Sync {
    fn observe(&self, record: &RequestRecord<'_>);
}

impl<F> RequestObserver for F
where
    F: Fn(&RequestRecord<'_>) + Send + Sync,
{
    fn observe(&self, record: &RequestRecord<'_>) {
        self(record)
    }
}
