"""Print models/heads/README.md (markdown) from the heads' manifest.json and baseline_lr.json files.
Usage: python heads_table.py ../heads > ../heads/README.md"""
import json
import os
import sys


def load(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def f3(x):
    return "–" if x is None else f"{x:.3f}"


def stance_section(m, lr):
    lines = ["## stance (`stance/`)", "",
             "Labels entailment / neutral / contradiction (= ENTAILS / NEUTRAL / CONTRADICTS). "
             "`select` rows chose the checkpoint and the temperature; `report` rows did neither. "
             "Macro-F1 is over entailment and contradiction only (the issue's ANS target). `unrelated`: "
             "synthetic report-only pairs (a dev premise with the hypothesis of a dev pair from another "
             "premise), all neutral, so accuracy is the share scored neutral.", "",
             "| split | source | n | head acc | head macro-F1 (E/C) | majority acc | e5+LR acc | e5+LR macro-F1 (E/C) |",
             "|---|---|---|---|---|---|---|---|"]
    maj = m["baselines"]["majority"]
    for split in ("select", "report"):
        rep = m["dev_metrics"][split]
        for src, v in rep["by_source"].items():
            n = sum(c["support"] for c in v["per_class"].values())
            lr_split = (lr or {}).get(split) or {}
            pc = v["per_class"]  # no E/C gold (the all-neutral `unrelated` pairs): no E/C macro-F1
            ec = v["macro_f1_entail_contra"] if pc["entailment"]["support"] + pc["contradiction"]["support"] else None
            lines.append(f"| {split} | {src} | {n} | {f3(v['accuracy'])} | {f3(ec)} | "
                         f"{f3(maj[split]['accuracy'].get(src))} | {f3((lr_split.get('accuracy') or {}).get(src))} | "
                         f"{f3((lr_split.get('key') or {}).get(src))} |")
    sel, rep = m["dev_metrics"]["select"], m["dev_metrics"]["report"]
    lines += ["", f"Temperature {m['temperature']:.3f} (fit on select). ECE (15 bins): select "
              f"{sel['ece_before']:.3f} → {sel['ece_after']:.3f}; report (held out from the fit) "
              f"{rep['ece_before']:.3f} → {rep['ece_after']:.3f}. Majority class: {maj['select']['label']}.", ""]
    return lines


def claim_section(m, lr):
    lines = ["## claim (`claim/`)", "", "F1 of class 1 (claim), on hash-cut dev splits held out from training.", "",
             "| source | n | head F1 | head ROC-AUC | head acc | majority F1 | e5+LR F1 |", "|---|---|---|---|---|---|---|"]
    maj = m["baselines"]["majority"]["select"]
    for src, v in m["dev_metrics"]["select"]["by_source"].items():
        n = sum(c["support"] for c in v["per_class"].values())
        lines.append(f"| {src} | {n} | {f3(v['f1_claim'])} | {f3(v['roc_auc'])} | {f3(v['accuracy'])} | "
                     f"{f3(maj['by_source'].get(src))} | {f3(((lr or {}).get('select') or {}).get('key', {}).get(src))} |")
    sel = m["dev_metrics"]["select"]
    lines += ["", f"Temperature {m['temperature']:.3f}; ECE {sel['ece_before']:.3f} → {sel['ece_after']:.3f} "
              f"(fit and measured on the same split). Majority class: {maj['label']}.", ""]
    return lines


def ner_section(m, lr):
    lines = ["## ner (`ner/`)", "", "Entity-level F1 (exact span and type); MISC counted as O. Majority baseline "
             "(all O) scores 0 everywhere. e5+LR: frozen e5 token states (first sub-token per word) + "
             "logistic regression per word (`baseline_lr.json`).", "",
             "| split | source | PER F1 | ORG F1 | LOC F1 | micro F1 | PER support | e5+LR PER F1 | e5+LR micro F1 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for split in ("select", "report"):
        rep = m["dev_metrics"][split]
        for src, v in (rep or {}).get("by_source", {}).items():
            g = lambda t: v.get(t, {}).get("f1")
            b = (((lr or {}).get(split) or {}).get("by_source") or {}).get(src) or {}
            lines.append(f"| {split} | {src} | {f3(g('PER'))} | {f3(g('ORG'))} | {f3(g('LOC'))} | {f3(g('micro'))} | "
                         f"{v.get('PER', {}).get('support', 0)} | {f3(b.get('PER'))} | {f3(b.get('micro'))} |")
    return lines + [""]


def curve_section(name, m):
    first = m["learning_curve"][0]
    accs = list(first.get("accuracy") or {}) if name != "ner" else []
    key = {"stance": "macro-F1 E/C", "claim": "F1 claim", "ner": "PER F1"}[name]
    lines = [f"Learning curve ({name}, select split, by examples seen; {key}, then accuracy):", "",
             "| step | examples | " + " | ".join(first["by_source"]) + " | " +
             "".join(f"acc {a} | " for a in accs) + "score |",
             "|---|---|" + "---|" * (len(first["by_source"]) + len(accs) + 1)]
    for c in m["learning_curve"]:
        lines.append(f"| {c['step']} | {c['examples_seen']} | " +
                     " | ".join(f3(x) for x in c["by_source"].values()) + " | " +
                     "".join(f"{f3(c['accuracy'][a])} | " for a in accs) + f"{c['score']:.3f} |")
    return lines + [""]


def main():
    root = sys.argv[1]
    out = ["# qawl heads (issue 5)", "",
           "LoRA adapters + linear heads on multilingual-e5-small (the dequantized E5S1 weights the product "
           "loads), trained by `models/train/run_all.sh` (see `models/train/README.md`). Each folder: "
           "`model.safetensors`, `manifest.json` (data, splits, hyper-parameters, every dev metric, sha256s), "
           "`dev_predictions.jsonl` (full-model logits/probabilities of fixed dev examples with their input "
           "ids, for the Rust parity test). All numbers below are generated from the manifests by "
           "`models/train/heads_table.py`.", ""]
    for task in ("stance", "claim", "ner"):
        m = load(os.path.join(root, task, "manifest.json"))
        if not m:
            out += [f"## {task}", "", "not trained yet", ""]
            continue
        lr = load(os.path.join(root, task, "baseline_lr.json"))
        out += {"stance": lambda: stance_section(m, lr), "claim": lambda: claim_section(m, lr),
                "ner": lambda: ner_section(m, lr)}[task]()
        out += curve_section(task, m)
        t = m["training"]
        out += [f"K = {m['hyperparameters']['k']} frozen layers, LoRA r {m['lora']['r']} on layers "
                f"{m['lora']['layers'][0]}–{m['lora']['layers'][-1]} ({', '.join(m['lora']['targets'])}), "
                f"max length {m['max_len']}, {t['steps']} steps; wall {m['wall_seconds']:.0f} s "
                f"(layer cache {t['cache_seconds']:.0f} s, training {t['seconds']:.0f} s), "
                f"CPU {m['cpu_seconds']:.0f} s. Parity: full-model vs cached logits differ by at most "
                f"{m['parity']['max_abs_logit_diff_full_vs_cached']:.1e}.", ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
