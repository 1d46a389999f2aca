#!/usr/bin/env python3
"""Write the dev splits behind the head manifests' numbers as `qawl eval` input files.

Reads ../shared/data (training data, never shipped; see its README.md) and cuts exactly the
splits models/train uses for selection (its task_data.py decides them), so `qawl eval` on these
files reproduces the manifests' `dev_metrics.select.by_source`. Standard library only.

Usage: python3 tools/eval/export_dev.py DATA_DIR OUT_DIR
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "models", "train"))
import task_data  # noqa: E402  (stdlib-only module: the one definition of every split)


def write(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{path}: {len(rows)} records")


def main(data, out):
    os.makedirs(out, exist_ok=True)
    read = task_data.read_jsonl
    ans = read(os.path.join(data, "ans", "stance_dev.jsonl"))
    write(os.path.join(out, "stance-ans-dev.jsonl"),
          [{k: r[k] for k in ("id", "premise", "hypothesis", "label")} for r in ans])
    xnli = read(os.path.join(data, "xnli_dev", "dev_ar.jsonl"))
    write(os.path.join(out, "stance-xnli-ar-dev.jsonl"),
          [{k: r[k] for k in ("id", "premise", "hypothesis", "label")}
           for r in xnli if r["pair_idx"] >= task_data.XNLI_TRAIN_BELOW])
    checkthat = read(os.path.join(data, "checkthat2022_ar", "1b_claim_train.jsonl"))
    write(os.path.join(out, "claims-checkthat-1b-dev.jsonl"),
          [{"id": r["id"], "text": r["text"], "label": int(r["label"])}
           for r in checkthat if task_data.in_dev(str(r["id"]), 15)])
    anercorp = read(os.path.join(data, "anercorp", "train.jsonl"))
    write(os.path.join(out, "ner-anercorp-dev.jsonl"),
          [{"id": r["id"], "tokens": r["tokens"], "tags": r["tags"]}
           for r in anercorp if task_data.in_dev(str(r["id"]), 10)])


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
