//! Progress reporting: a bar on a terminal, periodic log lines otherwise.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::writer::Written;

/// How the job reports progress while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal, log lines otherwise.
    #[default]
    Auto,
    /// Always the bar (on stderr).
    Bar,
    /// `tracing` info lines at this interval.
    Log(Duration),
    /// Nothing until the summary.
    Off,
}

/// Interval of log lines in [`ProgressMode::Auto`] off a terminal.
const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Live reporter owned by the writer thread.
#[derive(Debug)]
pub(crate) struct Progress {
    started: Instant,
    resumed: u64,
    bytes_read: Arc<AtomicU64>,
    total_bytes: Option<u64>,
    sink: Sink,
}

#[derive(Debug)]
enum Sink {
    Bar(ProgressBar),
    Log { interval: Duration, last: Instant },
    Off,
}

impl Progress {
    pub(crate) fn new(
        mode: ProgressMode,
        total_bytes: Option<u64>,
        bytes_read: Arc<AtomicU64>,
        resumed: u64,
    ) -> Self {
        let started = Instant::now();
        let mode = match mode {
            ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Bar,
            ProgressMode::Auto => ProgressMode::Log(LOG_INTERVAL),
            other => other,
        };
        let sink = match mode {
            ProgressMode::Bar => Sink::Bar(new_bar(total_bytes)),
            ProgressMode::Log(interval) => Sink::Log {
                interval,
                last: started,
            },
            ProgressMode::Auto | ProgressMode::Off => Sink::Off,
        };
        Self {
            started,
            resumed,
            bytes_read,
            total_bytes,
            sink,
        }
    }

    pub(crate) fn update(&mut self, written: Written) {
        let rate = per_second(written.articles, self.started.elapsed());
        match &mut self.sink {
            Sink::Bar(bar) => {
                bar.set_position(self.bytes_read.load(Ordering::Relaxed));
                bar.set_message(format!(
                    "{} articles ({rate:.1}/s), {} errors, {} resumed",
                    written.articles, written.errors, self.resumed
                ));
            }
            Sink::Log { interval, last } if last.elapsed() >= *interval => {
                *last = Instant::now();
                let read = self.bytes_read.load(Ordering::Relaxed);
                let percent = self
                    .total_bytes
                    .filter(|total| *total > 0)
                    .map(|total| 100.0 * read as f64 / total as f64);
                tracing::info!(
                    articles = written.articles,
                    errors = written.errors,
                    resumed = self.resumed,
                    articles_per_second = format!("{rate:.1}"),
                    input_percent = percent.map(|percent| format!("{percent:.1}")),
                    "batch progress"
                );
            }
            Sink::Log { .. } | Sink::Off => {}
        }
    }

    pub(crate) fn finish(&mut self, written: Written) {
        self.update(written);
        if let Sink::Bar(bar) = &self.sink {
            bar.finish();
        }
    }
}

fn new_bar(total_bytes: Option<u64>) -> ProgressBar {
    let bar = match total_bytes {
        Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
    };
    // Position counts input bytes (known in advance), so ETA works without pre-counting articles.
    let template = if total_bytes.is_some() {
        "{elapsed_precise} [{wide_bar}] {percent}% ETA {eta} | {msg}"
    } else {
        "{elapsed_precise} {spinner} {msg}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Articles per second, zero for an instant run.
pub(crate) fn per_second(count: u64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}
