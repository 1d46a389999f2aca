"""Tiny random BERT / XLM-RoBERTa / DeBERTa-v2 checkpoints with classification heads, plus
the logits Hugging Face transformers computes for them (float32, eval mode).

Usage: python make_architecture_fixtures.py TOKENIZER_JSON OUT_DIR
Writes OUT_DIR/<arch>-<head>/{config.json, model.safetensors, reference.json}.

The tiny vocab (1000) cannot hold the real 250k pieces, so real XLM-R ids are folded into it:
special ids 0..3 stay, every other id becomes 4 + (id - 4) % 996 (never a special id). These
fixtures test forward numerics; the real tokenizer is tested on e5 (make_e5_reference.py).
"""
import os
import sys

import torch
import transformers
from torch import nn
from transformers import (BertConfig, BertForSequenceClassification, BertForTokenClassification,
                          DebertaV2Config, DebertaV2ForSequenceClassification,
                          DebertaV2ForTokenClassification, XLMRobertaConfig,
                          XLMRobertaForSequenceClassification, XLMRobertaForTokenClassification)

from fixture_inputs import (ARCH_PAIRS, ARCH_SENTENCES, EOS, N_SPECIAL, PAD, load_tokenizer,
                            pad_batch, rounded, write_json)

TINY_VOCAB = 1000
NLI_LABELS = ["entailment", "neutral", "contradiction"]
NER_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
WEIGHT_STD = 0.1  # larger than the 0.02 init so attention is far from uniform and logits are O(1)
HEADS = {"seq-cls": NLI_LABELS, "token-cls": NER_LABELS}

COMMON = dict(vocab_size=TINY_VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
              intermediate_size=64, max_position_embeddings=64, hidden_act="gelu",
              hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
              pad_token_id=PAD, bos_token_id=0, eos_token_id=EOS)

ARCHS = {
    "bert": dict(
        seed=1001, config=lambda: BertConfig(**COMMON, type_vocab_size=2, layer_norm_eps=1e-12),
        classes={"seq-cls": BertForSequenceClassification, "token-cls": BertForTokenClassification},
        base="bert", pair_type_ids=True),
    "xlm-roberta": dict(
        seed=2002, config=lambda: XLMRobertaConfig(**COMMON, type_vocab_size=1, layer_norm_eps=1e-5),
        classes={"seq-cls": XLMRobertaForSequenceClassification,
                 "token-cls": XLMRobertaForTokenClassification},
        base="roberta", pair_type_ids=False),
    # mDeBERTa-v3-base's options, scaled down (position_buckets 256 -> 16, so that log buckets
    # are exercised by sequences of ~30-50 tokens).
    "deberta-v2": dict(
        seed=3003, config=lambda: DebertaV2Config(
            **COMMON, type_vocab_size=0, layer_norm_eps=1e-7, relative_attention=True,
            max_relative_positions=-1, position_buckets=16, norm_rel_ebd="layer_norm",
            share_att_key=True, pos_att_type=["p2c", "c2p"], position_biased_input=False,
            pooler_hidden_size=32, pooler_dropout=0, pooler_hidden_act="gelu"),
        classes={"seq-cls": DebertaV2ForSequenceClassification,
                 "token-cls": DebertaV2ForTokenClassification},
        base="deberta", pair_type_ids=False),
}


def fold_id(i):
    return i if i < N_SPECIAL else N_SPECIAL + (i - N_SPECIAL) % (TINY_VOCAB - N_SPECIAL)


def build_cases(tok):
    """Case 0: three sentences (ar, en, fr), padded. Case 1: two pairs (en, ar), padded.
    BERT type ids for a pair: 0 up to and including the first </s>, 1 after it."""
    singles = [[fold_id(i) for i in tok.encode(s).ids] for s in ARCH_SENTENCES]
    pairs, types = [], []
    for a, b in ARCH_PAIRS:
        ids = [fold_id(i) for i in tok.encode(a, b).ids]
        first_sep = ids.index(EOS)
        pairs.append(ids)
        types.append([0] * (first_sep + 1) + [1] * (len(ids) - first_sep - 1))
    cases = []
    for name, rows, type_rows in (("sentences_ar_en_fr", singles, None), ("pairs_en_ar", pairs, types)):
        ids, mask = pad_batch(rows, PAD)
        if type_rows is None:
            type_rows = [[0] * len(r) for r in rows]
        tt, _ = pad_batch(type_rows, 0)
        cases.append(dict(name=name, input_ids=ids, attention_mask=mask, pair_type_ids=tt))
    return cases


def randomize(model, seed):
    """Re-draw every parameter from a fixed seed: N(0, WEIGHT_STD) for weights and biases,
    1 + N(0, 0.1) / N(0, 0.1) for LayerNorm weight / bias (so no parameter is trivially 0 or 1)."""
    gen = torch.Generator().manual_seed(seed)
    norms = {id(p) for m in model.modules() if isinstance(m, nn.LayerNorm) for p in m.parameters()}
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if id(p) in norms:
                p.copy_((1.0 + 0.1 * noise) if name.endswith("weight") else 0.1 * noise)
            else:
                p.copy_(WEIGHT_STD * noise)


def make_model(spec, head, labels, base_state):
    config = spec["config"]()
    config.id2label = dict(enumerate(labels))
    config.label2id = {l: i for i, l in enumerate(labels)}
    torch.manual_seed(spec["seed"])
    model = spec["classes"][head](config)
    randomize(model, spec["seed"] + (0 if head == "seq-cls" else 1))
    if base_state is not None:  # both heads share one random encoder
        missing, unexpected = getattr(model, spec["base"]).load_state_dict(base_state, strict=False)
        # BERT's seq-cls encoder has a pooler, its token-cls encoder has none.
        if missing or any(not k.startswith("pooler.") for k in unexpected):
            raise RuntimeError(f"encoder mismatch: missing {missing}, unexpected {unexpected}")
    return model.float().eval()


def run_case(model, spec, case, with_hidden):
    ids = torch.tensor(case["input_ids"])
    mask = torch.tensor(case["attention_mask"])
    types = torch.tensor(case["pair_type_ids"]) if spec["pair_type_ids"] else torch.zeros_like(ids)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
        out = dict(name=case["name"], input_ids=case["input_ids"], attention_mask=case["attention_mask"],
                   token_type_ids=types.tolist(), logits=rounded(logits))
        if with_hidden:
            base = getattr(model, spec["base"])
            hidden = base(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
            out["last_hidden_state"] = rounded(hidden)
    return out


def main(tokenizer_json, out_dir):
    torch.use_deterministic_algorithms(True)
    cases = build_cases(load_tokenizer(tokenizer_json))
    for arch, spec in ARCHS.items():
        base_state = None
        for head, labels in HEADS.items():
            model = make_model(spec, head, labels, base_state)
            if base_state is None:
                base_state = getattr(model, spec["base"]).state_dict()
            folder = os.path.join(out_dir, f"{arch}-{head}")
            model.save_pretrained(folder, safe_serialization=True)
            ref = dict(transformers_version=transformers.__version__, torch_version=torch.__version__,
                       architecture=arch, head=head, labels=labels, seed=spec["seed"],
                       cases=[run_case(model, spec, c, i == 0) for i, c in enumerate(cases)])
            write_json(os.path.join(folder, "reference.json"), ref)
            sizes = {f: os.path.getsize(os.path.join(folder, f)) for f in sorted(os.listdir(folder))}
            print(f"{arch}-{head}: {sizes}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
