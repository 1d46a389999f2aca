//! Turns an `E5S1` file into Hugging Face `BertModel` tensors: Q4_0 dequantized to f32, names mapped.

use std::collections::HashMap;

use candle_core::{Device, Tensor};
use candle_transformers::models::bert;
use half::f16;

use super::format::{E5s1File, StoredDType, TensorEntry, Q4_0_BLOCK, Q4_0_BLOCK_BYTES};
use crate::error::{EncoderError, Result};
use crate::fast::Q4Rows;

/// Per-layer tensors: (E5S1 short name, Hugging Face name below `encoder.layer.L.`, is it a Linear).
const LAYER_PARTS: [(&str, &str, bool); 8] = [
    ("q", "attention.self.query", true),
    ("k", "attention.self.key", true),
    ("v", "attention.self.value", true),
    ("ao", "attention.output.dense", true),
    ("aln", "attention.output.LayerNorm", false),
    ("fi", "intermediate.dense", true),
    ("fo", "output.dense", true),
    ("oln", "output.LayerNorm", false),
];

impl E5s1File {
    /// The `BertModel` configuration this file describes (GELU, absolute positions, as e5-small).
    pub fn bert_config(&self) -> bert::Config {
        let h = self.header();
        bert::Config {
            vocab_size: h.vocab,
            hidden_size: h.hidden,
            num_hidden_layers: h.layers,
            num_attention_heads: h.heads,
            intermediate_size: h.ffn,
            hidden_act: bert::HiddenAct::Gelu,
            hidden_dropout_prob: 0.0,
            max_position_embeddings: h.max_positions,
            type_vocab_size: h.type_vocab,
            initializer_range: 0.02,
            layer_norm_eps: f64::from(h.layer_norm_eps),
            pad_token_id: h.pad_id as usize,
            position_embedding_type: bert::PositionEmbeddingType::Absolute,
            use_cache: false,
            classifier_dropout: None,
            model_type: Some("bert".to_string()),
        }
    }

    /// All weights as f32 CPU tensors under Hugging Face `BertModel` names, shapes checked.
    pub fn bert_tensors(&self) -> Result<HashMap<String, Tensor>> {
        self.tensors_with_words(true)
    }

    /// For the fast encoder: the word embeddings as stored, when they are Q4_0 rows (then the
    /// map lacks them), and every other weight as [`E5s1File::bert_tensors`] gives it.
    pub(crate) fn fast_tensors(&self) -> Result<(HashMap<String, Tensor>, Option<Q4Rows>)> {
        let h = *self.header();
        let words = self
            .entry("emb.word")
            .filter(|entry| entry.dtype == StoredDType::Q4_0)
            .and_then(|entry| Q4Rows::new(self.data(entry).to_vec(), h.vocab, h.hidden));
        let tensors = self.tensors_with_words(words.is_none())?;
        Ok((tensors, words))
    }

    fn tensors_with_words(&self, with_words: bool) -> Result<HashMap<String, Tensor>> {
        let h = *self.header();
        let mut out = HashMap::new();
        let mut put = |file_name: String, hf_name: String, shape: &[usize]| -> Result<()> {
            out.insert(hf_name, self.tensor(&file_name, shape)?);
            Ok(())
        };
        if with_words {
            put(
                "emb.word".into(),
                "embeddings.word_embeddings.weight".into(),
                &[h.vocab, h.hidden],
            )?;
        }
        put(
            "emb.pos".into(),
            "embeddings.position_embeddings.weight".into(),
            &[h.max_positions, h.hidden],
        )?;
        put(
            "emb.type".into(),
            "embeddings.token_type_embeddings.weight".into(),
            &[h.type_vocab, h.hidden],
        )?;
        put(
            "emb.ln.w".into(),
            "embeddings.LayerNorm.weight".into(),
            &[h.hidden],
        )?;
        put(
            "emb.ln.b".into(),
            "embeddings.LayerNorm.bias".into(),
            &[h.hidden],
        )?;
        for layer in 0..h.layers {
            for (short, hf, is_linear) in LAYER_PARTS {
                let prefix = format!("encoder.layer.{layer}.{hf}");
                let (weight_shape, bias_len) = match (short, is_linear) {
                    (_, false) => (vec![h.hidden], h.hidden),
                    ("fi", true) => (vec![h.ffn, h.hidden], h.ffn),
                    ("fo", true) => (vec![h.hidden, h.ffn], h.hidden),
                    (_, true) => (vec![h.hidden, h.hidden], h.hidden),
                };
                put(
                    format!("l{layer}.{short}.w"),
                    format!("{prefix}.weight"),
                    &weight_shape,
                )?;
                put(
                    format!("l{layer}.{short}.b"),
                    format!("{prefix}.bias"),
                    &[bias_len],
                )?;
            }
        }
        Ok(out)
    }

    /// One tensor, dequantized, with its element count checked against `shape`.
    fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        let corrupt = |reason: String| EncoderError::Corrupt {
            path: self.path().to_path_buf(),
            format: "E5S1",
            reason,
        };
        let entry = self
            .entry(name)
            .ok_or_else(|| corrupt(format!("tensor {name:?} is missing")))?;
        let expected: usize = shape.iter().product();
        if entry.n_elements != expected {
            return Err(corrupt(format!(
                "tensor {name:?} has {} elements, shape {shape:?} needs {expected}",
                entry.n_elements
            )));
        }
        let values = self.values(entry);
        Tensor::from_vec(values, shape, &Device::Cpu).map_err(EncoderError::tensor(format!(
            "{}: building tensor {name}",
            self.path().display()
        )))
    }

    fn values(&self, entry: &TensorEntry) -> Vec<f32> {
        let data = self.data(entry);
        match entry.dtype {
            StoredDType::F32 => data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            StoredDType::Q4_0 => dequantize_q4_0(data),
        }
    }
}

/// ggml Q4_0: per 32 weights an f16 scale `d` and 16 bytes; weight j<16 is `(qs[j] & 0xF) - 8`,
/// weight j>=16 is `(qs[j-16] >> 4) - 8`, each times `d`. Large tensors (the 96M-weight word
/// embedding) are split across threads: it is most of the cold start.
pub(crate) fn dequantize_q4_0(data: &[u8]) -> Vec<f32> {
    let blocks = data.len() / Q4_0_BLOCK_BYTES;
    let mut out = vec![0f32; blocks * Q4_0_BLOCK];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let per_thread = blocks.div_ceil(threads).max(1 << 16);
    if blocks <= per_thread {
        dequantize_blocks(data, &mut out);
        return out;
    }
    std::thread::scope(|scope| {
        let sources = data.chunks(per_thread * Q4_0_BLOCK_BYTES);
        for (src, dst) in sources.zip(out.chunks_mut(per_thread * Q4_0_BLOCK)) {
            scope.spawn(move || dequantize_blocks(src, dst));
        }
    });
    out
}

/// Dequantizes whole Q4_0 blocks of `src` into `dst` (32 weights per 18 bytes).
pub(crate) fn dequantize_blocks(src: &[u8], dst: &mut [f32]) {
    let half = Q4_0_BLOCK / 2;
    for (block, out) in src
        .chunks_exact(Q4_0_BLOCK_BYTES)
        .zip(dst.chunks_exact_mut(Q4_0_BLOCK))
    {
        let d = f16::from_le_bytes([block[0], block[1]]).to_f32();
        for (j, &q) in block[2..].iter().enumerate() {
            out[j] = f32::from(i16::from(q & 0x0F) - 8) * d;
            out[j + half] = f32::from(i16::from(q >> 4) - 8) * d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_0_block_follows_ggml_nibble_order() {
        let mut block = f16::from_f32(0.5).to_le_bytes().to_vec();
        // Low nibbles 0..15 encode weights 0..15, high nibbles (15 - j) weights 16..31.
        block.extend((0u8..16).map(|j| j | ((15 - j) << 4)));
        let w = dequantize_q4_0(&block);
        assert_eq!(w.len(), 32);
        assert_eq!(w[0], -4.0);
        assert_eq!(w[15], 3.5);
        assert_eq!(w[16], 3.5);
        assert_eq!(w[31], -4.0);
    }
}
