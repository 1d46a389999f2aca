"""Train one qawl head (stance, claim or ner) as LoRA adapters + a linear head on
multilingual-e5-small, on CPU, reproducibly. See README.md for the exact commands.

Outputs in --out: model.safetensors (LoRA A/B + head, float32), manifest.json (data, splits,
hyper-parameters, dev metrics, sha256s), dev_predictions.jsonl (ids, input ids and logits of the
first --parity-examples dev examples, for the Rust parity test).
"""
import argparse
import hashlib
import json
import os
import random
import time

import numpy as np
import torch

import dev_report
import e5_heads
import encode
import task_data

KIND = {"stance": "sequence", "claim": "sequence", "ner": "token"}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", required=True, choices=sorted(KIND))
    p.add_argument("--e5", required=True, help="e5-small-q4.bin (E5S1)")
    p.add_argument("--tokenizer", required=True, help="XLM-R tokenizer.json")
    p.add_argument("--data", default="../shared/data")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--prefix", default="query: ")
    p.add_argument("--max-len", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: no limit)")
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--warmup", type=float, default=0.06, help="fraction of steps")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--lora-r", type=int, default=8)
    p.add_argument("--lora-alpha", type=float, default=16)
    p.add_argument("--lora-dropout", type=float, default=0.1)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--lora-layers", type=int, default=12, help="adapt only the top N of the 12 layers")
    p.add_argument("--targets", default=",".join(e5_heads.DEFAULT_TARGETS))
    p.add_argument("--max-train-per-source", type=int, default=0, help="0: all")
    p.add_argument("--max-train", type=int, default=0, help="cap on the mixed training set (0: all)")
    p.add_argument("--max-dev-per-source", type=int, default=0, help="0: all")
    p.add_argument("--checkthat", default="1b", choices=["1a", "1b"])
    p.add_argument("--no-ans-headlines", action="store_true", help="claim: leave ANS headlines out")
    p.add_argument("--parity-examples", type=int, default=32)
    p.add_argument("--log-every", type=int, default=20)
    return p.parse_args()


def seed_everything(seed, threads):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def sample(examples, cap, rng):
    if not cap or len(examples) <= cap:
        return list(examples)
    return rng.sample(examples, cap)


def build_splits(args, rng):
    options = {}
    if args.task == "claim":
        options = dict(checkthat_subtask=args.checkthat, ans_headlines=not args.no_ans_headlines)
    sources = task_data.load_task(args.task, args.data, **options)
    train, dev, counts = [], [], {}
    for name, (tr, dv) in sources.items():
        tr, dv = sample(tr, args.max_train_per_source, rng), sample(dv, args.max_dev_per_source, rng)
        train += tr
        dev += dv
        counts[name] = dict(train=len(tr), dev=len(dv))
    rng.shuffle(train)
    train = train[:args.max_train] if args.max_train else train
    return train, dev, counts


def batches(rows, size, rng=None, bucket=50):
    """In order (rng None), or shuffled with similar lengths grouped: shuffle, sort each window of
    `bucket` batches by length, then shuffle the batches (less padding, still random)."""
    order = list(range(len(rows)))
    if rng is not None:
        rng.shuffle(order)
        window = size * bucket
        order = [j for w in range(0, len(order), window)
                 for j in sorted(order[w:w + window], key=lambda j: len(rows[j][0]))]
    groups = [order[i:i + size] for i in range(0, len(order), size)]
    if rng is not None:
        rng.shuffle(groups)
    for group in groups:
        yield [rows[j] for j in group]


def loss_fn(logits, labels, kind):
    if kind == "token":
        logits, labels = logits.reshape(-1, logits.size(-1)), labels.reshape(-1)
    return torch.nn.functional.cross_entropy(logits, labels, ignore_index=encode.IGNORE)


def train(model, rows, args, rng):
    kind = KIND[args.task]
    steps_per_epoch = (len(rows) + args.batch_size - 1) // args.batch_size
    total = max(1, int(steps_per_epoch * args.epochs))
    total = min(total, args.max_steps) if args.max_steps else total
    opt = torch.optim.AdamW(model.trainable_parameters(), lr=args.lr, weight_decay=args.weight_decay)
    warm = max(1, int(args.warmup * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / max(1, total - warm)))
    model.train()
    step, start, cpu0, losses = 0, time.time(), time.process_time(), []
    while step < total:
        for batch in batches(rows, args.batch_size, rng):
            ids, mask, labels = encode.collate(batch, kind == "token")
            loss = loss_fn(model(ids, mask), labels, kind)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.trainable_parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            losses.append(loss.item())
            if step % args.log_every == 0 or step == total:
                print(f"step {step}/{total} loss {np.mean(losses[-args.log_every:]):.4f} "
                      f"{(time.time() - start) / step:.2f} s/step wall, "
                      f"{(time.process_time() - cpu0) / step:.2f} s/step CPU", flush=True)
            if step >= total:
                break
    return dict(steps=step, seconds=round(time.time() - start, 1),
                cpu_seconds=round(time.process_time() - cpu0, 1), final_loss=losses[-1])


@torch.no_grad()
def predict(model, rows, args):
    """Logits per dev row, in row order (sequence: [labels]; token: [seq][labels])."""
    model.eval()
    out = []
    for batch in batches(rows, args.batch_size * 2):
        ids, mask, _ = encode.collate(batch, KIND[args.task] == "token")
        logits = model(ids, mask)
        for i, (row_ids, _) in enumerate(batch):
            out.append(logits[i, :len(row_ids)].numpy() if KIND[args.task] == "token" else logits[i].numpy())
    return out


def main():
    args = parse_args()
    seed_everything(args.seed, args.threads)
    rng = random.Random(args.seed)
    t0 = time.time()
    train_ex, dev_ex, counts = build_splits(args, rng)
    tok = encode.load_tokenizer(args.tokenizer, args.max_len)
    train_rows = [encode.encode(tok, args.task, ex, args.prefix) for ex in train_ex]
    dev_rows = [encode.encode(tok, args.task, ex, args.prefix) for ex in dev_ex]
    print(f"{args.task}: {len(train_rows)} train, {len(dev_rows)} dev examples: {counts}", flush=True)

    labels = task_data.LABELS[args.task]
    model = e5_heads.HeadModel(e5_heads.load_e5(args.e5), len(labels), KIND[args.task], args.lora_r,
                               args.lora_alpha, args.lora_dropout, args.dropout, args.targets.split(","),
                               args.lora_layers)
    n_train = sum(p.numel() for p in model.trainable_parameters())
    print(f"trainable parameters: {n_train}", flush=True)
    run = train(model, train_rows, args, rng)

    logits = predict(model, dev_rows, args)
    if args.task == "ner":
        report = dev_report.ner_report(dev_ex, dev_rows, logits)
    else:
        report = dev_report.sequence_report(args.task, dev_ex, logits)
    print("dev:", json.dumps(dev_report.summary_line(args.task, report)), flush=True)

    hyper = {k: v for k, v in vars(args).items() if k not in ("e5", "tokenizer", "data", "out")}
    head_sha = e5_heads.save_head(model, args.out, dict(task=args.task, labels=",".join(labels)))
    manifest = dict(
        task=args.task, labels=labels, kind=KIND[args.task],
        pooling="mean over attention_mask" if KIND[args.task] == "sequence" else "per token",
        input_format=("<s> prefix+premise </s></s> prefix+hypothesis </s>" if args.task == "stance"
                      else "<s> prefix+text </s>"),
        prefix=args.prefix, max_len=args.max_len, token_type_ids="all 0",
        lora=dict(r=args.lora_r, alpha=args.lora_alpha, scaling=args.lora_alpha / args.lora_r,
                  targets=args.targets.split(","),
                  layers=list(range(12 - args.lora_layers, 12)), formula="y = W x + b + scaling * B (A x)"),
        temperature=report.get("temperature", 1.0),
        base_model=dict(file=os.path.basename(args.e5), sha256=sha256(args.e5),
                        weights="Q4_0 dequantized to float32"),
        tokenizer_sha256=sha256(args.tokenizer), model_sha256=head_sha,
        data=counts, hyperparameters=hyper, trainable_parameters=n_train, training=run,
        dev_metrics=report, wall_seconds=round(time.time() - t0, 1),
        versions=dict(torch=torch.__version__, transformers=__import__("transformers").__version__,
                      peft=__import__("peft").__version__))
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
    with open(os.path.join(args.out, "dev_predictions.jsonl"), "w", encoding="utf-8") as f:
        for ex, (ids, _), lg in list(zip(dev_ex, dev_rows, logits))[:args.parity_examples]:
            f.write(json.dumps(dict(id=ex.id, source=ex.source, input_ids=ids,
                                    logits=np.round(lg.astype(np.float64), 6).tolist()),
                               ensure_ascii=False) + "\n")
    print(f"wrote {args.out} in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
