"""The PyTorch side of `shorten bench kernels`: torch.matmul on the same shapes and transpose forms,
f32 and bf16 (both operands bf16: PyTorch's CPU bf16 matmul).

Run through bench/torch_worker.py: each call {"op": "matmul", "m", "k", "n", "b": "f32"|"bf16",
"trans": "NN"|"NT"|"TN", "calls"} runs that product `calls` times and reports the seconds per call,
so rounds interleave with ours shape by shape.
"""
import time

import torch

from torch_llama import DTYPES


def matmul_ops(_c):
    operands = {}

    def prepare(m, k, n, b, trans):
        key = (m, k, n, b, trans)
        if key not in operands:
            a = (torch.rand(m, k) * 2 - 1).to(DTYPES[b])
            w = (torch.rand(n, k) * 2 - 1).to(DTYPES[b])  # weights as models store them: out × in
            # op(A)·op(B) as our GEMM forms: NT reads B as n×k rows, NN as a k×n matrix, TN reads A as k×m.
            operands[key] = {
                "NT": (a, w.t()),
                "NN": (a, w.t().contiguous()),
                "TN": (a.t().contiguous().t(), w.t().contiguous()),
            }[trans]
            torch.matmul(*operands[key])  # warm-up
        return operands[key]

    def matmul(req):
        x, y = prepare(req["m"], req["k"], req["n"], req["b"], req["trans"])
        calls = req.get("calls", 1)
        t0 = time.perf_counter()
        for _ in range(calls):
            torch.matmul(x, y)
        return {"seconds": (time.perf_counter() - t0) / calls}

    return {"matmul": matmul}, "torch.matmul: f32 rows f32 × f32; bf16 rows both operands bf16"
