//! Input sources and the reader that turns lines into articles or error records.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::Deserialize;
use tokio::sync::mpsc;

use crate::error::BatchError;
use crate::line_reader::{read_bounded_line, Line};
use crate::parquet_input;
use crate::record::{ArticleRecord, ErrorKind, ErrorRecord, RecordPosition, Target};

/// Where the articles come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSource {
    /// One JSONL file, or Parquet when its name ends in `.parquet`.
    File(PathBuf),
    /// Every `*.jsonl` and `*.parquet` file directly inside the directory, in name order.
    Directory(PathBuf),
    /// JSONL on standard input.
    Stdin,
}

impl InputSource {
    /// `-` means stdin, a directory means its `*.jsonl` and `*.parquet` files, anything else one file.
    pub fn from_path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        if path.as_os_str() == "-" {
            Self::Stdin
        } else if path.is_dir() {
            Self::Directory(path)
        } else {
            Self::File(path)
        }
    }

    /// The concrete inputs, in reading order; their index is [`RecordPosition::file`].
    pub(crate) fn resolve(&self) -> Result<Vec<InputFile>, BatchError> {
        match self {
            Self::Stdin => Ok(vec![InputFile::Stdin]),
            Self::File(path) => Ok(vec![InputFile::Path(path.clone())]),
            Self::Directory(dir) => {
                let entries =
                    std::fs::read_dir(dir).map_err(|err| BatchError::io("listing", dir, err))?;
                let mut files = Vec::new();
                for entry in entries {
                    let path = entry
                        .map_err(|err| BatchError::io("listing", dir, err))?
                        .path();
                    if path.is_file()
                        && path
                            .extension()
                            .is_some_and(|ext| ext == "jsonl" || ext == "parquet")
                    {
                        files.push(path);
                    }
                }
                if files.is_empty() {
                    return Err(BatchError::InvalidConfig(format!(
                        "no *.jsonl or *.parquet files in {}",
                        dir.display()
                    )));
                }
                files.sort();
                Ok(files.into_iter().map(InputFile::Path).collect())
            }
        }
    }
}

/// One concrete input stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InputFile {
    Stdin,
    Path(PathBuf),
}

impl InputFile {
    /// Name written to errors and the checkpoint.
    pub(crate) fn name(&self) -> String {
        match self {
            Self::Stdin => "-".to_owned(),
            Self::Path(path) => path.display().to_string(),
        }
    }

    fn open(&self) -> Result<Box<dyn BufRead>, BatchError> {
        match self {
            Self::Stdin => Ok(Box::new(BufReader::new(io::stdin()))),
            Self::Path(path) => {
                let file = File::open(path).map_err(|err| BatchError::io("opening", path, err))?;
                Ok(Box::new(BufReader::with_capacity(1 << 16, file)))
            }
        }
    }

    fn path(&self) -> &Path {
        match self {
            Self::Stdin => Path::new("-"),
            Self::Path(path) => path,
        }
    }

    fn is_parquet(&self) -> bool {
        matches!(self, Self::Path(path) if path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("parquet")))
    }
}

/// What the reader hands to the job for each non-blank line that still needs doing.
#[derive(Debug)]
pub(crate) enum InputItem {
    Article(RecordPosition, ArticleRecord),
    Bad(RecordPosition, ErrorRecord),
}

/// Shape of one input line or Parquet row; unknown fields are ignored.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RawRecord {
    pub(crate) id: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) lang: Option<String>,
    pub(crate) targets: Option<Vec<Target>>,
}

/// Reads every input line in order, validates it, and sends those not yet done.
#[derive(Debug)]
pub(crate) struct InputReader {
    pub(crate) files: Vec<InputFile>,
    pub(crate) max_text_bytes: usize,
    pub(crate) default_targets: Vec<Target>,
    /// Positions finished by an earlier run: read (their ids still count for duplicates) but not sent.
    pub(crate) done: HashSet<RecordPosition>,
    /// Bytes of input consumed so far, for the progress bar.
    pub(crate) bytes_read: Arc<AtomicU64>,
}

impl InputReader {
    /// Runs on a blocking thread until the input ends or the job stops listening.
    pub(crate) fn run(self, sink: mpsc::Sender<InputItem>) -> Result<(), BatchError> {
        // Escapes can make the JSON line several times longer than the text it carries.
        let max_line_bytes = self
            .max_text_bytes
            .saturating_mul(6)
            .saturating_add(1 << 20);
        // First position of each id seen, so later duplicates are rejected the same way on every run.
        let mut seen_ids: HashMap<String, RecordPosition> = HashMap::new();
        let mut buf = Vec::new();
        for (index, file) in self.files.iter().enumerate() {
            let file_index = u32::try_from(index)
                .map_err(|_| BatchError::InvalidConfig("more than 2^32 input files".to_owned()))?;
            // Sends an item unless an earlier run finished it; breaks once the job stops listening.
            let send = |position: RecordPosition, item: InputItem| {
                if self.done.contains(&position) || sink.blocking_send(item).is_ok() {
                    ControlFlow::Continue(())
                } else {
                    // The job stopped (fatal analyser error); nothing more to read.
                    ControlFlow::Break(())
                }
            };
            if file.is_parquet() {
                let mut stopped = false;
                parquet_input::read_rows(file.path(), |row_number, row, bytes| {
                    self.bytes_read.fetch_add(bytes, Ordering::Relaxed);
                    let position = RecordPosition {
                        file: file_index,
                        line: row_number,
                    };
                    let item = match row {
                        Ok(raw) => self.check(file, position, raw, &mut seen_ids),
                        Err(reason) => {
                            self.bad(file, position, None, ErrorKind::InvalidJson, reason)
                        }
                    };
                    let flow = send(position, item);
                    stopped = flow.is_break();
                    flow
                })?;
                if stopped {
                    return Ok(());
                }
                continue;
            }
            let mut reader = file.open()?;
            let mut line_number = 0u64;
            loop {
                let line = read_bounded_line(&mut reader, &mut buf, max_line_bytes)
                    .map_err(|err| BatchError::io("reading", file.path(), err))?;
                line_number += 1;
                let position = RecordPosition {
                    file: file_index,
                    line: line_number,
                };
                let item = match line {
                    Line::End => break,
                    Line::TooLong => Some(self.bad(
                        file,
                        position,
                        None,
                        ErrorKind::TextTooLong,
                        format!("line longer than {max_line_bytes} bytes"),
                    )),
                    Line::Complete => {
                        self.bytes_read
                            .fetch_add(buf.len() as u64 + 1, Ordering::Relaxed);
                        if buf.iter().all(u8::is_ascii_whitespace) {
                            None
                        } else {
                            Some(self.parse(file, position, &buf, &mut seen_ids))
                        }
                    }
                };
                let Some(item) = item else { continue };
                if send(position, item).is_break() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn parse(
        &self,
        file: &InputFile,
        position: RecordPosition,
        line: &[u8],
        seen_ids: &mut HashMap<String, RecordPosition>,
    ) -> InputItem {
        match serde_json::from_slice(line) {
            Ok(raw) => self.check(file, position, raw, seen_ids),
            Err(err) => self.bad(
                file,
                position,
                None,
                ErrorKind::InvalidJson,
                err.to_string(),
            ),
        }
    }

    /// Validates one record (id, text, size, duplicates) and applies the default targets.
    fn check(
        &self,
        file: &InputFile,
        position: RecordPosition,
        raw: RawRecord,
        seen_ids: &mut HashMap<String, RecordPosition>,
    ) -> InputItem {
        let id = match raw.id {
            Some(id) if !id.trim().is_empty() => id,
            _ => {
                return self.bad(
                    file,
                    position,
                    None,
                    ErrorKind::MissingId,
                    "missing or empty \"id\"".to_owned(),
                )
            }
        };
        if let Some(first) = seen_ids.get(&id) {
            if *first != position {
                let reason = format!(
                    "id already used on line {} of input {}",
                    first.line, first.file
                );
                return self.bad(file, position, Some(id), ErrorKind::DuplicateId, reason);
            }
        } else {
            seen_ids.insert(id.clone(), position);
        }
        let text = match raw.text {
            Some(text) if !text.trim().is_empty() => text,
            _ => {
                let reason = "missing or empty \"text\"".to_owned();
                return self.bad(file, position, Some(id), ErrorKind::MissingText, reason);
            }
        };
        if text.len() > self.max_text_bytes {
            let reason = format!(
                "text is {} bytes, limit {}",
                text.len(),
                self.max_text_bytes
            );
            return self.bad(file, position, Some(id), ErrorKind::TextTooLong, reason);
        }
        let targets = match raw.targets {
            Some(targets) if !targets.is_empty() => targets,
            _ => self.default_targets.clone(),
        };
        InputItem::Article(
            position,
            ArticleRecord {
                id,
                text,
                lang: raw.lang,
                targets,
            },
        )
    }

    fn bad(
        &self,
        file: &InputFile,
        position: RecordPosition,
        id: Option<String>,
        kind: ErrorKind,
        reason: String,
    ) -> InputItem {
        let record = ErrorRecord {
            file: file.name(),
            line: position.line,
            id,
            kind,
            reason,
        };
        InputItem::Bad(position, record)
    }
}

/// Total size of the file inputs, when known, for the progress bar.
pub(crate) fn total_bytes(files: &[InputFile]) -> Option<u64> {
    files.iter().try_fold(0u64, |total, file| match file {
        InputFile::Stdin => None,
        InputFile::Path(path) => std::fs::metadata(path).ok().map(|meta| total + meta.len()),
    })
}
