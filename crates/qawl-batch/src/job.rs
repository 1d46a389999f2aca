//! The batch job: reader → bounded concurrent analysis → single durable writer.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::analyzer::{analyze_with_retry, Analysis, Analyzer, RetryPolicy};
use crate::checkpoint::{self, JobFiles};
use crate::error::BatchError;
use crate::flat::{FlatRow, RowFlattener};
use crate::format::OutputFormat;
use crate::input::{self, InputItem, InputReader, InputSource};
use crate::parquet_output;
use crate::progress::{per_second, Progress, ProgressMode};
use crate::record::{ErrorKind, ErrorRecord, RecordPosition, Target};
use crate::summary::Summary;
use crate::writer::{self, Finished, Offsets, PartPolicy, Payload};

/// Default article size limit, the server's `max_article_bytes`.
pub const DEFAULT_MAX_TEXT_BYTES: usize = 256 * 1024;

/// Everything a batch job needs besides the analyser.
#[derive(Debug, Clone)]
pub struct BatchConfig {
    /// Where articles come from.
    pub input: InputSource,
    /// The output file; its checkpoint is `OUTPUT.checkpoint`.
    pub output: PathBuf,
    /// What the output holds; [`BatchConfig::new`] picks Parquet for `*.parquet`, else JSONL.
    pub format: OutputFormat,
    /// Makes flat rows of a result; required by the flat formats.
    pub flattener: Option<Arc<dyn RowFlattener>>,
    /// Parquet: write a part file (and checkpoint) after this many rows ...
    pub part_rows: usize,
    /// ... or once the oldest unwritten row is this old, whichever comes first.
    pub part_interval: Duration,
    /// Errors JSONL; `None` means `OUTPUT` with `.errors.jsonl` in place of its extension.
    pub errors: Option<PathBuf>,
    /// Articles analysed at once; at least 1.
    pub concurrency: usize,
    /// Continue the job recorded in the checkpoint instead of starting over.
    pub resume: bool,
    /// Overwrite an existing output (ignored with `resume`).
    pub force: bool,
    /// Longest accepted `text`, in bytes.
    pub max_text_bytes: usize,
    /// Targets for records that name none.
    pub default_targets: Vec<Target>,
    /// Backoff for an overloaded analyser.
    pub retry: RetryPolicy,
    /// How progress is shown.
    pub progress: ProgressMode,
}

impl BatchConfig {
    /// A configuration with defaults: concurrency 4, no resume/force, 256 KiB texts, no default targets.
    pub fn new(input: InputSource, output: impl Into<PathBuf>) -> Self {
        let output = output.into();
        Self {
            input,
            format: OutputFormat::for_path(&output, false),
            output,
            flattener: None,
            part_rows: 10_000,
            part_interval: Duration::from_secs(30),
            errors: None,
            concurrency: 4,
            resume: false,
            force: false,
            max_text_bytes: DEFAULT_MAX_TEXT_BYTES,
            default_targets: Vec::new(),
            retry: RetryPolicy::default(),
            progress: ProgressMode::default(),
        }
    }

    /// The errors file this configuration writes.
    pub fn errors_path(&self) -> PathBuf {
        self.errors
            .clone()
            .unwrap_or_else(|| self.output.with_extension("errors.jsonl"))
    }

    /// The checkpoint file this configuration writes.
    pub fn checkpoint_path(&self) -> PathBuf {
        let mut name = self.output.as_os_str().to_owned();
        name.push(".checkpoint");
        PathBuf::from(name)
    }
}

/// A configured batch job; [`BatchJob::run`] does the work.
#[derive(Debug, Clone)]
pub struct BatchJob {
    config: BatchConfig,
}

impl BatchJob {
    /// Wraps a configuration; nothing is opened until [`BatchJob::run`].
    pub fn new(config: BatchConfig) -> Self {
        Self { config }
    }

    /// Runs the job to the end of the input, or until a fatal error (I/O, analyser unavailable through
    /// every retry). Whatever finished before a failure or a kill stays checkpointed for `resume`.
    pub async fn run<A: Analyzer>(self, analyzer: A) -> Result<Summary, BatchError> {
        let started = Instant::now();
        let config = self.config;
        if config.concurrency == 0 {
            return Err(BatchError::InvalidConfig(
                "concurrency must be at least 1".to_owned(),
            ));
        }
        if config.format.is_flat() && config.flattener.is_none() {
            return Err(BatchError::InvalidConfig(format!(
                "{} output needs a row flattener",
                config.format
            )));
        }
        let files = JobFiles {
            output: config.output.clone(),
            errors: config.errors_path(),
            checkpoint: config.checkpoint_path(),
            format: config.format,
            parts: parquet_output::parts_dir(&config.output),
        };
        if files.errors == files.output {
            return Err(BatchError::InvalidConfig(
                "the errors file must differ from the output".to_owned(),
            ));
        }
        let inputs = config.input.resolve()?;
        let input_names: Vec<String> = inputs.iter().map(input::InputFile::name).collect();
        let (open, recovered) = if config.resume {
            checkpoint::resume(&files, &input_names)?
        } else {
            (
                checkpoint::start_fresh(&files, &input_names, config.force)?,
                Default::default(),
            )
        };
        let skipped_resumed = recovered.done.len() as u64;
        let offsets = Offsets {
            output_bytes: recovered.output_bytes,
            errors_bytes: recovered.errors_bytes,
            output_parts: recovered.output_parts,
        };
        let already_merged = recovered.merged;
        if config.resume {
            tracing::info!(skipped = skipped_resumed, output = %files.output.display(), "resuming batch job");
        }

        let bytes_read = Arc::new(AtomicU64::new(0));
        let progress = Progress::new(
            config.progress,
            input::total_bytes(&inputs),
            bytes_read.clone(),
            skipped_resumed,
        );
        let reader = InputReader {
            files: inputs,
            max_text_bytes: config.max_text_bytes,
            default_targets: config.default_targets.clone(),
            done: recovered.done,
            bytes_read,
        };
        let (item_tx, item_rx) = mpsc::channel(config.concurrency * 2);
        let (finished_tx, finished_rx) = mpsc::channel(config.concurrency * 4 + 64);
        let reader_task = tokio::task::spawn_blocking(move || reader.run(item_tx));
        let writer_files = files.clone();
        let policy = PartPolicy {
            rows: config.part_rows.max(1),
            interval: config.part_interval,
        };
        let writer_task = tokio::task::spawn_blocking(move || {
            writer::write_all(open, &writer_files, offsets, policy, finished_rx, progress)
        });

        let dispatched = dispatch(
            Arc::new(analyzer),
            &config,
            input_names,
            item_rx,
            finished_tx,
        )
        .await;
        // The writer ends once every sender is gone; its error explains a dispatch that stopped early.
        let end = writer_task.await.map_err(BatchError::Worker)??;
        dispatched?;
        reader_task.await.map_err(BatchError::Worker)??;
        let written = end.written;
        if files.format == OutputFormat::Parquet && (end.wrote_parts || !already_merged) {
            finish_parquet(&files, end).await?;
        }

        let wall_time = started.elapsed();
        Ok(Summary {
            articles: written.articles,
            claims: written.claims,
            errors: written.errors,
            skipped_resumed,
            wall_time,
            articles_per_second: per_second(written.articles, wall_time),
        })
    }
}

/// Merges the parts into the output, then checkpoints that (so a resume leaves the file alone).
async fn finish_parquet(files: &JobFiles, end: writer::WriterEnd) -> Result<(), BatchError> {
    let files = files.clone();
    tokio::task::spawn_blocking(move || {
        let mut checkpoint = end.files.checkpoint;
        parquet_output::merge_parts(&files.parts, end.offsets.output_parts, &files.output)?;
        writer::commit(&mut checkpoint, &files, &end.offsets, Vec::new(), true)?;
        parquet_output::remove_parts(&files.parts)
    })
    .await
    .map_err(BatchError::Worker)?
}

/// Sends each input item to the analyser (at most `concurrency` at once) and its result to the writer.
async fn dispatch<A: Analyzer>(
    analyzer: Arc<A>,
    config: &BatchConfig,
    input_names: Vec<String>,
    mut items: mpsc::Receiver<InputItem>,
    finished: mpsc::Sender<Finished>,
) -> Result<(), BatchError> {
    let permits = Arc::new(Semaphore::new(config.concurrency));
    let mut tasks: JoinSet<Result<(), BatchError>> = JoinSet::new();
    let mut outcome = Ok(());
    while let Some(item) = items.recv().await {
        if finished.is_closed() {
            // The writer failed; analysing more would only waste work. Its error is reported.
            break;
        }
        while let Some(done) = tasks.try_join_next() {
            outcome = outcome.and(done.map_err(BatchError::Worker).and_then(|result| result));
        }
        if outcome.is_err() {
            break;
        }
        match item {
            InputItem::Bad(position, record) => {
                if finished
                    .send(Finished::Error { position, record })
                    .await
                    .is_err()
                {
                    break;
                }
            }
            InputItem::Article(position, record) => {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let analyzer = analyzer.clone();
                let finished = finished.clone();
                let retry = config.retry;
                let shape = Shape {
                    format: config.format,
                    flattener: config.flattener.clone(),
                };
                let file = input_names
                    .get(position.file as usize)
                    .cloned()
                    .unwrap_or_default();
                tasks.spawn(async move {
                    let _permit = permit;
                    let id = record.id.clone();
                    let item = match analyze_with_retry(&*analyzer, record, retry).await {
                        Analysis::Done(value) => shape.finish(position, &id, value, &file),
                        Analysis::Failed(err) => Ok(failure(position, &file, id, describe(&err))),
                        Analysis::GaveUp { attempts, last } => {
                            return Err(BatchError::AnalyzerUnavailable {
                                attempts,
                                source: last,
                            })
                        }
                    };
                    // A closed writer has failed; its own error is reported.
                    let _ = finished.send(item?).await;
                    Ok(())
                });
            }
        }
    }
    // Stop the reader early on failure; let in-flight records finish and be written.
    drop(items);
    while let Some(done) = tasks.join_next().await {
        outcome = outcome.and(done.map_err(BatchError::Worker).and_then(|result| result));
    }
    outcome
}

/// How a result becomes output: the format and, for flat formats, the flattener.
struct Shape {
    format: OutputFormat,
    flattener: Option<Arc<dyn RowFlattener>>,
}

impl Shape {
    /// The article's output in this format, or an error record when the result cannot be shaped.
    fn finish(
        &self,
        position: RecordPosition,
        id: &str,
        value: serde_json::Value,
        file: &str,
    ) -> Result<Finished, BatchError> {
        let serde_json::Value::Object(mut fields) = value else {
            return Ok(failure(
                position,
                file,
                id.to_owned(),
                "analyser returned a non-object result".to_owned(),
            ));
        };
        fields.remove("id");
        let claims = fields
            .get("claims")
            .and_then(serde_json::Value::as_array)
            .map_or(0, |claims| claims.len() as u64);
        let payload = match (self.format, &self.flattener) {
            (OutputFormat::Jsonl, _) => Payload::Lines(output_line(id, &fields)?),
            (format, Some(flattener)) => {
                let value = serde_json::Value::Object(fields);
                let mut rows = match flattener.rows(id, &value) {
                    Ok(rows) => rows,
                    Err(reason) => {
                        let reason = format!("cannot flatten the result: {reason}");
                        return Ok(failure(position, file, id.to_owned(), reason));
                    }
                };
                if rows.is_empty() {
                    rows.push(FlatRow::article_only(id));
                }
                if format == OutputFormat::Parquet {
                    Payload::Rows(rows)
                } else {
                    Payload::Lines(flat_lines(&rows)?)
                }
            }
            (format, None) => {
                return Err(BatchError::InvalidConfig(format!(
                    "{format} output needs a row flattener"
                )))
            }
        };
        Ok(Finished::Output {
            position,
            payload,
            claims,
        })
    }
}

/// One JSON line per row, joined by newlines (the writer adds the last one).
fn flat_lines(rows: &[FlatRow]) -> Result<Vec<u8>, BatchError> {
    let mut lines = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        if index > 0 {
            lines.push(b'\n');
        }
        serde_json::to_writer(&mut lines, row).map_err(BatchError::Encode)?;
    }
    Ok(lines)
}

/// `{"id": …, …fields of the analyser's object…}`.
fn output_line(
    id: &str,
    fields: &serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<u8>, BatchError> {
    let mut line = b"{\"id\":".to_vec();
    serde_json::to_writer(&mut line, id).map_err(BatchError::Encode)?;
    let rest = serde_json::to_vec(fields).map_err(BatchError::Encode)?;
    // `rest` is `{...}`; splice its members after the id.
    if rest.len() > 2 {
        line.push(b',');
        line.extend_from_slice(&rest[1..]);
    } else {
        line.push(b'}');
    }
    Ok(line)
}

fn failure(position: RecordPosition, file: &str, id: String, reason: String) -> Finished {
    let record = ErrorRecord {
        file: file.to_owned(),
        line: position.line,
        id: Some(id),
        kind: ErrorKind::AnalysisFailed,
        reason,
    };
    Finished::Error { position, record }
}

/// The error and its causes on one line, for the errors file.
fn describe(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}
