"""Split the encoder at layer K: the frozen bottom (embeddings + layers 0..K-1) runs once per
example, in eval mode, and its output is cached; training then runs only layers K..11 (with LoRA)
and the head, every step. Exact, not an approximation: with no LoRA below K and no dropout in the
frozen part, the cached states are what the full model computes there (fp32, padding masked)."""
import hashlib
import os
import time

import torch
from transformers.masking_utils import create_bidirectional_mask

import encode


def bert_of(model):
    """The BertModel inside e5_heads.HeadModel (peft wraps it; LoRA modules are replaced in place)."""
    return model.encoder.base_model.model


def _mask4d(bert, hidden, mask):
    return create_bidirectional_mask(config=bert.config, inputs_embeds=hidden, attention_mask=mask)


def _length_groups(lengths, max_tokens):
    """Index groups, sorted by length, each with at most max_tokens padded tokens."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    groups, cur = [], []
    for i in order:
        if cur and (len(cur) + 1) * lengths[i] > max_tokens:
            groups.append(cur)
            cur = []
        cur.append(i)
    if cur:
        groups.append(cur)
    return groups


def _pad_ids(id_lists):
    width = max(len(x) for x in id_lists)
    ids = torch.full((len(id_lists), width), encode.PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(id_lists), width), dtype=torch.long)
    for i, x in enumerate(id_lists):
        ids[i, :len(x)] = torch.tensor(x)
        mask[i, :len(x)] = 1
    return ids, mask


@torch.no_grad()
def bottom_states(model, id_lists, k, cache_dir=None, tag="", max_tokens=4096):
    """Hidden states after layer k (list of [len_i, hidden] float32), cached on disk under
    cache_dir keyed by k and the exact input ids."""
    key = hashlib.sha256(repr((k, [tuple(x) for x in id_lists])).encode()).hexdigest()[:16]
    path = os.path.join(cache_dir, f"{tag}-k{k}-{key}.pt") if cache_dir else None
    if path and os.path.exists(path):
        return torch.load(path)
    bert = bert_of(model)
    was_training = bert.training
    bert.eval()
    out, start, cpu0 = [None] * len(id_lists), time.time(), time.process_time()
    for group in _length_groups([len(x) for x in id_lists], max_tokens):
        ids, mask = _pad_ids([id_lists[i] for i in group])
        h = bert.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))
        m = _mask4d(bert, h, mask)
        for layer in bert.encoder.layer[:k]:
            h = layer(h, m)
        for row, i in enumerate(group):
            out[i] = h[row, :len(id_lists[i])].clone()
    bert.train(was_training)
    n_tok = sum(len(x) for x in id_lists)
    print(f"cached {tag}: {len(id_lists)} examples, {n_tok} tokens, layers 0..{k - 1}: "
          f"{time.time() - start:.0f} s wall, {time.process_time() - cpu0:.0f} s CPU", flush=True)
    if path:
        os.makedirs(cache_dir, exist_ok=True)
        torch.save(out, path)
    return out


def segments_of(ids):
    """Per position: 1 = first text, 2 = second text, 0 = special token, for
    `<s> A </s></s> B </s>` (a single text is all segment 1)."""
    seg = [0] * len(ids)
    first_sep = ids.index(encode.EOS_ID, 1) if encode.EOS_ID in ids[1:] else len(ids) - 1
    for i in range(1, first_sep):
        seg[i] = 1
    for i in range(first_sep + 2, len(ids) - 1):
        seg[i] = 2
    return seg


def top_forward(model, k, hidden, mask, seg=None):
    """Layers k..11 (LoRA-adapted) and the head, from cached states [B, T, H] + mask [B, T]."""
    bert = bert_of(model)
    m = _mask4d(bert, hidden, mask)
    for layer in bert.encoder.layer[k:]:
        hidden = layer(hidden, m)
    return head_forward(model, hidden, mask, seg)


def _mean(hidden, weights):
    w = weights.unsqueeze(-1).to(hidden.dtype)
    return (hidden * w).sum(1) / w.sum(1).clamp(min=1.0)


def head_forward(model, hidden, mask, seg=None):
    """mean: mean over the mask. segments (pairs): a = mean over the first text's tokens, b = over
    the second's, head input [a, b, |a - b|, a * b] (the classic NLI feature set, here on
    cross-encoded states). token: every position."""
    if model.kind == "sequence":
        if getattr(model, "pooling", "mean") == "segments":
            a, b = _mean(hidden, (seg == 1).long()), _mean(hidden, (seg == 2).long())
            hidden = torch.cat([a, b, (a - b).abs(), a * b], dim=-1)
        else:
            hidden = _mean(hidden, mask)
    return model.head(model.dropout(hidden))


def pad_segments(segs, width):
    out = torch.zeros((len(segs), width), dtype=torch.long)
    for i, s in enumerate(segs):
        out[i, :len(s)] = torch.tensor(s)
    return out


def collate_states(states, labels, token_labels):
    """Right-pad cached states; labels as in encode.collate."""
    width = max(s.shape[0] for s in states)
    hidden = torch.zeros((len(states), width, states[0].shape[1]))
    mask = torch.zeros((len(states), width), dtype=torch.long)
    if token_labels:
        lab = torch.full((len(states), width), encode.IGNORE, dtype=torch.long)
    else:
        lab = torch.tensor(labels, dtype=torch.long)
    for i, s in enumerate(states):
        hidden[i, :s.shape[0]] = s
        mask[i, :s.shape[0]] = 1
        if token_labels:
            lab[i, :len(labels[i])] = torch.tensor(labels[i])
    return hidden, mask, lab


@torch.no_grad()
def predict_cached(model, k, states, segs, max_tokens=8192):
    """Logits per example from cached states, in input order (token tasks: [len_i, labels])."""
    model.eval()
    out = [None] * len(states)
    for group in _length_groups([s.shape[0] for s in states], max_tokens):
        hidden, mask, _ = collate_states([states[i] for i in group], [0] * len(group), False)
        logits = top_forward(model, k, hidden, mask, pad_segments([segs[i] for i in group], hidden.shape[1]))
        for row, i in enumerate(group):
            out[i] = (logits[row, :states[i].shape[0]] if model.kind == "token" else logits[row]).numpy()
    return out


@torch.no_grad()
def predict_full(model, id_lists):
    """Logits from input ids through all 12 layers (what serving computes), one example at a time
    so padding cannot differ from serving."""
    model.eval()
    bert, out = bert_of(model), []
    for ids in id_lists:
        t = torch.tensor([ids])
        mask = torch.ones_like(t)
        hidden = bert(input_ids=t, attention_mask=mask, token_type_ids=torch.zeros_like(t)).last_hidden_state
        out.append(head_forward(model, hidden, mask, torch.tensor([segments_of(ids)]))[0].numpy())
    return out
