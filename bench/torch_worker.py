"""A PyTorch process that stays up while a benchmark runs, so its timings interleave with ours in
rounds (the timing rule): it builds one workload set, then answers one JSON line per request.

Usage: python3 bench/torch_worker.py '{"bench": "model"|"score"|"train"|"kernels", "threads": 2,
        "dtype": "f32"|"bf16", ...the shapes the workload needs}'

Protocol (one JSON object per line):
  -> {"ready": true, "torch_version", "threads", "build_s", "runs_in"}   once built
  <- {"op": NAME, ...}        runs workload NAME once
  -> {"seconds": S, "peak_rss_bytes": N, "rss_bytes": R, ...}
                              its wall time (perf_counter), the process's peak resident memory so
                              far and its resident memory now, plus what the workload returns
  <- {"op": "quit"}  (or end of input)
  -> {"peak_rss_bytes": N}    then exits
A failing workload writes its traceback on stderr and exits 1.
"""
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402


def current_rss():
    """Resident bytes now (Linux /proc/self/statm), or None elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def workloads(c):
    bench = c["bench"]
    if bench == "model":
        from torch_llama import model_ops

        return model_ops(c)
    if bench == "score":
        from torch_taylor import score_ops

        return score_ops(c)
    if bench == "train":
        from torch_train import train_ops

        return train_ops(c)
    if bench == "kernels":
        from torch_matmul import matmul_ops

        return matmul_ops(c)
    raise ValueError("unknown bench %r" % bench)


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(c["threads"])
    t0 = time.perf_counter()
    ops, about = workloads(c)
    reply(
        {
            "ready": True,
            "torch_version": torch.__version__,
            "threads": torch.get_num_threads(),
            "build_s": time.perf_counter() - t0,
            "runs_in": about,
        }
    )
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        if req["op"] == "quit":
            break
        t = time.perf_counter()
        extra = ops[req["op"]](req) or {}
        seconds = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        reply({"seconds": seconds, "peak_rss_bytes": peak, "rss_bytes": current_rss(), **extra})
    reply({"peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024})


if __name__ == "__main__":
    main()
