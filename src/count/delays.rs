//! Delivery delays in a fixed log-scale histogram: mergeable and of constant size.
//!
//! Apart from the summary that holds it because it is a self-contained number type with
//! no knowledge of lines or messages.

/// Delivery delays, in a fixed log-scale histogram: mergeable and of constant size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelayHistogram {
    /// Deliveries per bucket; bucket `i > 0` holds delays up to `1.3^i` ms, bucket 0 holds 0 ms.
    pub buckets: [u64; DELAY_BUCKETS],
    /// Deliveries with a delay.
    pub count: u64,
    /// Sum of the delays, in ms.
    pub sum_ms: u64,
    /// The longest delay, in ms.
    pub max_ms: u64,
}

/// Buckets of [`DelayHistogram`]: 1.3^95 ms is over two years.
pub const DELAY_BUCKETS: usize = 96;

impl Default for DelayHistogram {
    fn default() -> Self {
        DelayHistogram {
            buckets: [0; DELAY_BUCKETS],
            count: 0,
            sum_ms: 0,
            max_ms: 0,
        }
    }
}

impl DelayHistogram {
    /// The bucket of a delay.
    pub fn bucket(ms: u64) -> usize {
        if ms == 0 {
            return 0;
        }
        let i = ((ms as f64).ln() / 1.3f64.ln()).ceil() as usize;
        i.clamp(1, DELAY_BUCKETS - 1)
    }

    /// The upper bound of a bucket, in ms.
    pub fn upper_ms(bucket: usize) -> u64 {
        if bucket == 0 {
            0
        } else {
            1.3f64.powi(bucket as i32).round() as u64
        }
    }

    /// Count one delay.
    pub fn record(&mut self, ms: u64) {
        self.buckets[Self::bucket(ms)] += 1;
        self.count += 1;
        self.sum_ms = self.sum_ms.saturating_add(ms);
        self.max_ms = self.max_ms.max(ms);
    }

    /// Add another histogram.
    pub fn add(&mut self, other: &DelayHistogram) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets.iter()) {
            *a += b;
        }
        self.count += other.count;
        self.sum_ms = self.sum_ms.saturating_add(other.sum_ms);
        self.max_ms = self.max_ms.max(other.max_ms);
    }

    /// The delay below which `percent` of deliveries fall, as a bucket bound (within 30%;
    /// never above the largest delay seen).
    pub fn percentile_ms(&self, percent: u64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = (self.count * percent).div_ceil(100).max(1);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(Self::upper_ms(i).min(self.max_ms));
            }
        }
        Some(self.max_ms)
    }
}
