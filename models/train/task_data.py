"""Training and dev examples for the three heads, read from ../shared/data (see its README.md).

Splits never depend on the seed: a source without a dev split is cut by a hash of the example id
(or of pair_idx for XNLI), so every run and every language sees the same split.
"""
import hashlib
import json
import os
from dataclasses import dataclass

STANCE_LABELS = ["entailment", "neutral", "contradiction"]
CLAIM_LABELS = ["no_claim", "claim"]
NER_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
LABELS = {"stance": STANCE_LABELS, "claim": CLAIM_LABELS, "ner": NER_LABELS}

ANS_STANCE = {"agree": "entailment", "disagree": "contradiction", "other": "neutral"}
# XNLI languages that qawl serves (XNLI has no fa or he; FarsTail covers fa).
XNLI_LANGS = ["ar", "ur", "en", "fr", "de", "es", "ru", "tr"]
XNLI_TRAIN_BELOW = 1245  # pair_idx < 1245 trains, >= 1245 is dev, identically in every language


@dataclass
class Example:
    id: str
    source: str
    lang: str
    label: object  # label index (stance, claim) or list of tag indices (ner)
    text: str = ""
    hypothesis: str = ""  # stance only: `text` is the premise
    tokens: tuple = ()  # ner only


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def in_dev(key, percent):
    """Stable split: the same key always lands on the same side."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 100 < percent


def _split(rows, percent, key="id"):
    train = [r for r in rows if not in_dev(str(r[key]), percent)]
    dev = [r for r in rows if in_dev(str(r[key]), percent)]
    return train, dev


def stance_sources(data):
    """(source, train rows, dev rows); label strings already in STANCE_LABELS."""
    def ans(name):
        rows = read_jsonl(os.path.join(data, "ans", name))
        return [dict(r, label=ANS_STANCE[r["label"]]) for r in rows]
    yield "ans", ans("stance_train.jsonl"), ans("stance_dev.jsonl")
    for lang in XNLI_LANGS:
        rows = read_jsonl(os.path.join(data, "xnli_dev", f"dev_{lang}.jsonl"))
        yield (f"xnli_{lang}", [r for r in rows if r["pair_idx"] < XNLI_TRAIN_BELOW],
               [r for r in rows if r["pair_idx"] >= XNLI_TRAIN_BELOW])
    yield ("farstail", read_jsonl(os.path.join(data, "farstail", "train.jsonl")),
           read_jsonl(os.path.join(data, "farstail", "dev.jsonl")))
    sick = read_jsonl(os.path.join(data, "sick", "train_trial.jsonl"))
    yield ("sick", [r for r in sick if r["split"] == "train"], [r for r in sick if r["split"] == "trial"])


def claim_sources(data, checkthat_subtask="1b", ans_headlines=True):
    """CheckThat 2022 Arabic (1B verifiable claim by default; 1A check-worthiness) and ClaimBuster,
    each with a hash-cut dev split. ANS headlines (true or fake, both assert a checkable fact) are
    added to training as positives when `ans_headlines`; their true/fake label is not used."""
    name = {"1a": "1a_checkworthy_train.jsonl", "1b": "1b_claim_train.jsonl"}[checkthat_subtask]
    yield ("checkthat_" + checkthat_subtask,
           *_split(read_jsonl(os.path.join(data, "checkthat2022_ar", name)), 15))
    yield ("claimbuster", *_split(read_jsonl(os.path.join(data, "claimbuster", "train.jsonl")), 10))
    if ans_headlines:
        rows = read_jsonl(os.path.join(data, "ans", "claim_train.jsonl"))
        yield "ans_headlines", [dict(r, label=1) for r in rows], []


def ner_sources(data):
    """BIO tags normalised to PER/ORG/LOC/MISC upstream; MISC becomes O (the tagger finds speakers)."""
    def rows(*parts):
        return read_jsonl(os.path.join(data, *parts))
    yield ("anercorp", *_split(rows("anercorp", "train.jsonl"), 10))
    yield ("wikigold", *_split(rows("wikigold", "all.jsonl"), 10))
    yield "re3d", rows("re3d", "train.jsonl"), []
    yield "btc", rows("btc", "train.jsonl"), rows("btc", "dev.jsonl")
    yield "wnut17", rows("wnut17", "train.jsonl"), rows("wnut17", "dev.jsonl")


def _to_example(task, source, r):
    lang = r.get("lang", "")
    if task == "stance":
        return Example(r["id"], source, lang, STANCE_LABELS.index(r["label"]),
                       text=r["premise"], hypothesis=r["hypothesis"])
    if task == "claim":
        return Example(r["id"], source, lang, int(r["label"]), text=r["text"])
    tags = [NER_LABELS.index(t) if t in NER_LABELS else 0 for t in r["tags"]]  # MISC -> O
    return Example(r["id"], source, lang, tags, tokens=tuple(r["tokens"]))


def load_task(task, data, **options):
    """{source: (train examples, dev examples)} for one task."""
    sources = {"stance": stance_sources, "claim": claim_sources, "ner": ner_sources}[task](data, **options)
    return {src: ([_to_example(task, src, r) for r in train], [_to_example(task, src, r) for r in dev])
            for src, train, dev in sources}
