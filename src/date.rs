//! Dates and times: every date repro parses or prints goes through this module, and the
//! calendar arithmetic is `jiff`'s.
//!
//! Days are counted as `i64` days since 1970-01-01 (UTC), the unit of the audit's response
//! clock; instants as `i64` seconds since the Unix epoch (`SOURCE_DATE_EPOCH`, manifest and SBOM
//! timestamps, zip times). Invariant: a value made here is a real calendar date inside jiff's
//! range (years -9999 to 9999); text that is not one (`2026-02-31`, `2026-13-01`) is an error,
//! never rolled over into the next month.

use jiff::civil::{Date, DateTime};
use jiff::{Timestamp, tz::TimeZone};

/// Why a date or time was refused. The message quotes nothing: dates come from policy files,
/// advisories and flags, and the caller names where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not `YYYY-MM-DD`, or not a date of the calendar.
    #[error("not a calendar date in the form YYYY-MM-DD")]
    NotADate,
    /// Not an RFC 3339 time or a date.
    #[error("not an RFC 3339 time (YYYY-MM-DDTHH:MM:SSZ) or a YYYY-MM-DD date")]
    NotATime,
    /// A `SOURCE_DATE_EPOCH` that is not an integer number of seconds in range.
    #[error("not a whole number of seconds since 1970-01-01 between years -9999 and 9999")]
    NotAnEpoch,
}

fn epoch_day() -> Date {
    Date::constant(1970, 1, 1)
}

fn day_of(date: Date) -> i64 {
    // Dates span at most 20,000 years: their difference in days always fits a span.
    date.since(epoch_day())
        .map(|span| i64::from(span.get_days()))
        .expect("days between two dates fit a span")
}

fn date_of(days: i64) -> Option<Date> {
    let span = jiff::Span::new().try_days(days).ok()?;
    epoch_day().checked_add(span).ok()
}

/// A `YYYY-MM-DD` date, exactly (as users write them: `--now`, policy holidays and clock
/// starts), as days since 1970-01-01.
pub fn parse_day(s: &str) -> Result<i64, DateError> {
    let b = s.as_bytes();
    // jiff also reads `20260131` and `+002026-01-31`; users write the extended form only.
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return Err(DateError::NotADate);
    }
    s.parse::<Date>()
        .map(day_of)
        .map_err(|_| DateError::NotADate)
}

/// The UTC day of an RFC 3339 time (`2024-01-01T12:00:00Z`, with an offset or fractional
/// seconds) or of a plain `YYYY-MM-DD` date, as advisories write `published` and `modified`. A
/// time without an offset is read as UTC.
pub fn parse_time_day(s: &str) -> Result<i64, DateError> {
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(day_of(ts.to_zoned(TimeZone::UTC).date()));
    }
    if let Ok(dt) = s.parse::<DateTime>()
        && s.len() > 10
    {
        return Ok(day_of(dt.date()));
    }
    parse_day(s).map_err(|_| DateError::NotATime)
}

/// `YYYY-MM-DD` of a day count.
pub fn format_day(days: i64) -> String {
    match date_of(days) {
        Some(d) => d.strftime("%Y-%m-%d").to_string(),
        None => "?".to_string(),
    }
}

/// Day of the week of a day count: 0 for Monday to 6 for Sunday.
pub fn weekday(days: i64) -> i64 {
    date_of(days)
        .map(|d| i64::from(d.weekday().to_monday_zero_offset()))
        .unwrap_or(0)
}

/// Today (UTC), as days since 1970-01-01.
pub fn today() -> i64 {
    day_of(Timestamp::now().to_zoned(TimeZone::UTC).date())
}

/// Now, as seconds since the Unix epoch.
pub fn now_epoch() -> i64 {
    Timestamp::now().as_second()
}

/// A `SOURCE_DATE_EPOCH` value: a whole number of seconds that jiff can place in the calendar.
pub fn parse_epoch(s: &str) -> Result<i64, DateError> {
    let secs: i64 = s.trim().parse().map_err(|_| DateError::NotAnEpoch)?;
    check_epoch(secs)
}

/// `secs` if it is an instant of the calendar (years -9999 to 9999).
pub fn check_epoch(secs: i64) -> Result<i64, DateError> {
    Timestamp::from_second(secs)
        .map(|_| secs)
        .map_err(|_| DateError::NotAnEpoch)
}

/// RFC 3339 UTC (`2023-11-14T22:13:20Z`) of seconds since the Unix epoch, clamped to the range
/// of the calendar.
pub fn rfc3339(epoch: i64) -> String {
    let ts = Timestamp::from_second(epoch).unwrap_or(if epoch < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    });
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A time as `repro diff` prints it, for a person and for a machine alike: RFC 3339 (ISO 8601)
/// UTC with the raw value in parentheses, `2024-05-11T19:24:00Z (1715455440)`. The raw value
/// is the truth: outside the calendar's range the time is clamped, the raw value is not.
pub fn iso_with_raw(epoch: i64) -> String {
    format!("{} ({epoch})", rfc3339(epoch))
}

/// A civil time with no zone (a zip's DOS date and time), ISO 8601 without an offset
/// (`2020-01-01T00:00:00`); `None` when it is not a time of the calendar.
pub fn civil(year: i16, month: i8, day: i8, hour: i8, minute: i8, second: i8) -> Option<String> {
    DateTime::new(year, month, day, hour, minute, second, 0)
        .ok()
        .map(|dt| dt.strftime("%Y-%m-%dT%H:%M:%S").to_string())
}

/// (year, month, day, hour, minute, second) in UTC of seconds since the Unix epoch, clamped to
/// the range of the calendar.
pub fn utc_fields(epoch: i64) -> (i16, i8, i8, i8, i8, i8) {
    let ts = Timestamp::from_second(epoch).unwrap_or(if epoch < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    });
    let dt = ts.to_zoned(TimeZone::UTC).datetime();
    (
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
    )
}

/// Seconds since the Unix epoch of a UTC civil time, `None` when it is not one (month 13,
/// February 30, hour 24).
pub fn epoch_of(year: i16, month: i8, day: i8, hour: i8, minute: i8, second: i8) -> Option<i64> {
    let dt = DateTime::new(year, month, day, hour, minute, second, 0).ok()?;
    dt.to_zoned(TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_the_calendar() {
        assert_eq!(parse_day("1970-01-01"), Ok(0));
        assert_eq!(parse_day("1969-12-31"), Ok(-1));
        assert_eq!(parse_day("2026-12-03"), Ok(20_790));
        for s in [
            "2024-02-29",
            "2000-02-29",
            "1600-03-01",
            "9999-12-31",
            "0001-01-01",
        ] {
            assert_eq!(format_day(parse_day(s).unwrap()), s);
        }
    }

    /// `--now 2026-02-31` used to be read as 2026-03-03.
    #[test]
    fn impossible_dates_are_errors_not_rolled_over() {
        for s in [
            "2026-02-31",
            "2026-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "2026-1-01",
            "20260101",
            "+02026-01-01",
            "2026-01-01T00:00:00Z",
            "yesterday",
            "",
        ] {
            assert_eq!(parse_day(s), Err(DateError::NotADate), "{s}");
        }
    }

    #[test]
    fn advisory_times_are_read_in_utc() {
        let day = |s| format_day(parse_time_day(s).unwrap());
        assert_eq!(day("2026-12-03T10:00:00Z"), "2026-12-03");
        assert_eq!(day("2026-12-03T23:30:00-02:00"), "2026-12-04");
        assert_eq!(day("2021-06-15T22:18:39.123456Z"), "2021-06-15");
        assert_eq!(day("2026-12-03T10:00:00"), "2026-12-03");
        assert_eq!(day("2026-12-03"), "2026-12-03");
        assert!(parse_time_day("2026-02-30T00:00:00Z").is_err());
        assert!(parse_time_day("yesterday").is_err());
    }

    #[test]
    fn weekdays_start_on_monday() {
        // 2026-11-27 is a Friday, 1970-01-01 a Thursday.
        assert_eq!(weekday(parse_day("2026-11-27").unwrap()), 4);
        assert_eq!(weekday(0), 3);
        assert_eq!(weekday(-4), 6);
    }

    #[test]
    fn epochs_and_timestamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(parse_epoch(" 1700000000\n"), Ok(1_700_000_000));
        assert_eq!(parse_epoch("-1"), Ok(-1));
        for bad in ["", "1.5", "abc", "99999999999999", "1e9"] {
            assert_eq!(parse_epoch(bad), Err(DateError::NotAnEpoch), "{bad}");
        }
        assert_eq!(utc_fields(1_700_000_000), (2023, 11, 14, 22, 13, 20));
        assert_eq!(epoch_of(2023, 11, 14, 22, 13, 20), Some(1_700_000_000));
        assert_eq!(epoch_of(2023, 2, 29, 0, 0, 0), None);
        assert_eq!(epoch_of(2023, 1, 1, 24, 0, 0), None);
        assert_eq!(
            iso_with_raw(1_715_455_440),
            "2024-05-11T19:24:00Z (1715455440)"
        );
        assert_eq!(
            civil(2020, 1, 1, 0, 0, 0).as_deref(),
            Some("2020-01-01T00:00:00")
        );
        assert_eq!(civil(2020, 2, 30, 0, 0, 0), None);
    }
}
