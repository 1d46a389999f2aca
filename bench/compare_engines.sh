#!/usr/bin/env bash
# One run on the same inputs: qawl's stock-candle f32 and fast f32 and int8 forwards (`qawl bench
# --compare`), then PyTorch and ONNX Runtime fp32 (bench/engines.py) on the very token ids qawl
# measured, then one table of ratios (bench/ratio_table.py); then the seed article's end-to-end
# latency with three targets, cold start and peak RSS.
# Not part of the product or of CI. First run sets up a venv from bench/requirements.txt (torch
# brings ~6 GB of wheels, ~5 minutes). Usage: bash bench/compare_engines.sh [seconds per batch size]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_SIZE=${1:-5}
VENV=${VENV:-.venv-bench}
OUT=${CARGO_TARGET_DIR:-target}/bench-engines
mkdir -p "$OUT"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r bench/requirements.txt
fi
cargo build --release --locked --bin qawl
QAWL=${CARGO_TARGET_DIR:-target}/release/qawl
"$QAWL" models fetch >/dev/null
echo "== qawl (Rust, candle): stock BertModel vs the fast forward"
"$QAWL" bench --compare --seconds "$SECONDS_PER_SIZE" --write-inputs "$OUT/inputs.json" | tee "$OUT/qawl.txt"
echo "== PyTorch and ONNX Runtime on the same token ids (2 threads)"
"$VENV/bin/python" -W ignore bench/engines.py --inputs "$OUT/inputs.json" --min-time "$SECONDS_PER_SIZE" \
  --e5s1 models/cache/multilingual-e5-small/e5-small-q4.bin | tee "$OUT/python.jsonl"
echo "== all engines, one table"
"$VENV/bin/python" bench/ratio_table.py "$OUT/qawl.txt" "$OUT/python.jsonl" | tee "$OUT/table.md"
echo "== seed article, three targets"
cargo bench --locked --bench seed_latency
