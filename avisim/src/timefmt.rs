//! Date formats the recorded controller uses: the Django cookie `expires` form
//! (`Wed, 22-Jul-2020 07:51:35 GMT`) and the HTTP `Date` header form.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

struct Civil {
    year: i64,
    month: usize,
    day: u32,
    weekday: usize,
    hh: u64,
    mm: u64,
    ss: u64,
}

fn civil(t: SystemTime) -> Civil {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-from-civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as usize;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month: month - 1,
        day,
        weekday: (days.rem_euclid(7)) as usize,
        hh: rem / 3600,
        mm: (rem % 3600) / 60,
        ss: rem % 60,
    }
}

/// `Wed, 22-Jul-2020 07:51:35 GMT`, as in the recorded `Set-Cookie` headers.
pub fn cookie_expires(t: SystemTime) -> String {
    let c = civil(t);
    format!(
        "{}, {:02}-{}-{} {:02}:{:02}:{:02} GMT",
        DAYS[c.weekday], c.day, MONTHS[c.month], c.year, c.hh, c.mm, c.ss
    )
}

/// `Tue, 21 Jul 2020 07:51:36 GMT` (RFC 7231 IMF-fixdate).
pub fn http_date(t: SystemTime) -> String {
    let c = civil(t);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[c.weekday], c.day, MONTHS[c.month], c.year, c.hh, c.mm, c.ss
    )
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
}
