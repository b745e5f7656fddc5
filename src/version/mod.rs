//! Versions per ecosystem: each module knows its registry's grammar and normal form.

pub mod document;
pub mod go;
pub mod npm;
pub mod pep440;
pub mod tags;

/// `YYYYMMDDHHMMSS` of a unix time, UTC; `None` outside the years 0000 to 9999.
pub fn format_timestamp(unix: i64) -> Option<String> {
    // By civil date arithmetic, not jiff::Timestamp: a Timestamp ends at 9999-12-30T22:00:00Z
    // (so that any offset stays in range), and the last hours of 9999 are valid UTC timestamps.
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let date = jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().try_days(days).ok()?)
        .ok()?;
    (0..=9999).contains(&date.year()).then(|| {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            date.year(),
            date.month(),
            date.day(),
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    })
}

/// The UTC date and time that 14 digits `YYYYMMDDHHMMSS` name, or why they name none (not 14
/// ASCII digits, or not a real date and time such as a 31st of April or a 24th hour).
pub fn parse_timestamp(digits: &str) -> Result<jiff::civil::DateTime, String> {
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{digits:?} is not 14 digits"));
    }
    // 14 ASCII digits: every field parses, and each fits its type.
    let field = |range: std::ops::Range<usize>| digits[range].parse::<i16>().unwrap_or(-1);
    jiff::civil::DateTime::new(
        field(0..4),
        field(4..6) as i8,
        field(6..8) as i8,
        field(8..10) as i8,
        field(10..12) as i8,
        field(12..14) as i8,
        0,
    )
    .map_err(|e| e.to_string())
}

/// Seconds since the epoch of `YYYYMMDDHHMMSS` (UTC), if it is a real date and time.
pub fn timestamp_unix(digits: &str) -> Option<i64> {
    let t = parse_timestamp(digits).ok()?;
    // Civil arithmetic, as in format_timestamp: the last hours of 9999 are past jiff's Timestamp.
    let days = i64::from(
        t.date()
            .since(jiff::civil::date(1970, 1, 1))
            .ok()?
            .get_days(),
    );
    Some(
        days * 86_400
            + i64::from(t.hour()) * 3600
            + i64::from(t.minute()) * 60
            + i64::from(t.second()),
    )
}

/// The current time as RFC 3339 in UTC (`2024-01-02T03:04:05.123Z`).
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_last_second_of_9999_round_trips() {
        let last = 253_402_300_799; // 9999-12-31T23:59:59Z
        assert_eq!(
            super::format_timestamp(last).as_deref(),
            Some("99991231235959")
        );
        assert_eq!(super::timestamp_unix("99991231235959"), Some(last));
        assert_eq!(super::timestamp_unix("19700101000000"), Some(0));
        assert_eq!(super::format_timestamp(last + 1), None);
    }

    use super::*;

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(format_timestamp(0).as_deref(), Some("19700101000000"));
        assert_eq!(
            format_timestamp(1_704_164_645).as_deref(),
            Some("20240102030405")
        );
        assert_eq!(timestamp_unix("20240102030405"), Some(1_704_164_645));
        // Years below 1000 are padded to four digits; negative years have no 14-digit form.
        assert_eq!(
            format_timestamp(-62_135_596_800).as_deref(),
            Some("00010101000000")
        );
        assert_eq!(format_timestamp(-62_198_755_200), None);
        assert_eq!(format_timestamp(i64::MAX), None);
    }

    #[test]
    fn rejects_what_is_not_a_real_time() {
        for bad in [
            "20240431000000",
            "20240230000000",
            "20230229000000",
            "20241301000000",
            "20240100000000",
            "20240101240000",
            "20240101006000",
            "20240101000060",
            "2024010100000",
            "202401010000000",
            "2024-1-1000000",
            "+2024010100000",
            "２0240101000000",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
            assert_eq!(timestamp_unix(bad), None, "{bad}");
        }
        assert!(parse_timestamp("20240229235959").is_ok());
    }
}
