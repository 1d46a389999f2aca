#!/usr/bin/env bash
# One run on the same inputs: qawl's stock-candle f32 and fast f32 and int8 forwards once (`qawl
# bench --compare`: cold start, peak RSS, the token ids measured), then qawl f32 and int8, PyTorch
# and ONNX Runtime fp32 in interleaved rounds on those ids (bench/interleaved.py), so that the
# machine's drift hits every engine alike; then one table of medians and per-round ratios
# (bench/ratio_table.py); then the seed article's end-to-end latency with three targets.
# Not part of the product or of CI. First run sets up a venv from bench/requirements.txt (torch
# brings ~6 GB of wheels, ~5 minutes). Usage: [ROUNDS=5] bash bench/compare_engines.sh [seconds per batch size and round]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_SIZE=${1:-3}
ROUNDS=${ROUNDS:-5}
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
echo "== qawl f32, qawl int8, PyTorch and ONNX Runtime (2 threads), interleaved: $ROUNDS rounds"
"$VENV/bin/python" -W ignore bench/interleaved.py --qawl "$QAWL" --inputs "$OUT/inputs.json" \
  --rounds "$ROUNDS" --min-time "$SECONDS_PER_SIZE" \
  --e5s1 models/cache/multilingual-e5-small/e5-small-q4.bin | tee "$OUT/rounds.jsonl"
echo "== all engines, one table"
"$VENV/bin/python" bench/ratio_table.py "$OUT/qawl.txt" "$OUT/rounds.jsonl" | tee "$OUT/table.md"
echo "== seed article, three targets"
cargo bench --locked --bench seed_latency
