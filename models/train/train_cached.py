"""Train one qawl head (stance, claim or ner) fast on CPU: freeze layers 0..K-1 of e5-small,
cache their output once per example (layer_cache.py), train LoRA on layers K..11 + a linear head
for a few epochs, select the best checkpoint on the `select` dev split, fit the temperature there,
and report `select` + `report` dev metrics per source. See README.md for the commands and budget.

Writes to --out: model.safetensors, manifest.json, dev_predictions.jsonl (full-model logits and
probabilities of --parity-examples dev examples, with their input ids, for the Rust parity test).
"""
import argparse
import json
import os
import random
import time

import numpy as np
import torch

import dev_report
import e5_heads
import encode
import layer_cache
import task_data
import task_plans
from train_head import KIND, loss_fn, seed_everything, sha256


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", required=True, choices=sorted(KIND))
    p.add_argument("--e5", required=True, help="e5-small-q4.bin (E5S1)")
    p.add_argument("--tokenizer", required=True, help="XLM-R tokenizer.json")
    p.add_argument("--data", default="../../../shared/data")
    p.add_argument("--out", required=True)
    p.add_argument("--cache-dir", default="/tmp/qawl-layer-cache", help="cached layer-K states (not committed)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--prefix", default="query: ")
    p.add_argument("--k", type=int, default=8, help="freeze and cache layers 0..K-1; adapt K..11")
    p.add_argument("--max-len", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--evals-per-epoch", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--head-lr", type=float, default=0.0, help="learning rate of the head (0: --lr)")
    p.add_argument("--warmup", type=float, default=0.06)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--lora-r", type=int, default=8)
    p.add_argument("--lora-alpha", type=float, default=16)
    p.add_argument("--lora-dropout", type=float, default=0.1)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--pooling", default="mean", choices=["mean", "segments"],
                   help="sequence heads: mean over the mask, or [a, b, |a-b|, a*b] of the two texts' means")
    p.add_argument("--oversample", action="append", default=[],
                   help="SOURCE=N: every epoch sees each training example of SOURCE N times")
    p.add_argument("--class-balance", type=float, default=0.0,
                   help="sequence tasks: weight each training example n_s / (classes_s * n_sc) within its "
                        "source s, capped at this value (0: unweighted)")
    p.add_argument("--targets", default=",".join(e5_heads.DEFAULT_TARGETS))
    p.add_argument("--cap", action="append", default=[], help="plan cap override, NAME=INT (see task_plans.py)")
    p.add_argument("--parity-examples", type=int, default=200)
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--limit", type=int, default=0, help="smoke test: keep this many examples per split")
    return p.parse_args()


def select_score(task, report):
    """The number model selection maximises on the `select` split."""
    src = report["by_source"]
    if task == "stance":  # the two issue targets, equally weighted
        return (src["ans"]["macro_f1_entail_contra"] + src["xnli_ar"]["accuracy"]) / 2
    if task == "claim":
        return (2 * src["checkthat_1b"]["f1_claim"] + src["claimbuster"]["f1_claim"]) / 3
    return (2 * src["anercorp"]["micro"]["f1"] + src["wikigold"]["micro"]["f1"]) / 3


def evaluate(task, examples, rows, logits, temperature=None):
    if task == "ner":
        return dev_report.ner_report(examples, rows, logits)
    return dev_report.sequence_report(task, examples, logits, temperature)


def class_weights(examples, cap):
    """Per example: n_s / (classes present in s * n_sc) within its source s, at most `cap`, so every
    class of a source weighs the same (ANS is 64 % contradiction) without one rare class dominating."""
    counts, per_src = {}, {}
    for ex in examples:
        counts[(ex.source, ex.label)] = counts.get((ex.source, ex.label), 0) + 1
        per_src[ex.source] = per_src.get(ex.source, 0) + 1
    classes = {s: sum(1 for (src, _) in counts if src == s) for s in per_src}
    return [min(cap, per_src[ex.source] / (classes[ex.source] * counts[(ex.source, ex.label)])) for ex in examples]


def train(model, args, states, segs, rows, rng, on_eval, weights=None, epoch_order=None):
    token = KIND[args.task] == "token"
    labels = [label for _, label in rows]
    lengths = [s.shape[0] for s in states]
    epoch_order = epoch_order or list(range(len(states)))  # one epoch's example indices (repeats allowed)
    steps_per_epoch = (len(epoch_order) + args.batch_size - 1) // args.batch_size
    total = steps_per_epoch * args.epochs
    eval_at = {round(steps_per_epoch * e / args.evals_per_epoch) for e in range(1, args.evals_per_epoch * args.epochs + 1)}
    head = list(model.head.parameters())
    lora = [p for p in model.trainable_parameters() if all(p is not h for h in head)]
    opt = torch.optim.AdamW([dict(params=lora, lr=args.lr), dict(params=head, lr=args.head_lr or args.lr)],
                            weight_decay=args.weight_decay)
    warm = max(1, int(args.warmup * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / max(1, total - warm)))
    step, start, cpu0, losses = 0, time.time(), time.process_time(), []
    for _ in range(args.epochs):
        order = list(epoch_order)
        rng.shuffle(order)
        window = args.batch_size * 50
        order = [j for w in range(0, len(order), window) for j in sorted(order[w:w + window], key=lengths.__getitem__)]
        groups = [order[i:i + args.batch_size] for i in range(0, len(order), args.batch_size)]
        rng.shuffle(groups)
        for group in groups:
            model.train()
            hidden, mask, lab = layer_cache.collate_states([states[j] for j in group], [labels[j] for j in group], token)
            seg = layer_cache.pad_segments([segs[j] for j in group], hidden.shape[1])
            logits = layer_cache.top_forward(model, args.k, hidden, mask, seg)
            if weights is None:
                loss = loss_fn(logits, lab, KIND[args.task])
            else:
                w = torch.tensor([weights[j] for j in group])
                loss = (torch.nn.functional.cross_entropy(logits, lab, reduction="none") * w).sum() / w.sum()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.trainable_parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            losses.append(loss.item())
            if step % args.log_every == 0:
                print(f"step {step}/{total} loss {np.mean(losses[-args.log_every:]):.4f} "
                      f"{(time.time() - start) / step:.2f} s/step wall, "
                      f"{(time.process_time() - cpu0) / step:.2f} s/step CPU", flush=True)
            if step in eval_at or step == total:
                on_eval(step, min(step * args.batch_size, len(epoch_order) * args.epochs), step / steps_per_epoch)
    return dict(steps=step, seconds=round(time.time() - start, 1),
                cpu_seconds=round(time.process_time() - cpu0, 1), final_loss=float(np.mean(losses[-args.log_every:])))


def majority_baseline(task, train_ex, dev_ex):
    if task == "ner":
        return "all O: entity F1 0 for every type"
    top = int(np.bincount([ex.label for ex in train_ex]).argmax())
    n = len(task_data.LABELS[task])
    logits = [np.eye(n)[top] * 10.0 for _ in dev_ex]
    rep = dev_report.sequence_report(task, dev_ex, logits, temperature=1.0)
    return dict(label=task_data.LABELS[task][top], by_source=dev_report.summary_line(task, rep),
                accuracy={s: round(v["accuracy"], 4) for s, v in rep["by_source"].items()})


def parity_pick(examples, n):
    """n dev examples spread over sources: round-robin over sources, smallest id hash first."""
    by_src = {}
    for i, ex in enumerate(examples):
        by_src.setdefault(ex.source, []).append(i)
    queues = [sorted(v, key=lambda i: task_plans._hash(examples[i].id)) for _, v in sorted(by_src.items())]
    picked = []
    while len(picked) < n and any(queues):
        for q in queues:
            if q and len(picked) < n:
                picked.append(q.pop(0))
    return picked


def main():
    args = parse_args()
    seed_everything(args.seed, args.threads)
    rng = random.Random(args.seed)
    t0, cpu_t0 = time.time(), time.process_time()
    caps = {kv.split("=")[0]: int(kv.split("=")[1]) for kv in args.cap}
    train_ex, sel_ex, rep_ex, plan_caps = task_plans.PLANS[args.task](args.data, **caps)
    if args.limit:
        train_ex, sel_ex, rep_ex = ([exs[i] for i in sorted(parity_pick(exs, args.limit))]
                                    for exs in (train_ex, sel_ex, rep_ex))
    tok = encode.load_tokenizer(args.tokenizer, args.max_len)
    enc = lambda exs: [encode.encode(tok, args.task, ex, args.prefix) for ex in exs]
    train_rows, sel_rows, rep_rows = enc(train_ex), enc(sel_ex), enc(rep_ex)
    count = lambda exs: {s: sum(ex.source == s for ex in exs) for s in sorted({ex.source for ex in exs})}
    print(f"{args.task}: train {count(train_ex)}\nselect {count(sel_ex)}\nreport {count(rep_ex)}", flush=True)

    labels = task_data.LABELS[args.task]
    model = e5_heads.HeadModel(e5_heads.load_e5(args.e5), len(labels), KIND[args.task], args.lora_r,
                               args.lora_alpha, args.lora_dropout, args.dropout, args.targets.split(","),
                               12 - args.k)
    model.pooling = args.pooling
    if args.pooling == "segments":  # [a, b, |a-b|, a*b]: four times the hidden size
        model.head = torch.nn.Linear(4 * model.head.in_features, len(labels))
    def cache(tag, rows, exs):
        """Real and synthetic examples are cached apart, so adding synthetic pairs reuses the cache."""
        out = [None] * len(rows)
        for part, synthetic in (("", False), ("-synthetic", True)):
            idx = [i for i, ex in enumerate(exs) if (ex.source in task_plans.SYNTHETIC) == synthetic]
            if idx:
                states = layer_cache.bottom_states(model, [rows[i][0] for i in idx], args.k, args.cache_dir,
                                                   f"{args.task}-{tag}{part}-len{args.max_len}")
                for i, st in zip(idx, states):
                    out[i] = st
        return out
    cache_t0 = time.time()
    train_st, sel_st, rep_st = (cache("train", train_rows, train_ex), cache("select", sel_rows, sel_ex),
                                cache("report", rep_rows, rep_ex))
    cache_s = round(time.time() - cache_t0, 1)
    segs = lambda rows: [layer_cache.segments_of(ids) for ids, _ in rows]
    train_sg, sel_sg, rep_sg = segs(train_rows), segs(sel_rows), segs(rep_rows)

    curve, best = [], dict(score=-1.0)

    def on_eval(step, seen, epoch):
        rep = evaluate(args.task, sel_ex, sel_rows, layer_cache.predict_cached(model, args.k, sel_st, sel_sg))
        score = select_score(args.task, rep)
        curve.append(dict(step=step, examples_seen=seen, epoch=round(epoch, 2), score=round(score, 4),
                          by_source=dev_report.summary_line(args.task, rep),
                          accuracy={s: round(v["accuracy"], 4) for s, v in rep["by_source"].items()
                                    if "accuracy" in v}))
        print("eval", json.dumps(curve[-1]), flush=True)
        if score > best["score"]:
            best.update(score=score, step=step,
                        state={n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad})

    n_train = sum(p.numel() for p in model.trainable_parameters())
    print(f"trainable parameters: {n_train}", flush=True)
    weights = class_weights(train_ex, args.class_balance) if args.class_balance and KIND[args.task] == "sequence" else None
    repeat = {kv.split("=")[0]: int(kv.split("=")[1]) for kv in args.oversample}
    epoch_order = [i for i, ex in enumerate(train_ex) for _ in range(repeat.get(ex.source, 1))]
    run = train(model, args, train_st, train_sg, train_rows, rng, on_eval, weights, epoch_order)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n in best["state"]:
                p.copy_(best["state"][n])
    model.eval()

    sel_logits = layer_cache.predict_cached(model, args.k, sel_st, sel_sg)
    sel_report = evaluate(args.task, sel_ex, sel_rows, sel_logits)
    temperature = sel_report.get("temperature", 1.0)
    rep_logits = layer_cache.predict_cached(model, args.k, rep_st, rep_sg) if rep_st else []
    rep_report = evaluate(args.task, rep_ex, rep_rows, rep_logits, temperature) if rep_ex else None
    print("select:", json.dumps(dev_report.summary_line(args.task, sel_report)), flush=True)
    if rep_report:
        print("report:", json.dumps(dev_report.summary_line(args.task, rep_report)), flush=True)

    # Parity: the full 12-layer path from input ids (what serving computes) on fixed dev examples,
    # checked against the cached path the metrics came from.
    dev_ex, dev_rows, dev_logits = sel_ex + rep_ex, sel_rows + rep_rows, sel_logits + rep_logits
    picked = parity_pick(dev_ex, args.parity_examples)
    full = layer_cache.predict_full(model, [dev_rows[i][0] for i in picked])
    max_diff = max(float(np.abs(f - dev_logits[i]).max()) for f, i in zip(full, picked))
    print(f"parity: {len(picked)} examples, max |full - cached| logit difference {max_diff:.2e}", flush=True)

    head_sha = e5_heads.save_head(model, args.out, dict(task=args.task, labels=",".join(labels)))
    with open(os.path.join(args.out, "dev_predictions.jsonl"), "w", encoding="utf-8") as f:
        for i, lg in zip(picked, full):
            probs = dev_report.softmax(lg, temperature)
            f.write(json.dumps(dict(id=dev_ex[i].id, source=dev_ex[i].source, input_ids=dev_rows[i][0],
                                    logits=np.round(lg.astype(np.float64), 6).tolist(),
                                    probabilities=np.round(probs.astype(np.float64), 6).tolist()),
                               ensure_ascii=False) + "\n")
    hyper = {k: v for k, v in vars(args).items() if k not in ("e5", "tokenizer", "data", "out", "cache_dir", "cap")}
    manifest = dict(
        task=args.task, labels=labels, kind=KIND[args.task],
        pooling=("per token" if KIND[args.task] == "token" else "mean of last_hidden_state over attention_mask"
                 if args.pooling == "mean" else "segments: a = mean of last_hidden_state over the premise "
                 "positions (after <s>, before the first </s>), b = mean over the hypothesis positions (after "
                 "</s></s>, before the final </s>); head input concat[a, b, |a - b|, a * b] (1536)"),
        input_format=("<s> prefix+premise </s></s> prefix+hypothesis </s> (premise = claim, hypothesis = "
                      "proposition)" if args.task == "stance" else
                      "<s> prefix+text </s>" if args.task == "claim" else
                      "<s> prefix words + pre-tokenized words </s>; a word's tag = its first sub-token"),
        prefix=args.prefix, max_len=args.max_len, truncation="longest_first", token_type_ids="all 0",
        frozen_layers=list(range(args.k)),
        lora=dict(r=args.lora_r, alpha=args.lora_alpha, scaling=args.lora_alpha / args.lora_r,
                  targets=args.targets.split(","), layers=list(range(args.k, 12)),
                  formula="y = W x + b + scaling * B (A x)",
                  tensor_names="encoder.layer.L.<BertModel Linear path>.lora_A [r, in] / .lora_B [out, r]"),
        head=f"head.weight [labels, {model.head.in_features}], head.bias [labels]; applied to the pooled (or per-token) state",
        temperature=temperature, temperature_fit_on="select split",
        base_model=dict(file=os.path.basename(args.e5), sha256=sha256(args.e5), weights="Q4_0 dequantized to float32"),
        tokenizer_sha256=sha256(args.tokenizer), model_sha256=head_sha,
        data=dict(train=count(train_ex), select=count(sel_ex), report=count(rep_ex), caps=plan_caps,
                  splits=task_plans.PLANS[args.task].__doc__.strip()),
        hyperparameters=hyper, trainable_parameters=n_train,
        training=dict(run, cache_seconds=cache_s, best_step=best["step"], best_select_score=round(best["score"], 4)),
        learning_curve=curve,
        dev_metrics=dict(select=sel_report, report=rep_report),
        baselines=dict(majority=dict(select=majority_baseline(args.task, train_ex, sel_ex),
                                     report=majority_baseline(args.task, train_ex, rep_ex) if rep_ex else None)),
        parity=dict(examples=len(picked), file="dev_predictions.jsonl",
                    max_abs_logit_diff_full_vs_cached=max_diff,
                    note="logits from the full 12-layer fp32 path from input_ids; probabilities = softmax(logits / temperature)"),
        wall_seconds=round(time.time() - t0, 1), cpu_seconds=round(time.process_time() - cpu_t0, 1),
        versions=dict(torch=torch.__version__, transformers=__import__("transformers").__version__,
                      peft=__import__("peft").__version__))
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1, default=float)
    print(f"wrote {args.out} in {time.time() - t0:.0f} s wall, {time.process_time() - cpu_t0:.0f} s CPU", flush=True)


if __name__ == "__main__":
    main()
