"""Per-channel activation ranges of the default encoder (multilingual-e5-small), for the int8
path's 8-bit activations: the largest |value| each input channel of every layer's Q|K|V and
feed-forward-in projections takes on training text of the three heads.

The int8 path smooths those inputs before quantizing them to 8 bits (SmoothQuant: channel j is
divided by s_j = √(range_j / max|W_·j|) and the weights' column j multiplied by it), so that the
few outlier channels of the layer norms' outputs no longer set every token's quantization step.

Reads the training splits under ../shared/data (models/train/task_data.py decides them; dev
splits are never read), a fixed sample per source (--per-source, --seed), tokenizes each
example as the heads see it (stance: premise and hypothesis as a pair), runs the f32 PyTorch
model loaded from the e5s1 file (tools/reference's loader: the weights qawl serves), and writes
`encoder.layer.L.{attention.self.query,intermediate.dense}.input_absmax` ([hidden] f32 each) to a
safetensors file, with the sample's description in its metadata.

Offline tooling (torch, transformers, safetensors; bench/requirements.txt has them). Usage:
    python3 tools/calibrate/activation_ranges.py --data ../shared/data \
        --e5s1 models/cache/multilingual-e5-small/e5-small-q4.bin \
        --tokenizer models/cache/multilingual-e5-small/tokenizer.json \
        --out models/calibration/multilingual-e5-small.activation-ranges.safetensors
"""
import argparse
import os
import random
import sys

import numpy as np
import torch
from safetensors.numpy import save_file

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "models", "train"))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import task_data  # noqa: E402
from fixture_inputs import load_tokenizer  # noqa: E402
from make_e5_reference import load_model, sha256  # noqa: E402

# The projections whose inputs are quantized to 8 bits: both read a layer norm's output.
PROJECTIONS = ("attention.self.query", "intermediate.dense")


def sample_texts(data, per_source, seed):
    """[(text, pair or None)] : `per_source` training examples of every source of every task."""
    rng = random.Random(seed)
    texts = []
    for task in ("stance", "claim", "ner"):
        for source, (train, _dev) in sorted(task_data.load_task(task, data).items()):
            chosen = rng.sample(train, min(per_source, len(train)))
            for example in chosen:
                if task == "stance":
                    texts.append((example.text, example.hypothesis))
                elif task == "claim":
                    texts.append((example.text, None))
                else:
                    texts.append((" ".join(example.tokens), None))
    return texts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--e5s1", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--per-source", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    model, _ = load_model(args.e5s1)
    tokenizer = load_tokenizer(args.tokenizer)
    tokenizer.enable_truncation(args.max_tokens)
    ranges = {}

    def record(name):
        def hook(_module, inputs):
            values = inputs[0].detach().abs().reshape(-1, inputs[0].shape[-1]).amax(0).numpy()
            ranges[name] = np.maximum(ranges.get(name, values), values)
        return hook

    for layer, block in enumerate(model.encoder.layer):
        for projection in PROJECTIONS:
            module = block.get_submodule(projection)
            module.register_forward_pre_hook(record(f"encoder.layer.{layer}.{projection}.input_absmax"))

    texts = sample_texts(args.data, args.per_source, args.seed)
    with torch.no_grad():
        # One sequence a call: no padding rows in the ranges.
        for done, (text, pair) in enumerate(texts, 1):
            ids = tokenizer.encode(text, pair).ids if pair else tokenizer.encode(text).ids
            model(input_ids=torch.tensor([ids]), token_type_ids=torch.zeros(1, len(ids), dtype=torch.long))
            if done % 200 == 0:
                print(f"{done}/{len(texts)} examples", file=sys.stderr)

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tensors = {name: values.astype(np.float32) for name, values in sorted(ranges.items())}
    metadata = {
        "model_sha256": sha256(args.e5s1),
        "examples": str(len(texts)),
        "sample": f"{args.per_source} training examples per source of the stance, claim and ner "
                  f"tasks (models/train/task_data.py), seed {args.seed}, at most {args.max_tokens} tokens",
    }
    save_file(tensors, args.out, metadata=metadata)
    print(f"{len(tensors)} ranges from {len(texts)} examples -> {args.out}")


if __name__ == "__main__":
    main()
