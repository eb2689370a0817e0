//! The server clock. In emulation a test suite can move it forward (to expire a
//! deletion window, say) through `/_mlguard/clock`; otherwise it is the system clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time plus a settable offset.
#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: AtomicI64,
}

impl Clock {
    /// Seconds since the epoch, offset applied.
    pub fn now(&self) -> i64 {
        system_now().saturating_add(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Moves the clock by `secs` (emulation only).
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
    }

    /// The current offset.
    pub fn offset(&self) -> i64 {
        self.offset_secs.load(Ordering::Relaxed)
    }

    /// Back to the system clock.
    pub fn reset(&self) {
        self.offset_secs.store(0, Ordering::Relaxed);
    }
}

/// The system clock in seconds since the epoch.
pub fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `2026-11-26T10:00:00Z`.
pub fn iso8601(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => "1970-01-01T00:00:00Z".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_advances() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_795_687_200), "2026-11-26T10:00:00Z");
        let c = Clock::default();
        let before = c.now();
        c.advance(86_400);
        assert!(c.now() >= before + 86_400);
        c.reset();
        assert_eq!(c.offset(), 0);
    }
}
