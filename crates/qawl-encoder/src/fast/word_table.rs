//! The word-embedding table, kept as the model file stores it. In e5-small it is 250k × 384
//! weights: 80 % of the model. Dequantized up front it is 384 MB of f32, most of the cold start
//! and of the resident memory; kept in Q4_0 it is 54 MB, and a batch dequantizes only the rows
//! of its tokens (the same values, so results are identical).

use candle_core::{bail, Result, Tensor};

use super::layer::with_values;
use crate::e5s1::{dequantize_blocks, Q4_0_BLOCK, Q4_0_BLOCK_BYTES};

/// Rows of ggml Q4_0 blocks; the width is a whole number of blocks, so rows start on blocks.
#[derive(Debug)]
pub(crate) struct Q4Rows {
    bytes: Vec<u8>,
    rows: usize,
    width: usize,
}

impl Q4Rows {
    /// `rows` rows of `width` weights from Q4_0 `bytes`; `None` unless `width` is a whole
    /// number of blocks and the bytes hold exactly the rows.
    pub fn new(bytes: Vec<u8>, rows: usize, width: usize) -> Option<Self> {
        let aligned = width > 0 && width.is_multiple_of(Q4_0_BLOCK);
        (aligned && bytes.len() == rows * width / Q4_0_BLOCK * Q4_0_BLOCK_BYTES).then_some(Self {
            bytes,
            rows,
            width,
        })
    }

    fn row_bytes(&self) -> usize {
        self.width / Q4_0_BLOCK * Q4_0_BLOCK_BYTES
    }
}

/// Token id → embedding row.
#[derive(Debug)]
pub(crate) enum WordTable {
    /// Dequantized `[vocab, hidden]` (checkpoints stored in f32, candle's tensors).
    F32(Tensor),
    /// As stored in the E5S1 file.
    Q4_0(Q4Rows),
}

impl WordTable {
    /// Width of a row.
    pub fn width(&self) -> Result<usize> {
        match self {
            Self::F32(table) => Ok(table.dims2()?.1),
            Self::Q4_0(rows) => Ok(rows.width),
        }
    }

    /// Calls `f` with each id's position in `ids` and its row, in turn.
    pub fn for_each_row(
        &self,
        ids: &[u32],
        mut f: impl FnMut(usize, &[f32]) -> Result<()>,
    ) -> Result<()> {
        match self {
            Self::F32(table) => with_values(table, |values| {
                let width = table.dims2()?.1;
                for (at, &id) in ids.iter().enumerate() {
                    f(at, table_row(values, id as usize, width, "token id")?)?;
                }
                Ok(())
            })?,
            Self::Q4_0(table) => {
                let mut row = vec![0f32; table.width];
                let size = table.row_bytes();
                for (at, &id) in ids.iter().enumerate() {
                    if id as usize >= table.rows {
                        bail!("token id {id} is outside the embedding table")
                    }
                    let start = id as usize * size;
                    dequantize_blocks(&table.bytes[start..start + size], &mut row);
                    f(at, &row)?;
                }
                Ok(())
            }
        }
    }
}

/// Row `index` of a `[rows, hidden]` table, or an error naming what was looked up.
pub(crate) fn table_row<'a>(
    table: &'a [f32],
    index: usize,
    hidden: usize,
    what: &str,
) -> Result<&'a [f32]> {
    match table.get(index * hidden..(index + 1) * hidden) {
        Some(row) => Ok(row),
        None => bail!("{what} {index} is outside the embedding table"),
    }
}

#[cfg(test)]
mod tests {
    use candle_core::Device;
    use half::f16;

    use super::*;
    use crate::e5s1::dequantize_q4_0;

    /// `rows` rows of 64 weights in Q4_0: block `b` has scale `b + 1` / 8 and nibbles `b + j`.
    fn q4_table(rows: usize) -> Vec<u8> {
        let mut bytes = Vec::new();
        for block in 0..rows * 2 {
            bytes.extend(f16::from_f32((block + 1) as f32 / 8.0).to_le_bytes());
            bytes.extend((0..16).map(|j| ((block + j) % 16) as u8 | ((j as u8) << 4)));
        }
        bytes
    }

    fn rows_of(table: &WordTable, ids: &[u32]) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::new();
        table.for_each_row(ids, |_, row| {
            out.push(row.to_vec());
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn q4_rows_give_the_dequantized_tables_rows() -> Result<()> {
        let bytes = q4_table(5);
        let dense = Tensor::from_vec(dequantize_q4_0(&bytes), (5, 64), &Device::Cpu)?;
        let q4 = Q4Rows::new(bytes, 5, 64).map(WordTable::Q4_0);
        let q4 = q4.ok_or_else(|| candle_core::Error::Msg("rows should fit".into()))?;
        let ids = [4, 0, 2, 2];
        assert_eq!(rows_of(&q4, &ids)?, rows_of(&WordTable::F32(dense), &ids)?);
        assert_eq!(q4.width()?, 64);
        let error = rows_of(&q4, &[5]).err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("token id 5")));
        Ok(())
    }

    #[test]
    fn rows_that_do_not_start_on_blocks_are_refused() {
        assert!(Q4Rows::new(q4_table(5), 10, 32).is_some());
        assert!(Q4Rows::new(q4_table(5), 5, 48).is_none());
        assert!(Q4Rows::new(q4_table(5), 6, 64).is_none());
    }
}
