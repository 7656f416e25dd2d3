"""The PyTorch side of `shorten bench score`, on a LLaMA of the same shapes and token count as ours:
- the paper's Taylor block scores (loss = mean token cross-entropy; per block, the sum over its nine
  weights of |W * dL/dW|) with ordinary autograd: one forward, one backward holding every gradient;
- the naive PPL sweep: for each block, the calibration loss of the model without that block, L
  forwards of L-1 blocks each (what our cached sweep is measured against).
Weights are random (std 0.02), not the same numbers as ours: the comparison is of speed. In bf16
everything runs in bf16 (model.to(torch.bfloat16)), gradients and losses included.

Run through bench/torch_worker.py, which times one call at a time so rounds interleave with ours.
"""
import torch
import torch.nn.functional as F

from torch_llama import build, rms_norm, runs_in


def taylor(model, ids, vocab):
    for p in model.parameters():
        p.grad = None
    logits = model(ids)
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), ids[:, 1:].reshape(-1))
    loss.backward()
    scores = []
    with torch.no_grad():
        for blk in model.blocks:
            s = 0.0
            for p in blk.parameters():
                sal = (p * p.grad).abs()
                s += float(sal.sum(1).sum() if sal.dim() == 2 else sal.sum())
            scores.append(s)
    for p in model.parameters():
        p.grad = None
    return scores


def loss_without(model, ids, vocab, skip):
    """Mean next-token loss of the model with block `skip` left out."""
    x = model.embed(ids)
    cos, sin = model.rope(0, ids.shape[1])
    for i, blk in enumerate(model.blocks):
        if i != skip:
            x = blk(x, cos, sin)
    logits = model.head(rms_norm(x, model.norm))
    return float(F.cross_entropy(logits[:, :-1].reshape(-1, vocab), ids[:, 1:].reshape(-1)))


def naive_sweep(model, ids, vocab):
    with torch.no_grad():
        return [loss_without(model, ids, vocab, i) for i in range(len(model.blocks))]


def score_ops(c):
    model = build(c)
    # Embedding, final norm and head get no gradient, as in ours.
    model.embed.weight.requires_grad_(False)
    model.head.weight.requires_grad_(False)
    model.norm.requires_grad_(False)
    ids = torch.randint(0, c["vocab"], (c["batch"], c["seq"]))
    ops = {
        "taylor": lambda _req: {"scores": taylor(model, ids, c["vocab"])},
        "ppl_sweep": lambda _req: {"losses": naive_sweep(model, ids, c["vocab"])},
    }
    return ops, runs_in(model, c)
