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

/// An upper bound of the compact JSON size: six bytes per string byte covers
/// the longest escape (`\u00XX`).
fn upper_bound(v: &Value, max: usize) -> usize {
    match v {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 32,
        Value::String(s) => 2 + 6 * s.len(),
        Value::Array(a) => {
            let mut n = 2;
            for x in a {
                n += upper_bound(x, max) + 1;
                if n > max {
                    return n;
                }
            }
            n
        }
        Value::Object(m) => {
            let mut n = 2;
            for (k, x) in m {
                n += 6 * k.len() + 4 + upper_bound(x, max);
                if n > max {
                    return n;
                }
            }
            n
        }
    }
}

fn serialises_over(v: &Value, max: usize) -> bool {
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
    fn counts_bytes() {
        let v = serde_json::json!({"a": "xxxx"});
        assert!(!super::exceeds(&v, 12));
        assert!(super::exceeds(&v, 11));
    }
}
