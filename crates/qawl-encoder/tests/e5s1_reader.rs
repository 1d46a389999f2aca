//! The `E5S1` reader: weights come out under the right names with the right values, and damaged
//! files are clear errors naming the file, never panics.

mod support;

use std::path::Path;

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::BertModel;
use qawl_encoder::e5s1::E5s1File;
use qawl_encoder::{EncodedText, EncoderError, TokenBatch};
use support::tiny_e5s1::{self, tiny_model};

const NAME: &str = "/models/e5-small-q4.bin";

#[test]
fn weights_are_dequantized_under_hugging_face_names() -> anyhow::Result<()> {
    let tiny = tiny_model();
    let file = E5s1File::parse(Path::new(NAME), tiny.bytes)?;
    assert_eq!(file.header().hidden, tiny_e5s1::HIDDEN);
    assert_eq!(file.header().pad_id, 1);
    let tensors = file.bert_tensors()?;
    assert_eq!(tensors.len(), tiny.expected.len());
    for (name, expected) in &tiny.expected {
        let got = tensors
            .get(name)
            .ok_or_else(|| anyhow::anyhow!("{name} missing"))?
            .flatten_all()?
            .to_vec1::<f32>()?;
        assert_eq!(&got, expected, "{name}");
    }
    Ok(())
}

#[test]
fn the_tensors_build_a_bert_model_that_runs() -> anyhow::Result<()> {
    let file = E5s1File::parse(Path::new(NAME), tiny_model().bytes)?;
    let config = file.bert_config();
    let vb = VarBuilder::from_tensors(file.bert_tensors()?, DType::F32, &Device::Cpu);
    let model = BertModel::load(vb, &config)?;
    let text = EncodedText {
        ids: vec![0, 5, 7, 2],
        type_ids: vec![0; 4],
        offsets: vec![(0, 0); 4],
        truncated: false,
    };
    let batch = TokenBatch::new(&[&text], 1, &Device::Cpu)?;
    let hidden = model.forward(
        &batch.input_ids,
        &batch.type_ids,
        Some(&batch.attention_mask),
    )?;
    assert_eq!(hidden.dims(), &[1, 4, tiny_e5s1::HIDDEN]);
    let values = hidden.flatten_all()?.to_vec1::<f32>()?;
    assert!(values.iter().all(|v| v.is_finite()));
    Ok(())
}

fn corrupt_reason(bytes: Vec<u8>) -> Option<String> {
    match E5s1File::parse(Path::new(NAME), bytes) {
        Err(EncoderError::Corrupt { path, reason, .. }) => {
            assert_eq!(path, Path::new(NAME));
            Some(reason)
        }
        Err(other) => panic!("unexpected error kind: {other}"),
        Ok(_) => None,
    }
}

#[test]
fn every_truncation_is_an_error_naming_the_file() {
    let bytes = tiny_model().bytes;
    for len in 0..bytes.len() {
        let reason = corrupt_reason(bytes[..len].to_vec());
        assert!(reason.is_some(), "a file cut at {len} bytes was accepted");
    }
    let message = E5s1File::parse(Path::new(NAME), bytes[..100].to_vec())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        message.contains(NAME) && message.contains("truncated"),
        "{message}"
    );
}

#[test]
fn wrong_magic_and_version_are_named() {
    let mut bytes = tiny_model().bytes;
    bytes[..4].copy_from_slice(b"GGUF");
    assert!(corrupt_reason(bytes).is_some_and(|r| r.contains("magic")));
    let mut bytes = tiny_model().bytes;
    bytes[4] = 2;
    assert!(corrupt_reason(bytes).is_some_and(|r| r.contains("version 2")));
}

#[test]
fn a_tensor_offset_past_the_end_is_rejected() {
    let tiny = tiny_model();
    let mut bytes = tiny.bytes;
    // The first table entry is "emb.word": u16 len, 8 name bytes, dtype, u32 count, then u64 offset.
    let name_at = bytes
        .windows(8)
        .position(|w| w == b"emb.word")
        .unwrap_or_default();
    let offset_at = name_at + 8 + 1 + 4;
    bytes[offset_at..offset_at + 8].copy_from_slice(&(u64::MAX - 4).to_le_bytes());
    assert!(corrupt_reason(bytes).is_some_and(|r| r.contains("outside the file")));
}

#[test]
fn random_byte_damage_never_panics() {
    let original = tiny_model().bytes;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..3000 {
        let mut bytes = original.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % bytes.len() as u64) as usize;
            bytes[at] = (state >> 32) as u8;
        }
        // Either a clean error or a file whose tensors still load; both are fine, panics are not.
        if let Ok(file) = E5s1File::parse(Path::new(NAME), bytes) {
            let _ = file.bert_tensors();
        }
    }
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let err = E5s1File::open(Path::new("/nonexistent/e5.bin")).err();
    assert!(err.is_some_and(|e| e.to_string().contains("/nonexistent/e5.bin")));
}
