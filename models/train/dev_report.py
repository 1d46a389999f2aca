"""Dev metrics per source and overall, from the logits train_head.predict returns."""
import numpy as np
import torch

import encode
import metrics
import task_data


def softmax(x, temperature=1.0):
    return torch.softmax(torch.as_tensor(np.asarray(x) / temperature), dim=-1).numpy()


def sequence_report(task, dev, logits, temperature=None):
    """Metrics per source; `temperature` None fits it on these logits (else applies the given one)."""
    labels = task_data.LABELS[task]
    gold = [ex.label for ex in dev]
    logits = np.stack(logits)
    if temperature is None:
        temperature = metrics.fit_temperature(logits, gold) if len(dev) else 1.0
    probs = softmax(logits, temperature)
    pred = probs.argmax(1)
    report = dict(temperature=temperature,
                  ece_before=metrics.expected_calibration_error(softmax(logits), gold),
                  ece_after=metrics.expected_calibration_error(probs, gold),
                  overall=metrics.classification_report(gold, pred, labels), by_source={})
    for source in sorted({ex.source for ex in dev}):
        sel = [i for i, ex in enumerate(dev) if ex.source == source]
        sub = metrics.classification_report([gold[i] for i in sel], pred[sel], labels)
        if task == "stance":  # the target: macro-F1 over entails vs contradicts
            pc = sub["per_class"]
            sub["macro_f1_entail_contra"] = (pc["entailment"]["f1"] + pc["contradiction"]["f1"]) / 2
        if task == "claim":
            sub["f1_claim"] = sub["per_class"]["claim"]["f1"]
            sub["roc_auc"] = metrics.roc_auc([gold[i] for i in sel], probs[sel, 1])
        report["by_source"][source] = sub
    return report


def ner_report(dev, encoded, logits):
    labels = task_data.NER_LABELS
    gold, pred = [], []
    for ex, (_, enc_labels), lg in zip(dev, encoded, logits):
        gold.append(ex.label)
        pred.append(encode.word_predictions(enc_labels, lg.argmax(-1).tolist(), len(ex.tokens)))
    report = dict(overall=metrics.entity_f1(gold, pred, labels), by_source={})
    for source in sorted({ex.source for ex in dev}):
        sel = [i for i, ex in enumerate(dev) if ex.source == source]
        report["by_source"][source] = metrics.entity_f1([gold[i] for i in sel], [pred[i] for i in sel], labels)
    return report


def summary_line(task, report):
    if task == "ner":
        return {k: round(v["PER"]["f1"], 3) if "PER" in v else None for k, v in report["by_source"].items()}
    key = {"stance": "macro_f1_entail_contra", "claim": "f1_claim"}[task]
    return {k: round(v[key], 3) for k, v in report["by_source"].items()}
