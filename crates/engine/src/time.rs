//! Instants as the engine sees them: milliseconds since the Unix epoch, supplied by
//! the caller (the engine never reads a clock).

use jiff::Timestamp;

/// `2024-01-01T00:00:00.000Z`, the form AWS prints in the context object and history.
pub fn format_timestamp(millis: i64) -> String {
    match Timestamp::from_millisecond(millis) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => "1970-01-01T00:00:00.000Z".to_string(),
    }
}

/// Parses an ASL timestamp: RFC 3339 with an uppercase `T` and a zone (`Z` or an
/// offset), which is stricter than what the date crates accept.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes.get(10) != Some(&b'T') {
        return None;
    }
    if text.ends_with('z') || text.contains('t') {
        return None;
    }
    let ts: Timestamp = text.parse().ok()?;
    Some(ts.as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds() {
        assert_eq!(
            format_timestamp(1_700_000_000_123),
            "2023-11-14T22:13:20.123Z"
        );
    }

    #[test]
    fn parses_strict_rfc3339() {
        assert_eq!(
            parse_timestamp("2016-03-14T01:59:00Z"),
            Some(1_457_920_740_000)
        );
        assert!(parse_timestamp("2016-03-14T01:59:00+01:00").is_some());
        assert_eq!(parse_timestamp("2016-03-14t01:59:00z"), None);
        assert_eq!(parse_timestamp("2016-03-14 01:59:00Z"), None);
        assert_eq!(parse_timestamp("2016-12-05T25:29:29Z"), None);
        assert_eq!(parse_timestamp("2016-03-14T01:59:00"), None);
    }
}
