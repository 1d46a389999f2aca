"""PyTorch and ONNX Runtime throughput on the exact inputs `qawl bench` measures (not part of the
product; pinned environment in bench/requirements.txt).

Reads the token-id pairs that `qawl bench --write-inputs FILE` wrote, runs e5-small (the E5S1 file
the product loads, dequantized, through transformers' BertModel) at each batch size the same way the
Rust bench does (cycling through the pairs, right-padded batches, mean pooling, one warm-up batch,
at least 3 rounds and `--min-time` seconds), with 2 intra-op threads, and prints one JSON line per
(engine, batch size).

    python bench/engines.py --inputs target/bench-inputs.json --e5s1 models/cache/multilingual-e5-small/e5-small-q4.bin
"""
import argparse
import json
import os
import resource
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools", "reference"))
from make_e5_reference import load_model  # noqa: E402  (the fixtures' own loader: same weights)

PAD = 1


def batches(pairs, size):
    """Round r's batch: pairs[r*size .. r*size+size] cyclically, right-padded."""
    round_ = 0
    while True:
        rows = [pairs[(round_ * size + i) % len(pairs)] for i in range(size)]
        width = max(len(r) for r in rows)
        ids = np.full((size, width), PAD, dtype=np.int64)
        mask = np.zeros((size, width), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
            mask[i, : len(r)] = 1
        yield ids, mask
        round_ += 1


def measure(run, pairs, size, min_time):
    feed = batches(pairs, size)
    run(*next(feed))
    started, rounds = time.perf_counter(), 0
    while rounds < 3 or time.perf_counter() - started < min_time:
        run(*next(feed))
        rounds += 1
    elapsed = time.perf_counter() - started
    return rounds * size / elapsed, elapsed / rounds * 1e3


def mean_pool(hidden, mask):
    m = mask[..., None].astype(hidden.dtype) if isinstance(hidden, np.ndarray) else mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1)


def torch_engine(model):
    @torch.inference_mode()
    def run(ids, mask):
        ids, mask = torch.from_numpy(ids), torch.from_numpy(mask)
        return mean_pool(model(input_ids=ids, attention_mask=mask).last_hidden_state, mask)

    return run


def ort_engine(model, threads):
    import onnxruntime as ort

    class Hidden(torch.nn.Module):
        """BertModel with the two inputs by position and one output, as the exporter wants."""

        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    path = os.path.join(tempfile.mkdtemp(prefix="qawl-bench-"), "e5.onnx")
    ids = torch.ones((2, 16), dtype=torch.long)
    # The TorchScript exporter: the torch.export one needs onnxscript and gains nothing here.
    torch.onnx.export(Hidden(model).eval(), (ids, torch.ones_like(ids)), path, dynamo=False,
                      input_names=["input_ids", "attention_mask"], output_names=["hidden"],
                      dynamic_axes={"input_ids": {0: "b", 1: "t"}, "attention_mask": {0: "b", 1: "t"},
                                    "hidden": {0: "b", 1: "t"}}, opset_version=17)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])

    def run(ids, mask):
        (hidden,) = session.run(None, {"input_ids": ids, "attention_mask": mask})
        return mean_pool(hidden, mask)

    return run, ort.__version__


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--inputs", required=True, help="JSON written by `qawl bench --write-inputs`")
    p.add_argument("--e5s1", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--min-time", type=float, default=3.0)
    p.add_argument("--engines", default="pytorch,onnxruntime")
    args = p.parse_args()
    inputs = json.load(open(args.inputs))
    pairs, sizes = inputs["pairs"], inputs["batch_sizes"]
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    model, _ = load_model(args.e5s1)
    load_s = time.perf_counter() - started
    engines = []
    if "pytorch" in args.engines:
        engines.append(("pytorch", torch.__version__, torch_engine(model), load_s))
    if "onnxruntime" in args.engines:
        started = time.perf_counter()
        run, version = ort_engine(model, args.threads)
        engines.append(("onnxruntime", version, run, load_s + time.perf_counter() - started))
    for name, version, run, load in engines:
        for size in sizes:
            rate, ms = measure(run, pairs, size, args.min_time)
            print(json.dumps({"engine": f"{name} {version} fp32", "batch": size,
                              "pairs_per_second": round(rate, 2), "ms_per_batch": round(ms, 2),
                              "load_s": round(load, 2)}), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"engine": "python process", "peak_rss_bytes": peak}), flush=True)


if __name__ == "__main__":
    main()
