"""The PyTorch side of `shorten bench kernels`: torch.matmul on the same shapes and transpose forms,
f32 and bf16 (both operands bf16, f32 accumulation: PyTorch's CPU bf16 matmul), median of timed runs.
Prints JSON.

Usage: python3 bench/torch_matmul.py '{"shapes":[[512,2048,5632]],"runs":7,"threads":2}'
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_llama import median_time  # noqa: E402


def main():
    args = json.loads(sys.argv[1])
    torch.set_num_threads(args["threads"])
    torch.manual_seed(0)
    rows = []
    for m, k, n in args["shapes"]:
        flops = 2.0 * m * k * n
        a = torch.rand(m, k) * 2 - 1
        w = torch.rand(n, k) * 2 - 1  # weights as models store them: out × in
        for dtype, name in ((torch.float32, "f32"), (torch.bfloat16, "bf16")):
            a_ = a.to(dtype)
            w_ = w.to(dtype)
            forms = {
                # op(A)·op(B) as our GEMM forms: NT reads B as n×k rows, NN as a k×n matrix,
                # TN reads A as k×m.
                "NT": (a_, w_.t()),
                "NN": (a_, w_.t().contiguous()),
                "TN": (a_.t().contiguous().t(), w_.t().contiguous()),
            }
            for trans, (x, y) in forms.items():
                if name == "bf16" and trans == "TN":
                    continue
                t = median_time(lambda: torch.matmul(x, y), args["runs"])
                rows.append({"b": name, "trans": trans, "m": m, "k": k, "n": n, "gflops": flops / t / 1e9})
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}))


if __name__ == "__main__":
    main()
