//! Deterministic numbers for `$random` and `$uuid`: every value comes from a seed the caller
//! recorded, never from the machine.

use std::sync::atomic::{AtomicU64, Ordering};

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// A SplitMix64 stream: tiny, fast, and good enough for values that only have to look random.
/// Shared by the functions of one evaluation, which draw from it in evaluation order; the
/// atomic only satisfies `Send + Sync`, one evaluation runs on one thread.
#[derive(Debug)]
pub(crate) struct Stream {
    state: AtomicU64,
}

impl Stream {
    pub(crate) fn new(seed: u64) -> Self {
        Stream {
            state: AtomicU64::new(seed),
        }
    }

    pub(crate) fn next_u64(&self) -> u64 {
        let mut z = self
            .state
            .fetch_add(GAMMA, Ordering::Relaxed)
            .wrapping_add(GAMMA);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in [0, 1) with 53 random bits.
    pub(crate) fn next_f64(&self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A version 4, variant 1 UUID in its lowercase hyphenated form.
    pub(crate) fn uuid_v4(&self) -> String {
        let hi = (self.next_u64() & !0xF000) | 0x4000;
        let lo = (self.next_u64() & !(0b11 << 62)) | (0b10 << 62);
        format_uuid(hi, lo)
    }
}

/// A UUID's 128 bits (`hi`, `lo`) in the lowercase hyphenated form.
pub fn format_uuid(hi: u64, lo: u64) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

/// The first `nextDouble()` of `java.util.Random` seeded with `seed`: the same seed always
/// gives the same number, as `$random(seed)` promises. (Step Functions runs on the JVM; whether
/// it uses this generator is not recorded, so the exact values are ours.)
pub(crate) fn seeded_f64(seed: i64) -> f64 {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;
    let mut state = (seed as u64 ^ MULTIPLIER) & MASK;
    let mut next = |bits: u32| {
        state = state.wrapping_mul(MULTIPLIER).wrapping_add(0xB) & MASK;
        state >> (48 - bits)
    };
    let high = next(26);
    let low = next(27);
    ((high << 27) + low) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_random_first_double() {
        // new java.util.Random(42).nextDouble()
        assert_eq!(seeded_f64(42), 0.7275636800328681);
        // new java.util.Random(0).nextDouble()
        assert_eq!(seeded_f64(0), 0.730967787376657);
    }

    #[test]
    fn uuid_shape() {
        let s = Stream::new(7);
        let u = s.uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        assert_ne!(u, s.uuid_v4());
        assert_eq!(Stream::new(7).uuid_v4(), u);
    }

    #[test]
    fn unit_interval() {
        let s = Stream::new(1);
        for _ in 0..1000 {
            let x = s.next_f64();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
