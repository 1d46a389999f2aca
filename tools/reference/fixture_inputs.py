"""Shared inputs and JSON helpers for the reference fixture generators."""
import json

import numpy as np
from tokenizers import Tokenizer

# XLM-R / e5 special token ids (tokenizer.json, E5S1 header).
BOS, PAD, EOS, UNK = 0, 1, 2, 3
N_SPECIAL = 4

# News-style sentences for the tiny architecture checkpoints (batch of 3, padded).
ARCH_SENTENCES = [
    "أعلن وزير الخارجية أن المحادثات بين الجانبين ستستأنف الأسبوع المقبل في القاهرة.",
    "The health ministry said on Tuesday that the new hospital will open next month.",
    "Le Premier ministre a déclaré que le gouvernement ne reculerait pas sur la réforme des retraites.",
]
# Premise / hypothesis pairs (batch of 2, padded).
ARCH_PAIRS = [
    ("The minister said the talks between the two sides will resume next week in Cairo.",
     "The talks have been cancelled."),
    ("قال المتحدث باسم الجيش إن القوات انسحبت من المدينة.",
     "انسحبت القوات."),
]


def load_tokenizer(path):
    """The real XLM-R tokenizer.json; padding and truncation are done by the caller."""
    tok = Tokenizer.from_file(path)
    tok.no_padding()
    tok.no_truncation()
    return tok


def pad_batch(rows, pad_id):
    """Right-pad id rows to the longest; attention mask 1 for tokens, 0 for padding."""
    width = max(len(r) for r in rows)
    ids = [r + [pad_id] * (width - len(r)) for r in rows]
    mask = [[1] * len(r) + [0] * (width - len(r)) for r in rows]
    return ids, mask


def rounded(x, digits=7):
    """Nested lists of floats at `digits` significant digits (keeps the JSON small)."""
    arr = np.asarray(x, dtype=np.float64)
    flat = [float(f"{v:.{digits}g}") for v in arr.reshape(-1)]
    return np.array(flat, dtype=np.float64).reshape(arr.shape).tolist()


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
