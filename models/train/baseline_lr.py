"""Baseline for the issue's report: frozen e5-small sentence embeddings (all 12 layers, mean-pooled
over the mask, L2-normalised, "query: " prefix, as e5 is used) + multinomial logistic regression.
stance: features [u, v, |u - v|, u * v] of premise u and hypothesis v; claim: u.
Same plans (task_plans.py) as the heads; the training set is capped (--max-train, spread over
sources) to save CPU. The L2 strength is picked on the select split; writes a JSON report."""
import argparse
import json
import time

import numpy as np
import torch

import dev_report
import e5_heads
import encode
import layer_cache
import task_data
import task_plans
from train_cached import parity_pick
from train_head import seed_everything


@torch.no_grad()
def embed(bert, tok, texts, prefix, max_tokens=4096):
    """{text: unit vector} for the unique texts."""
    uniq = sorted(set(texts))
    ids = [tok.encode(prefix + t).ids for t in uniq]
    out = {}
    for group in layer_cache._length_groups([len(x) for x in ids], max_tokens):
        t, m = layer_cache._pad_ids([ids[i] for i in group])
        h = bert(input_ids=t, attention_mask=m, token_type_ids=torch.zeros_like(t)).last_hidden_state
        w = m.unsqueeze(-1).float()
        v = torch.nn.functional.normalize((h * w).sum(1) / w.sum(1), dim=-1)
        for row, i in enumerate(group):
            out[uniq[i]] = v[row].numpy()
    return out


def features(task, exs, emb):
    if task == "claim":
        return np.stack([emb[ex.text] for ex in exs])
    u = np.stack([emb[ex.text] for ex in exs])
    v = np.stack([emb[ex.hypothesis] for ex in exs])
    return np.concatenate([u, v, np.abs(u - v), u * v], axis=1)


def fit_lr(x, y, n_labels, l2):
    x, y = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y)
    w = torch.zeros((x.shape[1], n_labels), dtype=torch.float64, requires_grad=True)
    b = torch.zeros(n_labels, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=300, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ w + b, y) + l2 * (w * w).sum()
        loss.backward()
        return loss
    opt.step(closure)
    return lambda z: (torch.as_tensor(z, dtype=torch.float64) @ w + b).detach().numpy()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--task", required=True, choices=["stance", "claim"])
    p.add_argument("--e5", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--data", default="../../../shared/data")
    p.add_argument("--out", required=True, help="JSON report")
    p.add_argument("--max-train", type=int, default=4000)
    p.add_argument("--max-len", type=int, default=64, help="per sentence")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--limit-dev", type=int, default=0, help="smoke test: dev examples per split")
    args = p.parse_args()
    seed_everything(args.seed, 1)
    t0, c0 = time.time(), time.process_time()
    train_ex, sel_ex, rep_ex, _ = task_plans.PLANS[args.task](args.data)
    train_ex = [train_ex[i] for i in sorted(parity_pick(train_ex, args.max_train))]
    if args.limit_dev:
        sel_ex, rep_ex = ([exs[i] for i in sorted(parity_pick(exs, args.limit_dev))] for exs in (sel_ex, rep_ex))
    bert = e5_heads.load_e5(args.e5).eval()
    tok = encode.load_tokenizer(args.tokenizer, args.max_len)
    texts = [t for ex in train_ex + sel_ex + rep_ex for t in ((ex.text, ex.hypothesis) if args.task == "stance" else (ex.text,))]
    emb = embed(bert, tok, texts, "query: ")
    print(f"embedded {len(emb)} unique texts in {time.time() - t0:.0f} s", flush=True)
    labels = task_data.LABELS[args.task]
    xtr, ytr = features(args.task, train_ex, emb), [ex.label for ex in train_ex]
    xsel, xrep = features(args.task, sel_ex, emb), (features(args.task, rep_ex, emb) if rep_ex else None)
    best = None
    for l2 in (1e-4, 1e-3, 1e-2):
        predict = fit_lr(xtr, ytr, len(labels), l2)
        rep = dev_report.sequence_report(args.task, sel_ex, list(predict(xsel)), temperature=1.0)
        key = dev_report.summary_line(args.task, rep)
        score = float(np.mean(list(key.values())))
        print(f"l2 {l2}: {key}", flush=True)
        if best is None or score > best[0]:
            best = (score, l2, predict, rep)
    _, l2, predict, sel_rep = best
    rep_rep = dev_report.sequence_report(args.task, rep_ex, list(predict(xrep)), temperature=1.0) if rep_ex else None
    acc = lambda r: {s: round(v["accuracy"], 4) for s, v in r["by_source"].items()} if r else None
    out = dict(method=__doc__.split("\n")[0], train_examples=len(train_ex), l2=l2, max_len=args.max_len,
               select=dict(key=dev_report.summary_line(args.task, sel_rep), accuracy=acc(sel_rep)),
               report=dict(key=dev_report.summary_line(args.task, rep_rep), accuracy=acc(rep_rep)) if rep_rep else None,
               wall_seconds=round(time.time() - t0, 1), cpu_seconds=round(time.process_time() - c0, 1))
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
