//! The final account of a batch run.

use std::fmt;
use std::time::Duration;

/// What one run of a batch job did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Output lines written by this run.
    pub articles: u64,
    /// Sum of the `"claims"` array lengths in those lines.
    pub claims: u64,
    /// Error lines written by this run (bad input records and analysis failures).
    pub errors: u64,
    /// Records finished by an earlier run and skipped by this one (`--resume`).
    pub skipped_resumed: u64,
    /// Wall-clock time of this run.
    pub wall_time: Duration,
    /// `articles / wall_time`.
    pub articles_per_second: f64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} articles, {} claims, {} errors, {} skipped (already done) in {:.1}s ({:.1} articles/s)",
            self.articles,
            self.claims,
            self.errors,
            self.skipped_resumed,
            self.wall_time.as_secs_f64(),
            self.articles_per_second
        )
    }
}
