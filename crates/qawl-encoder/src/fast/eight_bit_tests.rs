//! The 8-bit activation path: the `vpdpbusd` tile against the portable one (identical sums, so
//! identical bits) on odd sizes, the smoothing's effect on a row with outlier channels, and the
//! built-in ranges of the default model.

use super::activation_ranges::{wanted_bits, ActivationRanges};
use super::int8::eight_bit::{matmul_into, uses_quads, EightBitWeight};
use super::int8::{Kernel, QuantizedRows};
use super::test_values::values;

fn product(kernel: Kernel, x: &[f32], weight: &EightBitWeight) -> Vec<f32> {
    let mut out = vec![f32::NAN; 5];
    matmul_into(kernel, x, weight, &mut QuantizedRows::default(), &mut out);
    out
}

/// Rows, inputs (around the four-input groups), outputs (around the 16-channel panels).
const SHAPES: [(usize, usize, usize); 9] = [
    (1, 1, 1),
    (25, 37, 40),
    (12, 3, 21),
    (13, 383, 17),
    (23, 384, 33),
    (7, 385, 15),
    (385, 384, 384),
    (2, 1536, 33),
    (0, 384, 16),
];

#[test]
fn every_kernel_gives_the_same_8_bit_product_as_the_portable_one() {
    for (rows, inputs, outputs) in SHAPES {
        let seed = (rows * 7919 + inputs * 31 + outputs) as u64;
        let mut x = values(rows * inputs, seed, 3.0);
        if let Some(v) = x.get_mut(inputs / 2) {
            *v = 60.0; // an outlier, as layer norms' outputs have
        }
        let w = values(outputs * inputs, seed + 1, 0.2);
        let ranges: Vec<f32> = (0..inputs).map(|j| 1.0 + (j % 5) as f32 * 4.0).collect();
        let weight =
            EightBitWeight::for_kernels(&w, outputs, inputs, &ranges, &Kernel::supported());
        let reference = product(Kernel::Portable, &x, &weight);
        assert_eq!(reference.len(), rows * outputs);
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        for kernel in Kernel::supported() {
            let got = product(kernel, &x, &weight);
            assert_eq!(
                bits(&got),
                bits(&reference),
                "{rows}×{inputs}·{outputs} ({kernel:?})"
            );
        }
    }
}

#[test]
fn a_weight_packed_for_one_kernel_keeps_only_its_packing_and_gives_the_same_bits() {
    let (rows, inputs, outputs) = (30, 385, 40);
    let x = values(rows * inputs, 11, 3.0);
    let w = values(outputs * inputs, 12, 0.2);
    let ranges: Vec<f32> = (0..inputs).map(|j| 1.0 + (j % 7) as f32).collect();
    let both = EightBitWeight::for_kernels(&w, outputs, inputs, &ranges, &Kernel::supported());
    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    for kernel in Kernel::supported() {
        let own = EightBitWeight::for_kernels(&w, outputs, inputs, &ranges, &[kernel]);
        assert_eq!(
            bits(&product(kernel, &x, &own)),
            bits(&product(kernel, &x, &both)),
            "{kernel:?}"
        );
        // Where this CPU has the `vpdpbusd` tile, "every kernel" keeps i8 quads and i16 panels
        // (3 bytes a weight), one kernel only its own (1 or 2).
        if Kernel::supported().into_iter().any(uses_quads) {
            assert!(own.packed_bytes() < both.packed_bytes(), "{kernel:?}");
        }
    }
}

/// Largest |error| of the 8-bit product against the f64 one, relative to the largest |value|.
fn relative_error(x: &[f32], w: &[f32], inputs: usize, weight: &EightBitWeight) -> f64 {
    let got = product(Kernel::detect(), x, weight);
    let exact: Vec<f64> = x
        .chunks(inputs)
        .flat_map(|row| {
            w.chunks(inputs).map(|channel| {
                row.iter()
                    .zip(channel)
                    .map(|(&a, &b)| f64::from(a) * f64::from(b))
                    .sum::<f64>()
            })
        })
        .collect();
    let peak = exact.iter().fold(0f64, |m, v| m.max(v.abs()));
    let error = got
        .iter()
        .zip(&exact)
        .fold(0f64, |m, (&g, &e)| m.max((f64::from(g) - e).abs()));
    error / peak
}

#[test]
fn smoothing_keeps_outlier_channels_from_coarsening_every_token() {
    let (rows, inputs, outputs) = (24, 384, 64);
    // Two channels 20× wider than the rest, in every row, as after a layer norm.
    let mut x = values(rows * inputs, 5, 1.0);
    for row in x.chunks_mut(inputs) {
        row[7] *= 20.0;
        row[300] *= -20.0;
    }
    let w = values(outputs * inputs, 6, 0.1);
    let mut ranges = vec![1.0f32; inputs];
    (ranges[7], ranges[300]) = (20.0, 20.0);
    let smoothed = relative_error(
        &x,
        &w,
        inputs,
        &EightBitWeight::from_rows(&w, outputs, inputs, &ranges),
    );
    let plain = relative_error(
        &x,
        &w,
        inputs,
        &EightBitWeight::from_rows(&w, outputs, inputs, &[0.0; 384]),
    );
    assert!(
        smoothed < 0.6 * plain,
        "smoothed {smoothed:e}, plain {plain:e}"
    );
    assert!(smoothed < 0.02, "smoothed {smoothed:e}");
}

#[test]
fn the_default_model_has_ranges_for_every_layer() {
    let ranges = ActivationRanges::parse(include_bytes!(
        "../../../../models/calibration/multilingual-e5-small.activation-ranges.safetensors"
    ))
    .expect("the built-in ranges parse");
    for layer in 0..12 {
        for module in ["attention.self.query", "intermediate.dense"] {
            let name = format!("encoder.layer.{layer}.{module}");
            let values = ranges
                .of(&name, 384)
                .unwrap_or_else(|| panic!("{name} missing"));
            assert!(values.iter().all(|v| v.is_finite() && *v > 0.0), "{name}");
        }
    }
    assert!(ranges
        .of("encoder.layer.0.attention.self.query", 768)
        .is_none());
}

#[test]
fn the_variable_chooses_8_or_12_bits() {
    assert_eq!(wanted_bits(None), Ok(8));
    assert_eq!(wanted_bits(Some(" 12 ")), Ok(12));
    assert_eq!(wanted_bits(Some("8")), Ok(8));
    assert_eq!(wanted_bits(Some("16")), Err(8));
}
