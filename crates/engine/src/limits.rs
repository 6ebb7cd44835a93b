//! Payload size limits, measured as the compact JSON text AWS would store.

use serde_json::Value;

/// Whether `v` serialises to more than `max` bytes (stops counting once over).
pub fn exceeds(v: &Value, max: usize) -> bool {
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
