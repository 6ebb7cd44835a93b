//! Retry intervals: `IntervalSeconds × BackoffRate^attempt`, capped by
//! `MaxDelaySeconds`, optionally jittered.

use asl::{JitterStrategy, Retrier};

use crate::random::SplitMix64;

/// The delay before retry number `attempt + 1` (attempt counts from 0), in ms.
pub fn delay_millis(retrier: &Retrier, attempt: u32, rng: &mut SplitMix64) -> i64 {
    let base = retrier.interval_seconds as f64 * retrier.backoff_rate.powi(attempt as i32);
    let capped = match retrier.max_delay_seconds {
        Some(max) => base.min(max as f64),
        None => base,
    };
    let seconds = match retrier.jitter_strategy {
        JitterStrategy::Full => capped * rng.next_f64(),
        JitterStrategy::None => capped,
    };
    (seconds * 1000.0).min(i64::MAX as f64 / 2.0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_and_caps() {
        let r = Retrier {
            interval_seconds: 2,
            backoff_rate: 3.0,
            max_delay_seconds: Some(10),
            ..Retrier::default()
        };
        let mut rng = SplitMix64::new(1);
        assert_eq!(delay_millis(&r, 0, &mut rng), 2000);
        assert_eq!(delay_millis(&r, 1, &mut rng), 6000);
        assert_eq!(delay_millis(&r, 2, &mut rng), 10000);
    }
}
