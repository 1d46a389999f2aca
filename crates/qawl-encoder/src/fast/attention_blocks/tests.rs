use super::*;
use crate::fast::test_values::values;

/// A left side of `rows × depth` with the given strides over `values`.
fn left(values: &[f32], rows: usize, depth: usize, transposed: bool) -> Left<'_> {
    let (row_stride, depth_stride) = if transposed {
        (1, rows)
    } else {
        (depth + 3, 1)
    };
    Left {
        values,
        rows,
        depth,
        row_stride,
        depth_stride,
    }
}

/// Every kernel this CPU runs gives the portable kernel's bits, for both products, both left
/// layouts, odd row counts and depths and every panel count a kernel takes.
#[test]
fn every_kernel_gives_the_portable_sums_bit_for_bit() {
    for product in [Product::Scores, Product::Context] {
        for (rows, depth, panels) in [(62, 32, 2), (16, 62, 2), (1, 1, 4), (17, 7, 1), (33, 33, 6)]
        {
            for transposed in [false, true] {
                let values = values(rows * (depth + 3), 1, 2.0);
                let left = left(&values, rows, depth, transposed);
                let right = values_lanes(depth * panels);
                let padded = rows.next_multiple_of(16) * panels;
                let mut want = vec![[f32::NAN; LANES]; padded];
                portable_product(left, &right, panels, &mut want);
                for kernel in Kernel::supported() {
                    if panels % kernel.attention_panels(product) != 0 {
                        continue;
                    }
                    let mut got = vec![[f32::NAN; LANES]; padded];
                    kernel.product(product, left, &right, panels, &mut got);
                    assert!(
                        got[..rows * panels] == want[..rows * panels],
                        "{kernel:?} {product:?}, {rows}×{depth}, {panels} panels"
                    );
                }
            }
        }
    }
}

fn values_lanes(count: usize) -> Vec<Lanes> {
    values(count * LANES, 2, 2.0)
        .as_chunks::<LANES>()
        .0
        .to_vec()
}

#[test]
fn the_portable_sums_are_the_products() {
    let (rows, depth, panels) = (5, 6, 2);
    let values = values(rows * (depth + 3), 3, 1.0);
    let left = left(&values, rows, depth, false);
    let right = values_lanes(depth * panels);
    let mut out = vec![[0f32; LANES]; rows * panels];
    portable_product(left, &right, panels, &mut out);
    for r in 0..rows {
        for c in 0..panels * LANES {
            let exact: f64 = (0..depth)
                .map(|k| {
                    let a = values[r * (depth + 3) + k];
                    f64::from(a) * f64::from(right[k * panels + c / LANES][c % LANES])
                })
                .sum();
            let got = f64::from(out[r * panels + c / LANES][c % LANES]);
            assert!(
                (got - exact).abs() < 1e-5,
                "row {r}, column {c}: {got} vs {exact}"
            );
        }
    }
}

#[test]
#[should_panic(expected = "left side reads past its values")]
fn a_left_side_too_short_for_its_shape_is_refused() {
    let values = [1.0; 10];
    let left = left(&values, 3, 4, false);
    let mut out = vec![[0f32; LANES]; 16];
    Kernel::Portable.product(Product::Scores, left, &values_lanes(4), 1, &mut out);
}
