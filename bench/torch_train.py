"""The PyTorch side of `shorten bench train`: one training step (forward, backward, clipping, AdamW)
of LoRA (PEFT's formulation: x·Wᵀ + alpha/r · dropout(x)·Aᵀ·Bᵀ on every Linear of every block, base
frozen) or of full-parameter training, on the same synthetic shapes. In bf16 the whole model is
bf16 (model.to(torch.bfloat16)): weights, adapters, activations, gradients and AdamW's state.

Run through bench/torch_worker.py ({"mode": "lora"} or {"mode": "full"}), which times one step per
call so rounds interleave with ours.
"""
import math

import torch
import torch.nn.functional as F

from torch_llama import DTYPES, build, runs_in


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


def build_for(c, lora):
    model = build(c)
    if lora:
        for p in model.parameters():
            p.requires_grad_(False)
        for blk in model.blocks:
            for name in ["q", "k", "v", "o", "gate", "up", "down"]:
                setattr(blk, name, LoraLinear(getattr(blk, name), c["r"], c["alpha"], c["dropout"]))
        model.to(DTYPES[c.get("dtype", "f32")])
    model.train()
    return model


def train_ops(c):
    lora = c["mode"] == "lora"
    model = build_for(c, lora)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-5, weight_decay=0.0)
    ids = torch.randint(0, c["vocab"], (c["batch"], c["seq"]))

    def step(_req):
        logits = model(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, c["vocab"]), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=False)

    about = runs_in(model, c) + (
        "; LoRA adapters r=%d on the frozen base" % c["r"] if lora else "; AdamW state in the parameters' dtype"
    )
    return {"step": step}, about
