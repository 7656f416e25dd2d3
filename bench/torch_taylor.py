"""The PyTorch side of `shorten bench score`: the paper's Taylor block scores (loss = mean token
cross-entropy; per block, sum over its nine weights of |W * dL/dW|) on a LLaMA of the same shapes
and token count as ours, with ordinary autograd (one forward, one backward holding every gradient).
Weights are random (std 0.02), not the same numbers as ours: the comparison is of speed.
Prints one JSON object on stdout.

Usage: python3 bench/torch_taylor.py '{"hidden":2048,"layers":16,"heads":16,"kv_heads":4,
        "mlp":5632,"vocab":32000,"batch":10,"seq":128,"runs":1,"threads":2}'
"""
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch_llama import Llama  # noqa: E402


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
    return scores


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(c["threads"])
    torch.manual_seed(0)
    model = Llama(c)
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.02)
    for blk in model.blocks:
        torch.nn.init.ones_(blk.n1)
        torch.nn.init.ones_(blk.n2)
    model.embed.weight.requires_grad_(False)
    model.head.weight.requires_grad_(False)
    model.norm.requires_grad_(False)
    ids = torch.randint(0, c["vocab"], (c["batch"], c["seq"]))
    times = []
    for _ in range(c.get("runs", 1)):
        t0 = time.perf_counter()
        scores = taylor(model, ids, c["vocab"])
        times.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "torch_version": torch.__version__,
                "threads": torch.get_num_threads(),
                "taylor_s": statistics.median(times),
                "runs": len(times),
                "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "scores": scores,
            }
        )
    )


if __name__ == "__main__":
    main()
