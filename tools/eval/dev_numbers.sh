#!/usr/bin/env bash
# Reproduce the heads' reported dev numbers with `qawl eval` (the Rust serving path) in f32, and
# fail if any differs from its manifest by more than 0.005. Then the same in int8 (the service's
# default precision): fail if a stance number loses more than 0.005 (the bar for int8 being the
# default), or any other more than 0.02.
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
run() { "$QAWL" eval "$2" --offline --json --precision "$1" --input "$OUT/$3" --predictions "$OUT/$1/$3.predictions"; }
for precision in f32 int8; do
  mkdir -p "$OUT/$precision"
  run $precision stance stance-ans-dev.jsonl > "$OUT/$precision/ans.json"
  run $precision stance stance-xnli-ar-dev.jsonl > "$OUT/$precision/xnli-ar.json"
  run $precision claims claims-checkthat-1b-dev.jsonl > "$OUT/$precision/checkthat.json"
  run $precision ner ner-anercorp-dev.jsonl > "$OUT/$precision/anercorp.json"
done
python3 - "$OUT" <<'PY'
import json, sys
root = sys.argv[1]
load = lambda p: json.load(open(p))
stance = load("models/heads/stance/manifest.json")["dev_metrics"]["select"]["by_source"]
claim = load("models/heads/claim/manifest.json")["dev_metrics"]["select"]["by_source"]
ner = load("models/heads/ner/manifest.json")["dev_metrics"]["select"]["by_source"]
def rows(out):
    """(name, qawl eval, manifest) for every reported number."""
    return [
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
print("f32: every number within 0.005 of the manifest")
for name, got, want in rows(f"{root}/f32"):
    ok = abs(got - want) <= 0.005
    bad += not ok
    print(f"  {name:<42} qawl eval {got:.4f}   manifest {want:.4f}   {'ok' if ok else 'DIFFERS'}")
print("int8: stance loses at most 0.005, the rest at most 0.02")
for name, got, want in rows(f"{root}/int8"):
    ok = want - got <= (0.005 if name.startswith("stance") else 0.02)
    bad += not ok
    print(f"  {name:<42} qawl eval {got:.4f}   f32 manifest {want:.4f}   {got - want:+.4f}   {'ok' if ok else 'LOSES'}")
sys.exit(1 if bad else 0)
PY
