//! `qawl bench --matmul`: the dense projections' kernels alone — f32 and int8 — on the
//! four projection shapes of e5-small, in billions of multiply-adds per second. The encoder's
//! time is mostly these products, so this shows how close each kernel runs to the CPU's peak
//! and which shape holds it back.

use std::fmt;
use std::time::{Duration, Instant};

use super::f32_matmul::{self, F32Weight};
use super::int8::{self, Kernel, QuantizedRows, QuantizedWeight};
use super::test_values::values;

/// e5-small's projections: name, inputs, outputs.
const SHAPES: [(&str, usize, usize); 4] = [
    ("query+key+value", 384, 1152),
    ("attention output", 384, 384),
    ("intermediate", 384, 1536),
    ("output", 1536, 384),
];

/// One projection measured at one row count.
#[derive(Debug, Clone, PartialEq)]
pub struct MatmulRate {
    /// Which projection.
    pub name: &'static str,
    /// Token rows multiplied at once (batch × tokens).
    pub rows: usize,
    /// Input width.
    pub inputs: usize,
    /// Output width.
    pub outputs: usize,
    /// f32: billions of multiply-adds per second.
    pub f32_gmacs: f64,
    /// Int8 (with its activation quantization): billions of multiply-adds per second.
    pub int8_gmacs: f64,
}

/// Every shape at every row count, as `qawl bench --matmul` prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct MatmulReport(pub Vec<MatmulRate>);

/// Measures both kernels on each shape for each of `row_counts`, `min_time` per kernel and
/// shape (after one warm-up product).
pub fn matmul_rates(row_counts: &[usize], min_time: Duration) -> MatmulReport {
    let kernel = Kernel::detect();
    let mut rates = Vec::new();
    for &rows in row_counts {
        for (name, inputs, outputs) in SHAPES {
            let x = values(rows * inputs, 1, 1.0);
            let weights = values(inputs * outputs, 2, 0.1);
            let macs = (rows * inputs * outputs) as f64;
            let mut out = Vec::new();
            let f32_gmacs = match F32Weight::from_rows(&weights, outputs, inputs) {
                Some(weight) => {
                    macs * per_second(min_time, || {
                        f32_matmul::matmul_into(kernel, &x, &weight, &mut out)
                    })
                }
                None => f64::NAN,
            };
            let weight = QuantizedWeight::from_rows(&weights, outputs, inputs);
            let mut quantized = QuantizedRows::default();
            let int8_gmacs = macs
                * per_second(min_time, || {
                    int8::matmul_into(kernel, &x, &weight, &mut quantized, &mut out)
                });
            rates.push(MatmulRate {
                name,
                rows,
                inputs,
                outputs,
                f32_gmacs: f32_gmacs / 1e9,
                int8_gmacs: int8_gmacs / 1e9,
            });
        }
    }
    MatmulReport(rates)
}

/// Mean time of one forward's dense f32 matmuls (Q|K|V, attention output, feed-forward in and
/// out, every layer) over `tokens` packed rows, for `(hidden, intermediate)` widths.
pub fn dense_matmul_time(
    tokens: usize,
    (hidden, inner): (usize, usize),
    layers: usize,
    min_time: Duration,
) -> Duration {
    let kernel = Kernel::detect();
    let (states, wide) = (
        values(tokens * hidden, 1, 1.0),
        values(tokens * inner, 2, 1.0),
    );
    let weights: Vec<_> = [
        (hidden, 3 * hidden),
        (hidden, hidden),
        (hidden, inner),
        (inner, hidden),
    ]
    .into_iter()
    .filter_map(|(inputs, outputs)| {
        F32Weight::from_rows(&values(inputs * outputs, 3, 0.1), outputs, inputs)
    })
    .collect();
    let mut out = Vec::new();
    let forward = || {
        for _ in 0..layers {
            for (index, weight) in weights.iter().enumerate() {
                let x = if index == 3 { &wide } else { &states };
                f32_matmul::matmul_into(kernel, x, weight, &mut out);
            }
        }
    };
    Duration::from_secs_f64(1.0 / per_second(min_time, forward))
}

/// Calls of `run` per second, over at least `min_time` after one warm-up call.
fn per_second(min_time: Duration, mut run: impl FnMut()) -> f64 {
    run();
    let started = Instant::now();
    let mut calls = 0u32;
    while calls == 0 || started.elapsed() < min_time {
        run();
        calls += 1;
    }
    f64::from(calls) / started.elapsed().as_secs_f64()
}

impl fmt::Display for MatmulReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "CPU tiles: {}; rayon threads: {}",
            Kernel::detect().name(),
            rayon::current_num_threads()
        )?;
        writeln!(
            f,
            "| rows | projection | shape | f32 GMAC/s | int8 GMAC/s | int8 ÷ f32 |"
        )?;
        writeln!(f, "|--:|---|---|--:|--:|--:|")?;
        for rate in &self.0 {
            writeln!(
                f,
                "| {} | {} | {}×{} | {:.1} | {:.1} | {:.2} |",
                rate.rows,
                rate.name,
                rate.inputs,
                rate.outputs,
                rate.f32_gmacs,
                rate.int8_gmacs,
                rate.int8_gmacs / rate.f32_gmacs
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_is_measured_and_printed() {
        let report = matmul_rates(&[3], Duration::ZERO);
        assert_eq!(report.0.len(), SHAPES.len());
        for rate in &report.0 {
            assert!(rate.f32_gmacs > 0.0 && rate.int8_gmacs > 0.0, "{rate:?}");
        }
        let table = report.to_string();
        assert!(table.contains("| 3 | output | 1536×384 |"), "{table}");
    }
}
