"""Dev metrics and temperature scaling (numpy / torch only)."""
import numpy as np
import torch


def classification_report(gold, pred, labels):
    """Accuracy, per-class P/R/F1, macro-F1 over the classes present in gold, confusion matrix."""
    gold, pred = np.asarray(gold), np.asarray(pred)
    n = len(labels)
    conf = np.zeros((n, n), dtype=int)
    for g, p in zip(gold, pred):
        conf[g, p] += 1
    per_class, f1s = {}, []
    for i, name in enumerate(labels):
        tp = conf[i, i]
        prec = tp / conf[:, i].sum() if conf[:, i].sum() else 0.0
        rec = tp / conf[i, :].sum() if conf[i, :].sum() else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_class[name] = dict(precision=float(prec), recall=float(rec), f1=float(f1), support=int(conf[i].sum()))
        if conf[i].sum():
            f1s.append(f1)
    return dict(accuracy=float((gold == pred).mean()) if len(gold) else 0.0,
                macro_f1=float(np.mean(f1s)) if f1s else 0.0, per_class=per_class, confusion=conf.tolist())


def roc_auc(gold, score):
    """Probability that a random positive outscores a random negative (ties count half)."""
    gold, score = np.asarray(gold), np.asarray(score)
    pos, neg = score[gold == 1], score[gold == 0]
    if not len(pos) or not len(neg):
        return None
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def bio_spans(tags, labels):
    """{(type, start, end)} from BIO tag indices; a stray I- starts a span."""
    spans, start, kind = set(), None, None
    for i, t in enumerate(list(tags) + [0]):
        name = labels[t]
        if start is not None and (name == "O" or name.startswith("B-") or name[2:] != kind):
            spans.add((kind, start, i))
            start = None
        if name != "O" and start is None:
            start, kind = i, name[2:]
    return spans


def entity_f1(gold_seqs, pred_seqs, labels):
    """Entity-level precision/recall/F1 per type and micro overall (exact span + type)."""
    counts = {}
    for g, p in zip(gold_seqs, pred_seqs):
        gs, ps = bio_spans(g, labels), bio_spans(p, labels)
        for kind in {s[0] for s in gs | ps}:
            c = counts.setdefault(kind, [0, 0, 0])
            gk, pk = {s for s in gs if s[0] == kind}, {s for s in ps if s[0] == kind}
            c[0] += len(gk & pk)
            c[1] += len(pk)
            c[2] += len(gk)

    def prf(tp, npred, ngold):
        p = tp / npred if npred else 0.0
        r = tp / ngold if ngold else 0.0
        return dict(precision=p, recall=r, f1=2 * p * r / (p + r) if p + r else 0.0, support=ngold)
    report = {k: prf(*c) for k, c in sorted(counts.items())}
    report["micro"] = prf(*[sum(c[i] for c in counts.values()) for i in range(3)])
    return report


def fit_temperature(logits, gold):
    """Temperature T minimising dev NLL of softmax(logits / T)."""
    logits = torch.as_tensor(np.asarray(logits), dtype=torch.float64)
    gold = torch.as_tensor(np.asarray(gold), dtype=torch.long)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=100)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits / log_t.exp(), gold)
        loss.backward()
        return loss
    opt.step(closure)
    return log_t.exp().item()


def expected_calibration_error(probs, gold, bins=15):
    """ECE of the top-class confidence, equal-width bins."""
    probs, gold = np.asarray(probs), np.asarray(gold)
    conf, pred = probs.max(1), probs.argmax(1)
    ece = 0.0
    for lo in np.linspace(0, 1, bins, endpoint=False):
        sel = (conf > lo) & (conf <= lo + 1 / bins)
        if sel.any():
            ece += sel.mean() * abs((pred[sel] == gold[sel]).mean() - conf[sel].mean())
    return float(ece)
