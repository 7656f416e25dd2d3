"""The PyTorch side of `shorten bench model`: a plain LLaMA (as HF's modeling_llama computes it)
on the same synthetic shapes, timed the same way. Prints one JSON object on stdout.

Usage: python3 bench/torch_llama.py '{"hidden":2048,"layers":16,"heads":16,"kv_heads":4,
        "mlp":5632,"vocab":32000,"batch":8,"seq":128,"decode_tokens":32,"runs":3,"threads":2}'
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def rms_norm(x, w, eps=1e-5):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Block(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        d, hd = c["hidden"], c["hidden"] // c["heads"]
        self.c, self.hd = c, hd
        self.q = torch.nn.Linear(d, c["heads"] * hd, bias=False)
        self.k = torch.nn.Linear(d, c["kv_heads"] * hd, bias=False)
        self.v = torch.nn.Linear(d, c["kv_heads"] * hd, bias=False)
        self.o = torch.nn.Linear(c["heads"] * hd, d, bias=False)
        self.gate = torch.nn.Linear(d, c["mlp"], bias=False)
        self.up = torch.nn.Linear(d, c["mlp"], bias=False)
        self.down = torch.nn.Linear(c["mlp"], d, bias=False)
        self.n1 = torch.nn.Parameter(torch.ones(d))
        self.n2 = torch.nn.Parameter(torch.ones(d))

    def forward(self, x, cos, sin, cache=None):
        b, t, _ = x.shape
        c, hd = self.c, self.hd
        h = rms_norm(x, self.n1)
        q = self.q(h).view(b, t, c["heads"], hd).transpose(1, 2)
        k = self.k(h).view(b, t, c["kv_heads"], hd).transpose(1, 2)
        v = self.v(h).view(b, t, c["kv_heads"], hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            if cache.get("k") is not None:
                k = torch.cat([cache["k"], k], dim=2)
                v = torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        rep = c["heads"] // c["kv_heads"]
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        if t > 1:
            mask = torch.full((t, k.shape[2]), float("-inf")).triu(k.shape[2] - t + 1)
            att = att + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1)
        x = x + self.o(y)
        h = rms_norm(x, self.n2)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Llama(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed = torch.nn.Embedding(c["vocab"], c["hidden"])
        self.blocks = torch.nn.ModuleList([Block(c) for _ in range(c["layers"])])
        self.norm = torch.nn.Parameter(torch.ones(c["hidden"]))
        self.head = torch.nn.Linear(c["hidden"], c["vocab"], bias=False)
        hd = c["hidden"] // c["heads"]
        inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
        self.inv = inv

    def rope(self, start, t):
        pos = torch.arange(start, start + t).float()
        f = torch.outer(pos, self.inv)
        e = torch.cat([f, f], dim=-1)
        return e.cos(), e.sin()

    def forward(self, ids, caches=None, start=0):
        x = self.embed(ids)
        cos, sin = self.rope(start, ids.shape[1])
        for i, blk in enumerate(self.blocks):
            x = blk(x, cos, sin, None if caches is None else caches[i])
        return self.head(rms_norm(x, self.norm))


def median_time(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(c["threads"])
    torch.manual_seed(0)
    model = Llama(c)
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.02)
    ids = torch.randint(0, c["vocab"], (c["batch"], c["seq"]))
    tokens = c["batch"] * c["seq"]

    def fwd():
        with torch.no_grad():
            model(ids)

    def fwd_bwd():
        model.zero_grad(set_to_none=True)
        logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, c["vocab"]), ids[:, 1:].reshape(-1))
        loss.backward()

    def decode():
        with torch.no_grad():
            caches = [dict() for _ in range(c["layers"])]
            tok = ids[:1, :1]
            for s in range(c["decode_tokens"]):
                logits = model(tok, caches, s)
                tok = logits[:, -1:].argmax(-1)

    out = {
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "forward_tokens_per_s": tokens / median_time(fwd, c["runs"]),
        "train_tokens_per_s": c["batch"] * (c["seq"] - 1) / median_time(fwd_bwd, c["runs"]),
        "decode_tokens_per_s": c["decode_tokens"] / median_time(decode, c["runs"]),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
