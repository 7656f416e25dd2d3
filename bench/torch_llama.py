"""The PyTorch side of `shorten bench model`: a plain LLaMA (as HF's modeling_llama computes it) on
the same synthetic shapes, in f32 or entirely in bf16 (model.to(torch.bfloat16): weights, rotary
tables, activations, attention, logits and gradients), and the three workloads the benchmark times:
a no-grad forward, a forward + backward, and batch-1 greedy decoding with a KV cache.

Run through bench/torch_worker.py, which times one call at a time so rounds interleave with ours.
"""
import math

import torch
import torch.nn.functional as F

DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16}


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
            # In the activations' dtype: an f32 mask would promote bf16 scores to f32.
            mask = torch.full((t, k.shape[2]), float("-inf"), dtype=att.dtype).triu(k.shape[2] - t + 1)
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
        if c.get("tie"):
            self.head.weight = self.embed.weight
        hd = c["hidden"] // c["heads"]
        self.inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))

    def rope(self, start, t):
        pos = torch.arange(start, start + t).float()
        f = torch.outer(pos, self.inv)
        e = torch.cat([f, f], dim=-1)
        # In the model's dtype, so bf16 q and k stay bf16 after the rotation.
        dtype = self.norm.dtype
        return e.cos().to(dtype), e.sin().to(dtype)

    def forward(self, ids, caches=None, start=0):
        x = self.embed(ids)
        cos, sin = self.rope(start, ids.shape[1])
        for i, blk in enumerate(self.blocks):
            x = blk(x, cos, sin, None if caches is None else caches[i])
        return self.head(rms_norm(x, self.norm))


def build(c):
    """The model at c's shape, matrices normal with std 0.02 and norms at 1 as ours, in c["dtype"]."""
    torch.manual_seed(0)
    model = Llama(c)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)
    return model.to(DTYPES[c.get("dtype", "f32")])


def runs_in(model, c):
    """What runs in which dtype on this side, for the benchmark's output."""
    dtypes = sorted({str(p.dtype).replace("torch.", "") for p in model.parameters()})
    if c.get("dtype", "f32") == "bf16":
        return (
            "model.to(torch.bfloat16): parameters (%s), rotary tables, activations, attention, softmax, "
            "logits and gradients all bf16" % ", ".join(dtypes)
        )
    return "parameters (%s), activations and gradients f32" % ", ".join(dtypes)


def model_ops(c):
    """The three workloads of `bench model`, each run once per call."""
    model = build(c)
    ids = torch.randint(0, c["vocab"], (c["batch"], c["seq"]))

    def forward(_req):
        with torch.no_grad():
            model(ids)

    def forward_backward(_req):
        model.zero_grad(set_to_none=True)
        logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, c["vocab"]), ids[:, 1:].reshape(-1))
        loss.backward()

    def decode(_req):
        with torch.no_grad():
            caches = [dict() for _ in range(c["layers"])]
            tok = ids[:1, :1]
            for s in range(c["decode_tokens"]):
                logits = model(tok, caches, s)
                tok = logits[:, -1:].argmax(-1)

    def release(_req):
        # Between our rounds this process holds its weights only, not a step's gradients.
        model.zero_grad(set_to_none=True)

    ops = {"forward": forward, "forward_backward": forward_backward, "decode": decode, "release": release}
    return ops, runs_in(model, c)
