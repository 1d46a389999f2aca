"""multilingual-e5-small (the dequantized E5S1 weights the product serves) + LoRA + a task head,
and the export that the Rust side loads."""
import hashlib
import os
import sys

import numpy as np
import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from torch import nn
from transformers import BertConfig, BertModel

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "reference"))
from e5s1 import bert_state_dict, read_e5s1  # noqa: E402  (the one E5S1 reader, shared with fixtures)

# Every Linear in a BERT layer: attention.self.{query,key,value}, attention.output.dense,
# intermediate.dense, output.dense.
DEFAULT_TARGETS = ["query", "key", "value", "dense"]


def load_e5(path):
    """BertModel holding exactly the float32 dequantization of the E5S1 file (no pooler)."""
    m = read_e5s1(path)
    config = BertConfig(vocab_size=m.vocab, hidden_size=m.hidden, num_hidden_layers=m.layers,
                        num_attention_heads=m.heads, intermediate_size=m.ffn, hidden_act="gelu",
                        max_position_embeddings=m.max_pos, type_vocab_size=m.type_vocab,
                        layer_norm_eps=float(np.float32(m.layer_norm_eps)), pad_token_id=m.pad)
    model = BertModel(config, add_pooling_layer=False)
    state = {k: torch.from_numpy(v) for k, v in bert_state_dict(m).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not k.endswith("_ids") for k in missing):
        raise RuntimeError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
    return model


class HeadModel(nn.Module):
    """Encoder with LoRA adapters and one linear head.
    sequence: mean of last_hidden_state over the attention mask (how e5 pools) -> Linear.
    token: last_hidden_state of every token -> Linear."""

    def __init__(self, encoder, n_labels, kind, lora_r, lora_alpha, lora_dropout, dropout, targets,
                 lora_layers):
        super().__init__()
        self.kind = kind
        n_layers = encoder.config.num_hidden_layers
        # Adapting only the top `lora_layers` layers means nothing below them needs gradients, so
        # backward stops there: the main lever on CPU training time.
        cfg = LoraConfig(r=lora_r, lora_alpha=lora_alpha, lora_dropout=lora_dropout,
                         target_modules=targets, bias="none",
                         layers_to_transform=list(range(n_layers - lora_layers, n_layers)),
                         layers_pattern="layer")
        self.encoder = get_peft_model(encoder, cfg)  # freezes every base weight
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, n_labels)

    def forward(self, input_ids, attention_mask):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
        if self.kind == "sequence":
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            hidden = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(self.dropout(hidden))

    def trainable_parameters(self):
        return [p for p in self.parameters() if p.requires_grad]


def adapter_tensors(model):
    """LoRA A/B per adapted Linear under BertModel names, plus the head.
    Serving computes W x + b + scaling * B (A x); `scaling` = lora_alpha / r (in the manifest)."""
    out = {}
    for name, module in model.encoder.named_modules():
        if hasattr(module, "lora_A") and "default" in getattr(module, "lora_A", {}):
            base = name.removeprefix("base_model.model.")
            out[base + ".lora_A"] = module.lora_A["default"].weight.detach().contiguous()  # [r, in]
            out[base + ".lora_B"] = module.lora_B["default"].weight.detach().contiguous()  # [out, r]
    out["head.weight"] = model.head.weight.detach().contiguous()
    out["head.bias"] = model.head.bias.detach().contiguous()
    return out


def save_head(model, out_dir, metadata):
    """Write model.safetensors (float32) and return its sha256."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "model.safetensors")
    save_file({k: v.float() for k, v in adapter_tensors(model).items()}, path,
              metadata={k: str(v) for k, v in metadata.items()})
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
