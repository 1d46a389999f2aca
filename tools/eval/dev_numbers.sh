#!/usr/bin/env bash
# Reproduce the heads' reported dev numbers with `qawl eval` (the Rust serving path), and fail
# if any differs from its manifest by more than 0.005.
# Needs the training data beside the checkout (../shared/data, or DATA=...), which users do not
# have; CI has it. Usage: bash tools/eval/dev_numbers.sh   (QAWL=path/to/qawl to choose the binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
OUT=${OUT:-target/eval-dev}
QAWL=${QAWL:-${CARGO_TARGET_DIR:-target}/debug/qawl}
if [ ! -d "$DATA" ]; then
  echo "no training data at $DATA: skipping the dev-number check" >&2
  exit 0
fi
python3 tools/eval/export_dev.py "$DATA" "$OUT"
run() { "$QAWL" eval "$1" --offline --json --input "$OUT/$2" --predictions "$OUT/$2.predictions"; }
run stance stance-ans-dev.jsonl > "$OUT/ans.json"
run stance stance-xnli-ar-dev.jsonl > "$OUT/xnli-ar.json"
run claims claims-checkthat-1b-dev.jsonl > "$OUT/checkthat.json"
run ner ner-anercorp-dev.jsonl > "$OUT/anercorp.json"
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
load = lambda p: json.load(open(p))
stance = load("models/heads/stance/manifest.json")["dev_metrics"]["select"]["by_source"]
claim = load("models/heads/claim/manifest.json")["dev_metrics"]["select"]["by_source"]
ner = load("models/heads/ner/manifest.json")["dev_metrics"]["select"]["by_source"]
# (name, qawl eval, manifest): every row must agree within 0.005.
rows = [
    ("stance ANS macro-F1 entails/contradicts", load(f"{out}/ans.json")["macro_f1_entails_contradicts"],
     stance["ans"]["macro_f1_entail_contra"]),
    ("stance XNLI-ar accuracy", load(f"{out}/xnli-ar.json")["accuracy"], stance["xnli_ar"]["accuracy"]),
    ("claim CheckThat-1b F1(claim)", load(f"{out}/checkthat.json")["f1_claim"], claim["checkthat_1b"]["f1_claim"]),
    ("claim CheckThat-1b ROC-AUC", load(f"{out}/checkthat.json")["roc_auc"], claim["checkthat_1b"]["roc_auc"]),
] + [
    (f"ner ANERcorp {kind} F1", load(f"{out}/anercorp.json")["entities"][kind]["f1"], ner["anercorp"][kind]["f1"])
    for kind in ("PER", "ORG", "LOC", "micro")
]
bad = 0
for name, got, want in rows:
    ok = abs(got - want) <= 0.005
    bad += not ok
    verdict = "ok" if ok else "DIFFERS"
    print(f"{name:<42} qawl eval {got:.4f}   manifest {want:.4f}   {verdict}")
sys.exit(1 if bad else 0)
PY
