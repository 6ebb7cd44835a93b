//! Payload size limits, measured as the compact JSON text AWS would store.

use serde_json::Value;

/// Whether `v` serialises to more than `max` bytes. Documents far below the limit
/// (the common case) are cleared by a cheap upper bound without serialising.
pub fn exceeds(v: &Value, max: usize) -> bool {
    if upper_bound(v, max) <= max {
        return false;
    }
    serialises_over(v, max)
}

/// An upper bound of the compact JSON size (the one templates compute as they
/// evaluate, so that bounds from both add up).
pub(crate) fn upper_bound(v: &Value, max: usize) -> usize {
    expr::template::size_bound(v, max)
}

pub(crate) fn serialises_over(v: &Value, max: usize) -> bool {
    struct Counter {
        n: usize,
        max: usize,
    }
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.n += buf.len();
            if self.n > self.max {
                return Err(std::io::Error::other("limit"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Counter { n: 0, max };
    serde_json::to_writer(&mut c, v).is_err()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bound_is_never_below_the_text() {
        let docs = [
            serde_json::json!(null),
            serde_json::json!("\u{1}\"\\é"),
            serde_json::json!([1, -2.5e300, true, [], {}, [[["x"]]]]),
            serde_json::json!({"k\n": {"a": [null, {"b": "c"}]}, "": 12345678901234567890u64}),
        ];
        for doc in docs {
            let text = serde_json::to_string(&doc).expect("json");
            assert!(super::upper_bound(&doc, usize::MAX) >= text.len(), "{text}");
            assert!(!super::exceeds(&doc, text.len()));
            assert!(super::exceeds(&doc, text.len() - 1));
        }
    }

    #[test]
    fn counts_bytes() {
        let v = serde_json::json!({"a": "xxxx"});
        assert!(!super::exceeds(&v, 12));
        assert!(super::exceeds(&v, 11));
    }
}
