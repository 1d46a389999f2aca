"""Tokenization and batching with the real XLM-R tokenizer.json (the one the product serves)."""
import torch
from tokenizers import Tokenizer

PAD_ID = 1
EOS_ID = 2  # </s>, also the pair separator (`</s></s>`)
IGNORE = -100  # label of positions that carry no loss (special tokens, prefix, non-first sub-tokens)


def load_tokenizer(path, max_len):
    tok = Tokenizer.from_file(path)
    tok.no_padding()
    tok.enable_truncation(max_length=max_len, strategy="longest_first")
    return tok


def encode(tok, task, ex, prefix):
    """(input_ids, label): label is an int for stance/claim, a per-token list for ner.
    stance encodes `<s> prefix+premise </s></s> prefix+hypothesis </s>`. ner labels the first
    sub-token of each word; the prefix words, later sub-tokens and specials get IGNORE."""
    if task == "stance":
        return tok.encode(prefix + ex.text, prefix + ex.hypothesis).ids, ex.label
    if task == "claim":
        return tok.encode(prefix + ex.text).ids, ex.label
    prefix_words = prefix.split()
    enc = tok.encode(prefix_words + list(ex.tokens), is_pretokenized=True)
    labels, seen = [], set()
    for word in enc.word_ids:
        if word is None or word < len(prefix_words) or word in seen:
            labels.append(IGNORE)
        else:
            seen.add(word)
            labels.append(ex.label[word - len(prefix_words)])
    return enc.ids, labels


def word_predictions(enc_labels, token_preds, n_words):
    """Per-word tag indices from first-sub-token predictions (0 = O for words that were cut off)."""
    words = [0] * n_words
    i = 0
    for label, pred in zip(enc_labels, token_preds):
        if label != IGNORE:
            if i < n_words:
                words[i] = pred
            i += 1
    return words


def collate(rows, token_labels):
    """rows: [(ids, label)] -> input_ids, attention_mask, labels (right-padded with PAD_ID)."""
    width = max(len(ids) for ids, _ in rows)
    ids = torch.full((len(rows), width), PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    if token_labels:
        labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    else:
        labels = torch.tensor([label for _, label in rows], dtype=torch.long)
    for i, (row, label) in enumerate(rows):
        ids[i, :len(row)] = torch.tensor(row)
        mask[i, :len(row)] = 1
        if token_labels:
            labels[i, :len(label)] = torch.tensor(label)
    return ids, mask, labels
