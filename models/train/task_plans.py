"""Which examples train, select (model selection, early stopping, temperature) and report, per task,
for the cached-layer trainer (train_cached.py). Built on task_data's readers and labels.

Every choice here is a pure function of the example ids / pair_idx (sha256 cuts, fixed rotations),
never of the seed, so each run sees the same splits. Caps keep CPU time inside the budget
(README.md, "CPU budget"); they are recorded in the manifest.
"""
import hashlib
import os

import task_data
from task_data import Example, read_jsonl

XNLI_OTHERS = ["ur", "en", "fr", "de", "es", "ru", "tr"]  # required beside ar
XNLI_ALL = ["ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh"]


def _hash(key):
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def _cap(rows, n, key="id"):
    """The n rows with the smallest id hash (stable, seed-free)."""
    return sorted(rows, key=lambda r: _hash(str(r[key])))[:n] if n and len(rows) > n else list(rows)


def _pair(source, r, premise=None, hypothesis=None, lang=None, rid=None):
    return Example(rid or r["id"], source, lang or r.get("lang", ""), task_data.STANCE_LABELS.index(r["label"]),
                   text=premise or r["premise"], hypothesis=hypothesis or r["hypothesis"])


# Synthetic pairs (no source of their own): cached apart from the plan's real examples.
SYNTHETIC = {"unrelated"}


def _group(ex, xnli_en):
    """What makes two pairs related: the same XNLI premise (in any language), else the same premise."""
    if ex.source.startswith("xnli"):
        return "xnli", xnli_en[int(ex.id.rsplit("-", 1)[1])]["premise"]
    return ex.source, ex.text


def _unrelated(premises, hypotheses, n, salt, xnli_en):
    """n neutral pairs: the premise of one example with the hypothesis of another example whose
    premise group differs (FNC-1's "unrelated", which the issue maps to neutral). Most (claim,
    target) pairs the product scores are of this kind; the NLI sets have almost none."""
    out = []
    for ex in sorted(premises, key=lambda e: _hash(f"{salt}-{e.id}"))[:n]:
        h = _hash(f"{salt}-h-{ex.id}")
        for step in range(len(hypotheses)):
            other = hypotheses[(h + step) % len(hypotheses)]
            if _group(other, xnli_en) != _group(ex, xnli_en):
                break
        lang = ex.lang.split("-")[0] + "-" + other.lang.split("-")[-1]
        out.append(Example(f"{salt}-{ex.id}-{other.id}", "unrelated", lang, task_data.STANCE_LABELS.index("neutral"),
                           text=ex.text, hypothesis=other.hypothesis))
    return out


def stance_plan(data, farstail_cap=1000, sick_cap=1000, xnli_others_per_pair=1, report_every=5, farstail_select=300,
                unrelated=0, unrelated_report=0):
    """train: ANS train; per XNLI pair_idx < 1245 the Arabic pair, `xnli_others_per_pair` of the
    seven other required languages (rotating) and one cross-lingual pair (premise and hypothesis in
    two different XNLI languages, by hash); FarsTail and SICK train, capped.
    select: ANS dev, XNLI-ar pair_idx >= 1245, `farstail_select` FarsTail dev.
    report (never used for selection or temperature): XNLI pair_idx >= 1245 with pair_idx %
    `report_every` == 0 in the seven other languages and cross-lingual ar->en / en->ar; SICK trial;
    the rest of FarsTail dev is left out to save time.
    unrelated (`unrelated` train, `unrelated_report` report, source "unrelated", label neutral): a
    premise paired with the hypothesis of a pair from another premise group, drawn by id hash from
    the same split (train from train, report from select + report), at the end of each list."""
    ans = lambda name: [dict(r, label=task_data.ANS_STANCE[r["label"]])
                        for r in read_jsonl(os.path.join(data, "ans", name))]
    xnli = {lang: {r["pair_idx"]: r for r in read_jsonl(os.path.join(data, "xnli_dev", f"dev_{lang}.jsonl"))}
            for lang in XNLI_ALL}
    train = [_pair("ans", r) for r in ans("stance_train.jsonl")]
    select = [_pair("ans", r) for r in ans("stance_dev.jsonl")]
    report = []
    for p in sorted(xnli["ar"]):
        if p < task_data.XNLI_TRAIN_BELOW:
            train.append(_pair("xnli_ar", xnli["ar"][p]))
            for j in range(xnli_others_per_pair):
                lang = XNLI_OTHERS[(p * xnli_others_per_pair + j) % len(XNLI_OTHERS)]
                train.append(_pair(f"xnli_{lang}", xnli[lang][p]))
            h = _hash(f"xnli-cross-{p}")
            a = XNLI_ALL[h % 15]
            b = XNLI_ALL[(h // 15) % 14 + (1 if (h // 15) % 14 >= XNLI_ALL.index(a) else 0)]
            train.append(_pair("xnli_cross", xnli[a][p], premise=xnli[a][p]["premise"],
                               hypothesis=xnli[b][p]["hypothesis"], lang=f"{a}-{b}", rid=f"xnli-dev-{a}-{b}-{p}"))
        else:
            select.append(_pair("xnli_ar", xnli["ar"][p]))
            if p % report_every == 0:
                for lang in XNLI_OTHERS:
                    report.append(_pair(f"xnli_{lang}", xnli[lang][p]))
                for a, b in (("ar", "en"), ("en", "ar")):
                    report.append(_pair(f"xnli_{a}-{b}", xnli[a][p], premise=xnli[a][p]["premise"],
                                        hypothesis=xnli[b][p]["hypothesis"], lang=f"{a}-{b}",
                                        rid=f"xnli-dev-{a}-{b}-{p}"))
    fars_dev = read_jsonl(os.path.join(data, "farstail", "dev.jsonl"))
    train += [_pair("farstail", r) for r in _cap(read_jsonl(os.path.join(data, "farstail", "train.jsonl")), farstail_cap)]
    select += [_pair("farstail", r) for r in _cap(fars_dev, farstail_select)]
    sick = read_jsonl(os.path.join(data, "sick", "train_trial.jsonl"))
    train += [_pair("sick", r) for r in _cap([r for r in sick if r["split"] == "train"], sick_cap)]
    report += [_pair("sick", r) for r in sick if r["split"] == "trial"]
    if unrelated:
        train += _unrelated(train, train, unrelated, "unrelated", xnli["en"])
    if unrelated_report:
        report += _unrelated(select + report, select + report, unrelated_report, "unrelated-dev", xnli["en"])
    caps = dict(farstail_cap=farstail_cap, sick_cap=sick_cap, xnli_others_per_pair=xnli_others_per_pair,
                report_every=report_every, farstail_select=farstail_select, unrelated=unrelated,
                unrelated_report=unrelated_report,
                farstail_dev="the farstail_select rows with the smallest sha256(id)")
    return train, select, report, caps


def claim_plan(data, claimbuster_cap=1500, headlines_cap=500, claimbuster_dev_cap=500):
    """CheckThat-2022 ar 1B (verifiable factual claim; 15 % sha256 dev), ClaimBuster (check-worthy
    factual sentence; 10 % sha256 dev, capped), ANS headlines as extra positives (train only).
    select = CheckThat dev + ClaimBuster dev; nothing report-only."""
    ct_tr, ct_dev = task_data._split(read_jsonl(os.path.join(data, "checkthat2022_ar", "1b_claim_train.jsonl")), 15)
    cb_tr, cb_dev = task_data._split(read_jsonl(os.path.join(data, "claimbuster", "train.jsonl")), 10)
    heads = [dict(r, label=1) for r in read_jsonl(os.path.join(data, "ans", "claim_train.jsonl"))]
    ex = lambda src, rows: [Example(r["id"], src, r.get("lang", ""), int(r["label"]), text=r["text"]) for r in rows]
    train = ex("checkthat_1b", ct_tr) + ex("claimbuster", _cap(cb_tr, claimbuster_cap)) + \
        ex("ans_headlines", _cap(heads, headlines_cap))
    select = ex("checkthat_1b", ct_dev) + ex("claimbuster", _cap(cb_dev, claimbuster_dev_cap))
    caps = dict(claimbuster_cap=claimbuster_cap, headlines_cap=headlines_cap,
                claimbuster_dev_cap=claimbuster_dev_cap, checkthat_dev="sha256(id) % 100 < 15",
                claimbuster_dev="sha256(id) % 100 < 10")
    return train, select, [], caps


def ner_plan(data, wikigold_cap=500, re3d_cap=300, btc_cap=300, wnut_cap=200, dev_cap=500):
    """ANERcorp (10 % sha256 dev), wikigold (10 % dev), re3d (train), BTC and WNUT-17 (own dev),
    capped. MISC -> O. select = ANERcorp dev + wikigold dev; report = BTC / WNUT-17 dev (capped)."""
    rows = lambda *parts: read_jsonl(os.path.join(data, *parts))

    def ex(src, rs):
        return [Example(r["id"], src, r.get("lang", ""),
                        [task_data.NER_LABELS.index(t) if t in task_data.NER_LABELS else 0 for t in r["tags"]],
                        tokens=tuple(r["tokens"])) for r in rs]
    an_tr, an_dev = task_data._split(rows("anercorp", "train.jsonl"), 10)
    wg_tr, wg_dev = task_data._split(rows("wikigold", "all.jsonl"), 10)
    train = ex("anercorp", an_tr) + ex("wikigold", _cap(wg_tr, wikigold_cap)) + \
        ex("re3d", _cap(rows("re3d", "train.jsonl"), re3d_cap)) + \
        ex("btc", _cap(rows("btc", "train.jsonl"), btc_cap)) + ex("wnut17", _cap(rows("wnut17", "train.jsonl"), wnut_cap))
    select = ex("anercorp", an_dev) + ex("wikigold", wg_dev)
    report = ex("btc", _cap(rows("btc", "dev.jsonl"), dev_cap)) + ex("wnut17", _cap(rows("wnut17", "dev.jsonl"), dev_cap))
    caps = dict(wikigold_cap=wikigold_cap, re3d_cap=re3d_cap, btc_cap=btc_cap, wnut_cap=wnut_cap, dev_cap=dev_cap, anercorp_dev="sha256(id) % 100 < 10",
                wikigold_dev="sha256(id) % 100 < 10")
    return train, select, report, caps


PLANS = {"stance": stance_plan, "claim": claim_plan, "ner": ner_plan}
