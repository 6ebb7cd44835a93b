//! The execution's deterministic random numbers: SplitMix64 seeded from the
//! recorded seed, so a replay draws the same sequence.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniformly distributed number in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A version-7 UUID: `unix_ms` in its first 48 bits (so later ones sort
    /// after earlier ones), then 74 random bits.
    pub fn uuid_v7(&mut self, unix_ms: i64) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let ms = (unix_ms.max(0) as u64) & 0xFFFF_FFFF_FFFF;
        let hi = (ms << 16) | 0x7000 | (hi & 0x0FFF);
        let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        expr::jsonata::format_uuid(hi, lo)
    }

    /// A version-4 UUID.
    pub fn uuid(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        expr::jsonata::format_uuid(hi, lo)
    }
}

impl expr::Entropy for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        SplitMix64::next_u64(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        assert_eq!(a.uuid(), b.uuid());
        let u = a.uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }

    #[test]
    fn v7_uuids_sort_by_time_and_keep_the_uuid_shape() {
        let mut rng = SplitMix64::new(9);
        let earlier = rng.uuid_v7(1_700_000_000_000);
        let later = rng.uuid_v7(1_700_000_000_001);
        assert!(earlier < later);
        for u in [&earlier, &later] {
            assert_eq!(u.len(), 36);
            assert_eq!(&u[14..15], "7", "{u}");
            assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        }
        assert!(earlier.starts_with("018bcfe5-6800-7"), "{earlier}");
        // The same seed and time give the same token (replay).
        assert_eq!(SplitMix64::new(9).uuid_v7(1_700_000_000_000), earlier);
    }
}
