"""Score (claim, proposition) pairs with a committed stance head, loading only what serving loads
(E5S1 base + model.safetensors + manifest.json): a reference for the Rust side and a quick check.

First re-checks the head against its dev_predictions.jsonl, then prints probabilities.
Usage: python score_pairs.py --head ../heads/stance --e5 E5 --tokenizer TOK "claim" "proposition" [...]
"""
import argparse
import json
import os

import numpy as np
import torch
from safetensors.torch import load_file

import e5_heads
import encode
import layer_cache


def load_head(head_dir, e5_path):
    m = json.load(open(os.path.join(head_dir, "manifest.json"), encoding="utf-8"))
    w = load_file(os.path.join(head_dir, "model.safetensors"))
    lora = m["lora"]
    model = e5_heads.HeadModel(e5_heads.load_e5(e5_path), len(m["labels"]), m["kind"], lora["r"], lora["alpha"],
                               0.0, 0.0, lora["targets"], len(lora["layers"]))
    model.pooling = m["hyperparameters"].get("pooling", "mean")
    model.head = torch.nn.Linear(w["head.weight"].shape[1], len(m["labels"]))
    with torch.no_grad():
        for name, mod in layer_cache.bert_of(model).named_modules():
            if name + ".lora_A" in w:
                mod.lora_A["default"].weight.copy_(w[name + ".lora_A"])
                mod.lora_B["default"].weight.copy_(w[name + ".lora_B"])
        model.head.weight.copy_(w["head.weight"])
        model.head.bias.copy_(w["head.bias"])
    return model.eval(), m


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--head", required=True)
    p.add_argument("--e5", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("texts", nargs="*", help="claim, proposition, claim, proposition, ...")
    args = p.parse_args()
    torch.set_num_threads(1)
    model, m = load_head(args.head, args.e5)
    with open(os.path.join(args.head, "dev_predictions.jsonl"), encoding="utf-8") as f:
        rows = [json.loads(line) for line in f][:10]
    got = layer_cache.predict_full(model, [r["input_ids"] for r in rows])
    print("max |logit - dev_predictions| over 10 rows:",
          max(float(np.abs(g - np.array(r["logits"])).max()) for g, r in zip(got, rows)))
    tok = encode.load_tokenizer(args.tokenizer, m["max_len"])
    for claim, prop in zip(args.texts[0::2], args.texts[1::2]):
        ids = tok.encode(m["prefix"] + claim, m["prefix"] + prop).ids
        probs = torch.softmax(torch.tensor(layer_cache.predict_full(model, [ids])[0]) / m["temperature"], -1)
        print(json.dumps(dict(claim=claim, proposition=prop,
                              probabilities={k: round(float(v), 4) for k, v in zip(m["labels"], probs)}),
                         ensure_ascii=False))


if __name__ == "__main__":
    main()
