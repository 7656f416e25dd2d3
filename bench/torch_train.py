"""The PyTorch side of `shorten bench train`: one training step (forward, backward, clipping,
AdamW) of LoRA (PEFT's formulation: x·Wᵀ + alpha/r · dropout(x)·Aᵀ·Bᵀ on every Linear of every
block, base frozen) and of full-parameter training, on the same synthetic shapes. Prints JSON.

Usage: python3 bench/torch_train.py '{"hidden":2048,"layers":2,"heads":16,"kv_heads":4,
        "mlp":5632,"vocab":8192,"batch":1,"seq":128,"runs":3,"threads":2,"r":8,"alpha":16,"dropout":0.05}'
"""
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_llama import Llama  # noqa: E402


class LoraLinear(torch.nn.Module):
    def __init__(self, base, r, alpha, dropout):
        super().__init__()
        self.base = base
        self.A = torch.nn.Parameter(torch.empty(r, base.in_features))
        self.B = torch.nn.Parameter(torch.zeros(base.out_features, r))
        torch.nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
        self.scale = alpha / r
        self.drop = torch.nn.Dropout(dropout)

    def forward(self, x):
        return self.base(x) + (self.drop(x) @ self.A.t() @ self.B.t()) * self.scale


def build(c, lora):
    torch.manual_seed(0)
    model = Llama(c)
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.02)
    if lora:
        for p in model.parameters():
            p.requires_grad_(False)
        for blk in model.blocks:
            for name in ["q", "k", "v", "o", "gate", "up", "down"]:
                setattr(blk, name, LoraLinear(getattr(blk, name), c["r"], c["alpha"], c["dropout"]))
    model.train()
    return model


def step_time(c, lora):
    model = build(c, lora)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-5, weight_decay=0.0)
    ids = torch.randint(0, c["vocab"], (c["batch"], c["seq"]))

    def step():
        logits = model(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, c["vocab"]), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=False)

    step()
    times = []
    for _ in range(c["runs"]):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(c["threads"])
    tokens = c["batch"] * c["seq"]
    out = {
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "lora_tokens_per_s": tokens / step_time(c, True),
        "full_tokens_per_s": tokens / step_time(c, False),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
