//! Encoder benchmark: pairs per second at several batch sizes on real news sentences (claim +
//! target, about 64 tokens each), cold-start time, and peak resident memory.

use std::fmt;
use std::time::{Duration, Instant};

use crate::device::{Precision, RuntimeOptions};
use crate::embed::TextEncoder;
use crate::error::{EncoderError, Result};
use crate::fetch::DefaultModelFiles;
use crate::forward::ForwardKind;
use crate::tokenize::{EncodedText, TextTokenizer};

/// News sentences in the service's languages; each is paired with a target below.
const SENTENCES: [&str; 12] = [
    "قال وزير الخارجية العماني يوم الثلاثاء إن الجولة المقبلة من المحادثات غير المباشرة بين واشنطن وطهران ستعقد في مسقط الأسبوع المقبل بمشاركة وفدين رفيعي المستوى.",
    "وأكد المتحدث باسم الحكومة أن الاتفاق الجديد سيخفض أسعار الوقود بنسبة عشرة في المئة اعتبارا من الشهر المقبل، لكن نقابات النقل شككت في هذه الأرقام.",
    "The foreign minister said on Tuesday that the next round of indirect talks between Washington and Tehran would be held in Muscat next week, with senior delegations from both sides.",
    "A government spokesman insisted the new agreement would cut fuel prices by ten percent from next month, although transport unions questioned the figures and threatened to strike.",
    "Le ministre des Affaires étrangères a déclaré mardi que le prochain cycle de pourparlers indirects entre Washington et Téhéran se tiendrait à Mascate la semaine prochaine.",
    "Selon des sources diplomatiques, les négociateurs européens ont proposé un calendrier en trois étapes, que la partie iranienne a jugé irréaliste lors de la dernière réunion.",
    "Der Außenminister sagte am Dienstag, die nächste Runde indirekter Gespräche zwischen Washington und Teheran werde kommende Woche in Maskat stattfinden.",
    "El portavoz del gobierno aseguró que el nuevo acuerdo reducirá el precio del combustible un diez por ciento a partir del próximo mes, aunque los sindicatos lo dudan.",
    "Министр иностранных дел заявил во вторник, что следующий раунд непрямых переговоров между Вашингтоном и Тегераном пройдет в Маскате на следующей неделе.",
    "Dışişleri Bakanı salı günü yaptığı açıklamada, Washington ile Tahran arasındaki dolaylı görüşmelerin bir sonraki turunun gelecek hafta Maskat'ta yapılacağını söyledi.",
    "وزیر امور خارجه روز سه‌شنبه گفت دور بعدی گفت‌وگوهای غیرمستقیم میان واشنگتن و تهران هفته آینده در مسقط برگزار خواهد شد.",
    "שר החוץ אמר ביום שלישי כי הסבב הבא של השיחות העקיפות בין וושינגטון לטהרן ייערך במוסקט בשבוע הבא.",
];

const TARGETS: [&str; 2] = [
    "According to the minister, the next round of talks between Washington and Tehran will take place in Muscat next week.",
    "The government says fuel prices will fall by ten percent next month, despite doubts raised by the transport unions.",
];

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchSettings {
    /// Device and precision.
    pub runtime: RuntimeOptions,
    /// Batch sizes to measure, in order.
    pub batch_sizes: Vec<usize>,
    /// Minimum measuring time per batch size (after one warm-up batch).
    pub min_time: Duration,
}

impl Default for BenchSettings {
    fn default() -> Self {
        Self {
            runtime: RuntimeOptions::default(),
            batch_sizes: vec![1, 8, 32],
            min_time: Duration::from_secs(3),
        }
    }
}

/// Throughput at one batch size.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRow {
    /// Pairs per forward pass.
    pub batch_size: usize,
    /// Pairs encoded per second (forward pass and pooling; tokenization excluded).
    pub pairs_per_second: f64,
    /// Mean wall time of one batch.
    pub batch_latency: Duration,
}

/// The benchmark's results; `Display` prints them as a table.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// Device and precision measured.
    pub runtime: RuntimeOptions,
    /// The implementation that ran (after falling back to candle where the fast one can't).
    pub forward: ForwardKind,
    /// Cold start: reading, dequantizing and building the model and tokenizer.
    pub load_time: Duration,
    /// Mean tokens per pair, special tokens included.
    pub mean_pair_tokens: f64,
    /// Tokenizer throughput, pairs per second (one thread).
    pub tokenize_pairs_per_second: f64,
    /// One row per batch size.
    pub rows: Vec<BenchRow>,
    /// Peak resident set size of this process (`VmHWM`), where the OS reports it; since this
    /// implementation's load where the OS lets the peak be reset (Linux).
    pub peak_rss_bytes: Option<u64>,
}

/// The benchmark's inputs: every sentence paired with every target, tokenized as stance pairs
/// are. `qawl bench --write-inputs` saves their ids so `bench/engines.py` runs other engines on
/// exactly the same tokens.
pub fn bench_pairs(tokenizer: &TextTokenizer) -> Result<Vec<EncodedText>> {
    SENTENCES
        .iter()
        .flat_map(|s| TARGETS.iter().map(move |t| (*s, *t)))
        .map(|(s, t)| tokenizer.encode_pair(s, t))
        .collect()
}

/// Loads e5-small from `files` in the implementation [`ForwardKind::from_env`] names, and
/// measures it.
pub fn run_benchmark(files: &DefaultModelFiles, settings: &BenchSettings) -> Result<BenchReport> {
    run_benchmark_with(files, settings, ForwardKind::from_env()?)
}

/// Loads e5-small from `files` in implementation `kind`, and measures it.
pub fn run_benchmark_with(
    files: &DefaultModelFiles,
    settings: &BenchSettings,
    kind: ForwardKind,
) -> Result<BenchReport> {
    if settings.batch_sizes.contains(&0) {
        return Err(EncoderError::InvalidInput(
            "batch sizes must be positive".into(),
        ));
    }
    reset_peak_rss();
    let started = Instant::now();
    let encoder =
        TextEncoder::load_e5_with(&files.encoder, &files.tokenizer, settings.runtime, kind)?;
    let load_time = started.elapsed();

    let started = Instant::now();
    let pairs = bench_pairs(encoder.tokenizer())?;
    let tokenize_pairs_per_second = pairs.len() as f64 / started.elapsed().as_secs_f64();
    let mean_pair_tokens =
        pairs.iter().map(EncodedText::len).sum::<usize>() as f64 / pairs.len() as f64;

    let rows = settings
        .batch_sizes
        .iter()
        .map(|&size| measure(&encoder, &pairs, size, settings.min_time))
        .collect::<Result<Vec<_>>>()?;
    Ok(BenchReport {
        runtime: settings.runtime,
        forward: kind.resolve(settings.runtime)?,
        load_time,
        mean_pair_tokens,
        tokenize_pairs_per_second,
        rows,
        peak_rss_bytes: peak_rss_bytes(),
    })
}

fn measure(
    encoder: &TextEncoder,
    pairs: &[EncodedText],
    size: usize,
    min_time: Duration,
) -> Result<BenchRow> {
    // Cycle through the corpus so every batch mixes languages and lengths.
    let batch_at = |round: usize| -> Vec<&EncodedText> {
        (0..size)
            .map(|i| &pairs[(round * size + i) % pairs.len()])
            .collect()
    };
    encoder.embed_encoded(&batch_at(0))?;
    let started = Instant::now();
    let mut rounds = 0;
    while rounds < 3 || started.elapsed() < min_time {
        encoder.embed_encoded(&batch_at(rounds + 1))?;
        rounds += 1;
    }
    let elapsed = started.elapsed();
    Ok(BenchRow {
        batch_size: size,
        pairs_per_second: (rounds * size) as f64 / elapsed.as_secs_f64(),
        batch_latency: elapsed / rounds as u32,
    })
}

/// Restarts the `VmHWM` count (Linux: `5` into `clear_refs`); elsewhere the peak stays
/// process-wide, which the report's wording covers.
pub fn reset_peak_rss() {
    // Best effort: a failure only widens the peak to the whole process.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// `VmHWM` from `/proc/self/status`, in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "encoder: multilingual-e5-small (E5S1 Q4_0 dequantized), {} on {}, {} forward, {} CPU tiles",
            self.runtime.precision,
            self.runtime.device,
            kind_name(self.forward),
            crate::cpu_kernel_name()
        )?;
        writeln!(
            f,
            "cold start (read + dequantize + build): {:.2} s",
            self.load_time.as_secs_f64()
        )?;
        writeln!(
            f,
            "pairs: {:.1} tokens on average; tokenizer {:.0} pairs/s",
            self.mean_pair_tokens, self.tokenize_pairs_per_second
        )?;
        writeln!(f, "| batch | pairs/s | ms/batch |")?;
        writeln!(f, "|------:|--------:|---------:|")?;
        for row in &self.rows {
            writeln!(
                f,
                "| {:>5} | {:>7.1} | {:>8.1} |",
                row.batch_size,
                row.pairs_per_second,
                row.batch_latency.as_secs_f64() * 1e3
            )?;
        }
        match self.peak_rss_bytes {
            Some(bytes) => write!(f, "peak RSS: {} MiB", bytes / (1 << 20)),
            None => write!(f, "peak RSS: not reported by this OS"),
        }
    }
}

fn kind_name(kind: ForwardKind) -> &'static str {
    match kind {
        ForwardKind::Fast => "fast",
        ForwardKind::Candle => "candle",
    }
}

/// Stock candle and the fast forward in f32 and int8, measured one after the other on the same
/// inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchComparison {
    /// candle-transformers' `BertModel`.
    pub candle: BenchReport,
    /// [`crate::FastBertForward`] in f32.
    pub fast: BenchReport,
    /// [`crate::FastBertForward`] with int8 projections ([`Precision::Int8`]).
    pub int8: BenchReport,
    /// Per batch size: the dense matmuls of all layers alone (same shapes as the fast
    /// forward's, through the same f32 kernel), per batch. The rest of the fast batch time is
    /// embeddings, attention, kernels and pooling.
    pub matmul_times: Vec<Duration>,
}

/// Measures candle's and the fast forward in f32, the fast one in int8 (each loaded, measured
/// and dropped in turn), then the fast forward's dense f32 matmuls alone.
pub fn compare_forwards(
    files: &DefaultModelFiles,
    settings: &BenchSettings,
) -> Result<BenchComparison> {
    let run = |precision, kind| {
        let runtime = RuntimeOptions {
            precision,
            ..settings.runtime
        };
        let settings = BenchSettings {
            runtime,
            ..settings.clone()
        };
        run_benchmark_with(files, &settings, kind)
    };
    let candle = run(Precision::F32, ForwardKind::Candle)?;
    let fast = run(Precision::F32, ForwardKind::Fast)?;
    let int8 = run(Precision::Int8, ForwardKind::Fast)?;
    let config = crate::e5s1::E5s1File::open(&files.encoder)?.bert_config();
    let matmul_times = settings
        .batch_sizes
        .iter()
        .map(|&size| {
            let tokens = (fast.mean_pair_tokens * size as f64).round() as usize;
            crate::fast::dense_matmul_time(
                tokens.max(1),
                (config.hidden_size, config.intermediate_size),
                config.num_hidden_layers,
                settings.min_time,
            )
        })
        .collect();
    Ok(BenchComparison {
        candle,
        fast,
        int8,
        matmul_times,
    })
}

impl fmt::Display for BenchComparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (candle, fast, int8) = (&self.candle, &self.fast, &self.int8);
        writeln!(
            f,
            "encoder: multilingual-e5-small (E5S1 Q4_0 dequantized) on {}: stock candle BertModel f32 vs {} forward f32 and int8",
            fast.runtime.device,
            kind_name(fast.forward)
        )?;
        writeln!(
            f,
            "pairs: {:.1} tokens on average; rayon threads: {}; CPU tiles: {}",
            fast.mean_pair_tokens,
            rayon::current_num_threads(),
            crate::cpu_kernel_name()
        )?;
        writeln!(
            f,
            "| batch | candle pairs/s | fast pairs/s | int8 pairs/s | fast/candle | int8/fast | fast ms/batch | int8 ms/batch | fast matmuls ms (share) |"
        )?;
        writeln!(
            f,
            "|------:|---------------:|-------------:|-------------:|------------:|----------:|--------------:|--------------:|------------------------:|"
        )?;
        let rows = candle.rows.iter().zip(&fast.rows).zip(&int8.rows);
        for (((c, q), i), matmuls) in rows.zip(&self.matmul_times) {
            let fast_ms = q.batch_latency.as_secs_f64() * 1e3;
            let matmul_ms = matmuls.as_secs_f64() * 1e3;
            writeln!(
                f,
                "| {:>5} | {:>14.1} | {:>12.1} | {:>12.1} | {:>10.2}x | {:>8.2}x | {:>13.1} | {:>13.1} | {:>13.1} ({:>3.0} %) |",
                c.batch_size,
                c.pairs_per_second,
                q.pairs_per_second,
                i.pairs_per_second,
                q.pairs_per_second / c.pairs_per_second,
                i.pairs_per_second / q.pairs_per_second,
                fast_ms,
                i.batch_latency.as_secs_f64() * 1e3,
                matmul_ms,
                100.0 * matmul_ms / fast_ms
            )?;
        }
        writeln!(
            f,
            "cold start (read + dequantize + build): candle {:.2} s, fast {:.2} s, int8 {:.2} s",
            candle.load_time.as_secs_f64(),
            fast.load_time.as_secs_f64(),
            int8.load_time.as_secs_f64()
        )?;
        let mib = |bytes: Option<u64>| {
            bytes.map_or("not reported".to_string(), |b| {
                format!("{} MiB", b / (1 << 20))
            })
        };
        write!(
            f,
            "peak RSS since each load: candle {}, fast {}, int8 {}",
            mib(candle.peak_rss_bytes),
            mib(fast.peak_rss_bytes),
            mib(int8.peak_rss_bytes)
        )?;
        Ok(())
    }
}
