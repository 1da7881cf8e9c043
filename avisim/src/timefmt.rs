//! Date formats the recorded controller uses: the Django cookie `expires` form
//! (`Wed, 22-Jul-2020 07:51:35 GMT`) and the HTTP `Date` header form.

use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

const COOKIE_EXPIRES: &[BorrowedFormatItem<'_>] =
    format_description!("[weekday repr:short], [day]-[month repr:short]-[year] [hour]:[minute]:[second] GMT");
const IMF_FIXDATE: &[BorrowedFormatItem<'_>] =
    format_description!("[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT");

const CERTIFICATE_TIME: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
const OPENSSL_TIME: &[BorrowedFormatItem<'_>] =
    format_description!("[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT");

fn format(t: SystemTime, how: &[BorrowedFormatItem<'_>]) -> String {
    // Formatting a complete UTC date-time with these items cannot fail.
    OffsetDateTime::from(t).format(how).unwrap_or_default()
}

/// `Wed, 22-Jul-2020 07:51:35 GMT`, as in the recorded `Set-Cookie` headers.
pub fn cookie_expires(t: SystemTime) -> String {
    format(t, COOKIE_EXPIRES)
}

/// `Tue, 21 Jul 2020 07:51:36 GMT` (RFC 7231 IMF-fixdate).
pub fn http_date(t: SystemTime) -> String {
    format(t, IMF_FIXDATE)
}

/// `2017-06-11 04:44:28`: a certificate's `not_before`/`not_after` as the recorded controller
/// shows them.
pub fn certificate_time(t: OffsetDateTime) -> String {
    t.format(CERTIFICATE_TIME).unwrap_or_default()
}

/// `Jun  9 04:44:28 2027 GMT`, as in OpenSSL's certificate text.
pub fn openssl_time(t: OffsetDateTime) -> String {
    t.format(OPENSSL_TIME).unwrap_or_default()
}

/// Microseconds since the epoch: the unit of Avi's `_last_modified`.
pub fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn formats_match_recording() {
        // 2020-07-22T07:51:35Z, from the recorded login response.
        let t = UNIX_EPOCH + Duration::from_secs(1_595_404_295);
        assert_eq!(cookie_expires(t), "Wed, 22-Jul-2020 07:51:35 GMT");
        assert_eq!(http_date(t), "Wed, 22 Jul 2020 07:51:35 GMT");
        let t = UNIX_EPOCH + Duration::from_secs(1_626_767_495);
        assert_eq!(cookie_expires(t), "Tue, 20-Jul-2021 07:51:35 GMT");
    }

    #[test]
    fn single_digit_fields_are_zero_padded() {
        // 2021-01-03T04:05:06Z: the day is padded as in the recording.
        let t = UNIX_EPOCH + Duration::from_secs(1_609_646_706);
        assert_eq!(cookie_expires(t), "Sun, 03-Jan-2021 04:05:06 GMT");
        assert_eq!(http_date(t), "Sun, 03 Jan 2021 04:05:06 GMT");
        assert_eq!(cookie_expires(UNIX_EPOCH), "Thu, 01-Jan-1970 00:00:00 GMT");
    }

    #[test]
    fn certificate_times_match_recording() {
        // The recorded certificate's validity: 2017-06-11 04:44:28 .. 2027-06-09 04:44:28.
        let nb = OffsetDateTime::from_unix_timestamp(1_497_156_268).unwrap();
        let na = OffsetDateTime::from_unix_timestamp(1_812_516_268).unwrap();
        assert_eq!(certificate_time(nb), "2017-06-11 04:44:28");
        assert_eq!(certificate_time(na), "2027-06-09 04:44:28");
        assert_eq!(openssl_time(nb), "Jun 11 04:44:28 2017 GMT");
        assert_eq!(openssl_time(na), "Jun  9 04:44:28 2027 GMT");
    }
}
