//! The wall clock for `stepwise run --clock real`: Wait states and retry
//! back-off really wait.

use engine::simulate::Clock;

/// Reads the system time and sleeps until each timer is due.
pub struct RealClock;

impl Clock for RealClock {
    fn now(&self) -> i64 {
        crate::io::now_millis()
    }

    fn sleep_until(&mut self, at: i64) {
        loop {
            let left = at.saturating_sub(self.now());
            if left <= 0 {
                return;
            }
            let ms = u64::try_from(left).unwrap_or(u64::MAX);
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }
}
