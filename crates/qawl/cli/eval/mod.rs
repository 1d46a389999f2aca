//! `qawl eval stance|claims|ner --input F.jsonl [--predictions OUT] [--json]`: run a head over a
//! labelled file and report the metrics the head manifests record, computed the same way.

mod records;
mod report;

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use qawl_core::StanceLabel;
use qawl_core::{ClaimScorer, PipelineError, Span, StanceScorer};
use qawl_heads::evaluation::{entity_scores, roc_auc, ClassificationReport};
use qawl_heads::HeadsRuntime;
use serde_json::json;

use super::args::PipelineArgs;
use super::CliError;

/// Inputs handed to the engine at a time (below its queue limit; one progress step each).
const CHUNK: usize = 256;

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(subcommand)]
    pub task: EvalTask,
}

#[derive(Debug, Subcommand)]
pub enum EvalTask {
    /// Stance: lines {"id", "premise", "hypothesis", "label": entails|contradicts|neutral}
    /// (agree/disagree/other and entailment/contradiction are read as those).
    Stance(EvalOptions),
    /// Claims: lines {"id", "text", "label": 0|1}.
    Claims(EvalOptions),
    /// Speaker tagger: lines {"id", "tokens": [...], "tags": [BIO ...]}.
    Ner(EvalOptions),
}

#[derive(Debug, Args)]
pub struct EvalOptions {
    /// The labelled file (JSONL). Use dev or test splits the heads were not trained on.
    #[arg(long)]
    pub input: PathBuf,
    /// Write one JSON line of predictions per input, in input order.
    #[arg(long)]
    pub predictions: Option<PathBuf>,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

pub async fn run(args: EvalArgs) -> Result<(), CliError> {
    let (options, kind) = match &args.task {
        EvalTask::Stance(o) => (o, "stance"),
        EvalTask::Claims(o) => (o, "claims"),
        EvalTask::Ner(o) => (o, "ner"),
    };
    if options.pipeline.rules_only {
        return Err(CliError::Usage(
            "eval needs the models; drop --rules-only".into(),
        ));
    }
    // Read (and validate) the input before spending seconds on loading the model.
    let input = match kind {
        "stance" => Input::Stance(records::read_stance(&options.input)?),
        "claims" => Input::Claims(records::read_claims(&options.input)?),
        _ => Input::Ner(records::read_ner(&options.input)?),
    };
    let loaded = super::pipeline::load(&options.pipeline).await?;
    let runtime = loaded
        .heads
        .context("the heads did not load")
        .map_err(CliError::Runtime)?;
    let (report, predictions) = match input {
        Input::Stance(records) => eval_stance(&runtime, &records).await?,
        Input::Claims(records) => eval_claims(&runtime, &records).await?,
        Input::Ner(records) => eval_ner(&runtime, &records).await?,
    };
    if let Some(path) = &options.predictions {
        write_lines(path, &predictions)?;
    }
    if options.json {
        let text = serde_json::to_string_pretty(&report).context("rendering JSON")?;
        println!("{text}");
    } else {
        print!("{}", report::text(kind, &options.input, &report));
    }
    Ok(())
}

enum Input {
    Stance(Vec<records::StanceRecord>),
    Claims(Vec<records::ClaimRecord>),
    Ner(Vec<records::NerRecord>),
}

fn progress(total: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} {per_sec} eta {eta} {wide_bar}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn runtime_error(error: qawl_core::PipelineError) -> CliError {
    CliError::Runtime(anyhow::Error::new(error))
}

/// `score` over the records a chunk at a time (one progress step per chunk), results in order.
async fn in_chunks<R, T, F, Fut>(records: &[R], mut score: F) -> Result<Vec<T>, CliError>
where
    F: FnMut(&[R]) -> Fut,
    Fut: Future<Output = Result<Vec<T>, PipelineError>>,
{
    let bar = progress(records.len());
    let mut results = Vec::with_capacity(records.len());
    for chunk in records.chunks(CHUNK) {
        results.extend(score(chunk).await.map_err(runtime_error)?);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(results)
}

async fn eval_stance(
    runtime: &HeadsRuntime,
    records: &[records::StanceRecord],
) -> Result<(serde_json::Value, Vec<serde_json::Value>), CliError> {
    let scorer = runtime.stance_scorer().map_err(anyhow::Error::new)?;
    let probabilities = in_chunks(records, |chunk| {
        let pairs = chunk
            .iter()
            .map(|r| (r.premise.clone(), r.hypothesis.clone()))
            .collect();
        scorer.score(pairs)
    })
    .await?;
    let index = |label: StanceLabel| {
        StanceLabel::ALL
            .iter()
            .position(|&l| l == label)
            .unwrap_or(2)
    };
    let gold: Vec<usize> = records.iter().map(|r| index(r.label)).collect();
    let predicted: Vec<usize> = probabilities.iter().map(|p| index(p.label())).collect();
    let names = StanceLabel::ALL.map(StanceLabel::as_str);
    let report = ClassificationReport::new(&names, &gold, &predicted);
    let f1 = |name: &str| report.class(name).map_or(0.0, |s| s.f1);
    let mut value = serde_json::to_value(&report).context("report")?;
    value["macro_f1_entails_contradicts"] = json!((f1("entails") + f1("contradicts")) / 2.0);
    let predictions = records
        .iter()
        .zip(&probabilities)
        .map(|(r, p)| {
            json!({"id": r.id, "label": p.label().as_str(), "probabilities": {
                "entails": p.entails, "contradicts": p.contradicts, "neutral": p.neutral}})
        })
        .collect();
    Ok((value, predictions))
}

async fn eval_claims(
    runtime: &HeadsRuntime,
    records: &[records::ClaimRecord],
) -> Result<(serde_json::Value, Vec<serde_json::Value>), CliError> {
    let scorer = runtime.claim_scorer().map_err(anyhow::Error::new)?;
    let scores = in_chunks(records, |chunk| {
        scorer.score(chunk.iter().map(|r| r.text.clone()).collect())
    })
    .await?;
    let gold: Vec<bool> = records.iter().map(|r| r.label).collect();
    let report = ClassificationReport::new(
        &["0", "1"],
        &gold.iter().map(|&g| usize::from(g)).collect::<Vec<_>>(),
        &scores
            .iter()
            .map(|&p| usize::from(p >= 0.5))
            .collect::<Vec<_>>(),
    );
    let mut value = serde_json::to_value(&report).context("report")?;
    value["f1_claim"] = json!(report.class("1").map_or(0.0, |s| s.f1));
    value["roc_auc"] = json!(roc_auc(&gold, &scores));
    let predictions = records
        .iter()
        .zip(&scores)
        .map(|(r, &p)| json!({"id": r.id, "label": u8::from(p >= 0.5), "probability": p}))
        .collect();
    Ok((value, predictions))
}

async fn eval_ner(
    runtime: &HeadsRuntime,
    records: &[records::NerRecord],
) -> Result<(serde_json::Value, Vec<serde_json::Value>), CliError> {
    let tagger = &runtime.speaker_tagger().map_err(anyhow::Error::new)?;
    let tags = in_chunks(records, |chunk| {
        let (texts, words) = joined_words(chunk);
        async move {
            let borrowed: Vec<&str> = texts.iter().map(String::as_str).collect();
            tagger.tag_words(&borrowed, &words).await
        }
    })
    .await?;
    let predicted: Vec<Vec<String>> = tags
        .iter()
        .map(|tags| {
            tags.iter()
                .map(|t| {
                    tagger
                        .labels()
                        .get(t.label)
                        .cloned()
                        .unwrap_or_else(|| "O".into())
                })
                .collect()
        })
        .collect();
    let gold: Vec<Vec<&str>> = records
        .iter()
        .map(|r| r.tags.iter().map(String::as_str).collect())
        .collect();
    let guessed: Vec<Vec<&str>> = predicted
        .iter()
        .map(|tags| tags.iter().map(String::as_str).collect())
        .collect();
    let scores = entity_scores(&gold, &guessed);
    let value = json!({"examples": records.len(), "entities": scores});
    let predictions = records
        .iter()
        .zip(&predicted)
        .map(|(r, tags)| json!({"id": r.id, "tags": tags}))
        .collect();
    Ok((value, predictions))
}

/// Each record's words joined by single spaces, with each word's span in that text: the tagger
/// reads them back as the pre-split words they were.
fn joined_words(records: &[records::NerRecord]) -> (Vec<String>, Vec<Vec<Span>>) {
    records
        .iter()
        .map(|record| {
            let mut text = String::new();
            let mut spans = Vec::with_capacity(record.tokens.len());
            for token in &record.tokens {
                if !text.is_empty() {
                    text.push(' ');
                }
                spans.push(Span::new(text.len(), text.len() + token.len()));
                text.push_str(token);
            }
            (text, spans)
        })
        .unzip()
}

fn write_lines(path: &PathBuf, lines: &[serde_json::Value]) -> Result<(), CliError> {
    let fail =
        |e: std::io::Error| CliError::Usage(format!("{}: cannot write: {e}", path.display()));
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(fail)?);
    for line in lines {
        writeln!(out, "{line}").map_err(fail)?;
    }
    out.flush().map_err(fail)
}
