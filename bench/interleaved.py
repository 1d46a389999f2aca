"""qawl f32, qawl int8, PyTorch and ONNX Runtime measured in interleaved rounds on the same token
ids (not part of the product; pinned environment in bench/requirements.txt).

These machines are shared and their speed drifts by ±20 % within minutes, so engines measured one
after the other, minutes apart, give ratios that drift as much. Here PyTorch and ONNX Runtime load
once, then every round measures the four engines back to back at each batch size; the table
(bench/ratio_table.py) reports each engine's median and the median of the per-round ratios, with
their range.

    python bench/interleaved.py --qawl target/release/qawl --inputs target/bench-inputs.json \
        --e5s1 models/cache/multilingual-e5-small/e5-small-q4.bin --rounds 5 --min-time 3
"""
import argparse
import json
import re
import subprocess
import sys
import time

import torch

from engines import load_model, measure, ort_engine, torch_engine

QAWL_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*([\d.]+)\s*\|")


def qawl_rate(binary, dtype, size, seconds, models_dir):
    """Pairs/s of one `qawl bench --dtype DTYPE --batch-size SIZE` run."""
    command = [binary, "bench", "--dtype", dtype, "--seconds", str(seconds),
               "--batch-size", str(size)]
    if models_dir:
        command += ["--models-dir", models_dir]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rates = {int(m[1]): float(m[2]) for m in map(QAWL_ROW.match, out.splitlines()) if m}
    if size not in rates:
        raise SystemExit(f"`{' '.join(command)}` printed no rate for batch size {size}:\n{out}")
    return rates[size]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--qawl", required=True, help="the release `qawl` binary")
    p.add_argument("--models-dir", help="qawl's models folder (its default when absent)")
    p.add_argument("--inputs", required=True, help="JSON written by `qawl bench --write-inputs`")
    p.add_argument("--e5s1", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--min-time", type=float, default=3.0)
    args = p.parse_args()
    inputs = json.load(open(args.inputs))
    pairs, sizes = inputs["pairs"], inputs["batch_sizes"]
    torch.set_num_threads(args.threads)
    model, _ = load_model(args.e5s1)
    ort_run, ort_version = ort_engine(model, args.threads)
    python_engines = [
        (f"pytorch {torch.__version__} fp32", torch_engine(model)),
        (f"onnxruntime {ort_version} fp32", ort_run),
    ]
    for round_ in range(1, args.rounds + 1):
        started = time.perf_counter()
        # Engine after engine at one batch size, then the next size: what the four are compared
        # on is seconds apart, not minutes.
        for size in sizes:
            for dtype in ("f32", "int8"):
                rate = qawl_rate(args.qawl, dtype, size, args.min_time, args.models_dir)
                print(json.dumps({"round": round_, "engine": f"qawl {dtype}", "batch": size,
                                  "pairs_per_second": rate}), flush=True)
            for name, run in python_engines:
                rate, _ = measure(run, pairs, size, args.min_time)
                print(json.dumps({"round": round_, "engine": name, "batch": size,
                                  "pairs_per_second": round(rate, 2)}), flush=True)
        print(f"round {round_}/{args.rounds}: {time.perf_counter() - started:.0f} s",
              file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
